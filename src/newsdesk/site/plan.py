"""Plan the site from article heads: every page's path, the key of its inputs, and how to render it.

A page's key is a hash of everything the page shows, computed without rendering it,
so an incremental build renders only the pages whose key differs from the last
build's manifest. An article's revision stands for its content (the store bumps it
on every change), so keys never need article bodies.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path

from newsdesk import urls
from newsdesk.config import SiteConfig
from newsdesk.errors import OutputError
from newsdesk.site.pages import (
    AlsoReport,
    ArchiveIndexPage,
    ArticleNav,
    CalendarDay,
    CalendarMonth,
    Chrome,
    DayPage,
    HomePage,
    ListItem,
    NavLink,
    NotFoundPage,
    OutletLink,
    OutletPage,
    OutletSection,
    PageNumber,
    digest,
)
from newsdesk.store.base import Store

log = logging.getLogger(__name__)

ARCHIVE_INDEX = "archive/index.html"
LATEST = "latest.json"
ROBOTS = "robots.txt"
_OUTLET_SUFFIX = "新闻"  # the original mirror titled outlet pages "<outlet>新闻"


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """A light record of one article that owns its page (no body): enough for lists, paths and keys."""

    source: str
    id: str
    outlet: str
    category: str
    title: str
    published_at: datetime
    revision: int
    path: str

    @property
    def key(self) -> tuple[str, str]:
        """The store's key of the article."""
        return (self.source, self.id)

    @property
    def mark(self) -> tuple[str, int]:
        """What a list showing this article depends on: its path and revision."""
        return (self.path, self.revision)


@dataclass(frozen=True, slots=True)
class PageSpec:
    """One list page: where it goes, which template, its key, and how to build its context."""

    path: str
    template: str
    key: str
    context: Callable[[], object]


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """An Atom feed and its JSON Feed twin over the newest articles of the site or one outlet."""

    atom_path: str
    json_path: str
    title: str
    home_path: str
    entries: tuple[ArticleRef, ...]
    key: str


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Everything gathered before rendering."""

    salt: str  # templates, theme and settings: a change re-renders every page
    pages: tuple[PageSpec, ...]
    feeds: tuple[FeedSpec, ...]
    articles: dict[tuple[str, str], ArticleRef]  # only the ones that own their path, newest first
    by_category: dict[str, list[ArticleRef]]  # oldest first
    outlet_titles: dict[str, str]
    # article -> the other outlets' reports of its story ("also reported by")
    also: dict[tuple[str, str], tuple[AlsoReport, ...]] = field(default_factory=dict)

    def neighbours(self, ref: ArticleRef, index: int) -> tuple[ArticleRef | None, ArticleRef | None]:
        """The older and newer article of the same outlet around position `index`."""
        members = self.by_category[ref.category]
        older = members[index - 1] if index > 0 else None
        newer = members[index + 1] if index + 1 < len(members) else None
        return older, newer

    def article_entries(self) -> Iterable[tuple[ArticleRef, ArticleNav, str]]:
        """Every article page with its navigation and key."""
        for slug, members in self.by_category.items():
            for index, ref in enumerate(members):
                nav = self.nav(ref, index)
                yield ref, nav, self.article_key(ref, nav)

    def nav(self, ref: ArticleRef, index: int) -> ArticleNav:
        """What the article page at `index` of its outlet links to."""
        older, newer = self.neighbours(ref, index)
        return ArticleNav(
            path=ref.path, outlet_title=self.outlet_titles[ref.category],
            outlet_href=urls.href(urls.category_path(ref.category)),
            day_href=urls.href(day_path(ref.path)),
            older=NavLink(older.title, urls.href(older.path)) if older else None,
            newer=NavLink(newer.title, urls.href(newer.path)) if newer else None,
            also=self.also.get(ref.key, ()))

    def article_key(self, ref: ArticleRef, nav: ArticleNav) -> str:
        """The key of an article page: its revision and everything the plan adds."""
        return digest(self.salt, "article", ref.source, ref.id, ref.revision, nav)


def outlet_title(outlet: str) -> str:
    """The outlet page's title, `<outlet>新闻`, without doubling a trailing 新闻."""
    return outlet if outlet.endswith(_OUTLET_SUFFIX) else outlet + _OUTLET_SUFFIX


def day_path(post_path: str) -> str:
    """The day archive page of a post path `<cat>/<YYYY>/<MM>/<DD>/<id>.html`."""
    _, year, month, day, _ = post_path.split("/", 4)
    return f"archive/{year}/{month}/{day}.html"


def outlet_page_path(slug: str, number: int) -> str:
    """One stable numbered page of an outlet: page 1 holds its oldest articles."""
    return f"category/{slug}/page/{number}.html"


def outlet_atom_path(slug: str) -> str:
    """An outlet's Atom feed."""
    return f"category/{slug}.xml"


def outlet_json_path(slug: str) -> str:
    """An outlet's JSON Feed."""
    return f"category/{slug}.json"


def list_item(ref: ArticleRef, tz: tzinfo) -> ListItem:
    """How a list shows one article."""
    local = ref.published_at.astimezone(tz)
    return ListItem(title=ref.title, href=urls.href(ref.path), outlet=ref.outlet,
                    outlet_href=urls.href(urls.category_path(ref.category)),
                    time_text=f"{local:%Y-%m-%d %H:%M}", time_iso=local.isoformat(timespec="seconds"))


def _fits(output: Path, path: str) -> bool:
    """Whether `path` stays inside `output`; logs why not."""
    try:
        urls.resolve_inside(output, path)
    except OutputError as exc:
        log.warning("skipping a page: %s", exc)
        return False
    return True


def claim_paths(store: Store, site: SiteConfig) -> list[ArticleRef]:
    """Stream article heads once; each page path goes to the article stored first. Newest first."""
    tz = site.tz
    owners: dict[str, tuple[tuple[datetime, str, str], ArticleRef]] = {}
    safe: dict[str, bool] = {}
    shared: dict[str, str] = {}  # one string object per source, outlet and slug across 100,000 refs
    for head in store.iter_heads():
        category = head.category
        if category not in safe:
            # the date and safe_id parts of a post path are always clean; only the slug can stray
            safe[category] = _fits(site.output, urls.post_path(category, head.published_at, head.id, tz)) \
                and _fits(site.output, urls.category_path(category))
        if not safe[category]:
            continue
        path = urls.post_path(category, head.published_at, head.id, tz)
        ref = ArticleRef(source=shared.setdefault(head.source, head.source), id=head.id,
                         outlet=shared.setdefault(head.outlet, head.outlet),
                         category=shared.setdefault(category, category), title=head.title,
                         published_at=head.published_at, revision=head.revision, path=path)
        order = (head.first_seen_at, head.source, head.id)
        held = owners.get(path)
        if held is None:
            owners[path] = (order, ref)
            continue
        (kept_order, kept), lost = (held, ref) if held[0] <= order else ((order, ref), held[1])
        owners[path] = (kept_order, kept)
        log.warning("%s/%s and %s/%s both map to %s; kept %s/%s (stored first)",
                    kept.source, kept.id, lost.source, lost.id, path, kept.source, kept.id)
    refs = [ref for _, ref in owners.values()]
    # stream order is newest first already, unless a collision swapped in an older ref
    refs.sort(key=lambda r: (r.published_at, r.source, r.id), reverse=True)
    return refs


def plan_site(store: Store, site: SiteConfig, chrome: Chrome, salt: str) -> SitePlan:
    """Gather every page of the site without rendering any; raises StoreError."""
    tz = site.tz
    refs = claim_paths(store, site)
    by_category: dict[str, list[ArticleRef]] = {}
    by_day: dict[str, list[ArticleRef]] = {}
    for ref in reversed(refs):  # oldest first
        by_category.setdefault(ref.category, []).append(ref)
        by_day.setdefault(day_path(ref.path), []).append(ref)
    # the name an outlet page carries is its own outlet's, as the store assigned the slug
    names = {info.slug: info.outlet for info in store.categories()
             if _fits(site.output, urls.category_path(info.slug))}
    for slug, members in by_category.items():
        names.setdefault(slug, members[-1].outlet)
    titles = {slug: outlet_title(names[slug]) for slug in sorted(names)}
    links = {slug: OutletLink(title=titles[slug], href=urls.href(urls.category_path(slug)),
                              count=len(by_category.get(slug, ()))) for slug in titles}

    def key(*parts: object) -> str:
        return digest(salt, *parts)

    pages: list[PageSpec] = []
    for slug in titles:
        pages.extend(_outlet_pages(slug, names[slug], titles[slug], by_category.get(slug, []),
                                   site, chrome, key))
    pages.extend(_day_pages(by_day, chrome, tz, key))
    pages.append(_archive_index(by_day, chrome, key))
    also, story_of = _stories(store, refs)
    pages.append(_home(refs, by_category, links, site, chrome, key, story_of))
    outlets = tuple(links.values())
    pages.append(PageSpec(urls.NOT_FOUND, "404.html", key("404", outlets),
                          lambda: NotFoundPage(chrome=chrome, title="页面不存在", outlets=outlets)))

    feeds = [_feed(urls.ATOM, urls.JSON_FEED, site.title, "", tuple(refs[:site.feed_entries]), key)]
    for slug in titles:
        newest = tuple(reversed(by_category.get(slug, [])[-site.feed_entries:]))
        feeds.append(_feed(outlet_atom_path(slug), outlet_json_path(slug), f"{titles[slug]} - {site.title}",
                           urls.category_path(slug), newest, key))
    return SitePlan(salt=salt, pages=tuple(pages), feeds=tuple(feeds),
                    articles={ref.key: ref for ref in refs}, by_category=by_category, outlet_titles=titles,
                    also=also)


def _stories(store: Store, refs: list[ArticleRef]) -> tuple[dict[tuple[str, str], tuple[AlsoReport, ...]],
                                                            dict[tuple[str, str], tuple[str, str]]]:
    """Per article, the other reports of its story; and each grouped article's story key."""
    from newsdesk.site.feeds import http_link

    pages = {ref.key: ref for ref in refs}
    also: dict[tuple[str, str], tuple[AlsoReport, ...]] = {}
    story_of: dict[tuple[str, str], tuple[str, str]] = {}
    for story, members in store.all_story_members().items():
        for member in members:
            if member.exact or (member.source, member.id) not in pages:
                continue
            story_of[(member.source, member.id)] = story
            also[(member.source, member.id)] = tuple(
                AlsoReport(outlet=other.outlet, title=other.title,
                           href=urls.href(pages[(other.source, other.id)].path)
                           if not other.exact and (other.source, other.id) in pages else http_link(other.link))
                for other in members if (other.source, other.id) != (member.source, member.id))
    return also, story_of


def _feed(atom: str, json_path: str, title: str, home: str, entries: tuple[ArticleRef, ...],
          key: Callable[..., str]) -> FeedSpec:
    return FeedSpec(atom, json_path, title, home, entries,
                    key("feed", atom, json_path, title, home, [(r.source, r.id, r.revision, r.path) for r in entries]))


def _outlet_pages(slug: str, outlet: str, title: str, members: list[ArticleRef], site: SiteConfig,
                  chrome: Chrome, key: Callable[..., str]) -> list[PageSpec]:
    """The entry page (newest articles, full pager) and the stable numbered pages, oldest first."""
    tz, per = site.tz, site.per_page
    count = len(members)
    last = (count + per - 1) // per  # numbered pages; 0 when the outlet has no article
    entry = urls.category_path(slug)
    feed, json_feed = urls.href(outlet_atom_path(slug)), urls.href(outlet_json_path(slug))

    def link(number: int) -> NavLink:
        return NavLink(f"第 {number} 页", urls.href(outlet_page_path(slug, number)))

    def page(heading: str, chunk: list[ArticleRef], newer: NavLink | None, older: NavLink | None,
             numbers: tuple[PageNumber, ...]) -> Callable[[], OutletPage]:
        return lambda: OutletPage(chrome=chrome, title=title, outlet=outlet, heading=heading,
                                  items=tuple(list_item(r, tz) for r in reversed(chunk)),
                                  newer=newer, older=older, numbers=numbers, feed_href=feed,
                                  json_feed_href=json_feed, entry_href=urls.href(entry))

    specs: list[PageSpec] = []
    newest = members[-per:]
    older_than_entry = link((count - per - 1) // per + 1) if count > per else None
    numbers = tuple(PageNumber(n, urls.href(outlet_page_path(slug, n)), False) for n in range(1, last + 1))
    specs.append(PageSpec(entry, "outlet.html",
                          key("outlet", slug, title, outlet, [r.mark for r in newest], older_than_entry, numbers),
                          page(title, newest, None, older_than_entry, numbers)))
    for number in range(1, last + 1):
        chunk = members[(number - 1) * per:number * per]
        newer = link(number + 1) if number < last else None
        older = link(number - 1) if number > 1 else None
        heading = f"{title} · 第 {number} 页"
        specs.append(PageSpec(outlet_page_path(slug, number), "outlet.html",
                              key("outlet-page", slug, title, outlet, number, [r.mark for r in chunk], newer, older),
                              page(heading, chunk, newer, older, ())))
    return specs


def _day_title(path: str) -> str:
    _, year, month, day = path.removesuffix(".html").split("/")
    return f"{year}年{month}月{day}日"


def _day_pages(by_day: dict[str, list[ArticleRef]], chrome: Chrome, tz: tzinfo,
               key: Callable[..., str]) -> list[PageSpec]:
    days = sorted(by_day)
    specs = []
    for index, path in enumerate(days):
        members = by_day[path]
        earlier = NavLink(_day_title(days[index - 1]), urls.href(days[index - 1])) if index > 0 else None
        later = NavLink(_day_title(days[index + 1]), urls.href(days[index + 1])) if index + 1 < len(days) else None
        title = f"{_day_title(path)}的文章"

        def context(members: list[ArticleRef] = members, earlier: NavLink | None = earlier,
                    later: NavLink | None = later, title: str = title) -> DayPage:
            return DayPage(chrome=chrome, title=title, items=tuple(list_item(r, tz) for r in reversed(members)),
                           earlier=earlier, later=later)

        specs.append(PageSpec(path, "day.html", key("day", path, [r.mark for r in members], earlier, later), context))
    return specs


def _archive_index(by_day: dict[str, list[ArticleRef]], chrome: Chrome, key: Callable[..., str]) -> PageSpec:
    counts: dict[date, int] = {}
    for path, members in by_day.items():
        _, y, m, d = path.removesuffix(".html").split("/")
        counts[date(int(y), int(m), int(d))] = len(members)
    months = sorted({(d.year, d.month) for d in counts}, reverse=True)
    weekly = calendar.Calendar(firstweekday=0)
    built = []
    for year, month in months:
        weeks = tuple(
            tuple(CalendarDay(day=d, count=counts.get(date(year, month, d), 0) if d else 0,
                              href=urls.href(f"archive/{year:04d}/{month:02d}/{d:02d}.html")
                              if d and date(year, month, d) in counts else None)
                  for d in week)
            for week in weekly.monthdayscalendar(year, month))
        total = sum(c for d, c in counts.items() if (d.year, d.month) == (year, month))
        built.append(CalendarMonth(label=f"{year}年{month}月", anchor=f"m{year:04d}-{month:02d}",
                                   count=total, weeks=weeks))
    months_t, total = tuple(built), sum(counts.values())
    return PageSpec(ARCHIVE_INDEX, "archive.html", key("archive", months_t, total),
                    lambda: ArchiveIndexPage(chrome=chrome, title="文章归档", months=months_t, total=total))


def _home(refs: list[ArticleRef], by_category: dict[str, list[ArticleRef]], links: dict[str, OutletLink],
          site: SiteConfig, chrome: Chrome, key: Callable[..., str],
          story_of: dict[tuple[str, str], tuple[str, str]] | None = None) -> PageSpec:
    tz = site.tz
    # one story from several outlets is listed once, by its newest report; outlet sections keep their own
    shown: set[tuple[str, str]] = set()
    latest: list[ArticleRef] = []
    for ref in refs:
        story = (story_of or {}).get(ref.key, ref.key)
        if story in shown:
            continue
        shown.add(story)
        latest.append(ref)
        if len(latest) == site.home_latest:
            break
    sections = [(slug, list(reversed(by_category[slug][-site.home_per_outlet:]))) for slug in sorted(by_category)]
    marks = [(links[slug], [r.mark for r in members]) for slug, members in sections]

    def context() -> HomePage:
        return HomePage(chrome=chrome, title=site.title, latest=tuple(list_item(r, tz) for r in latest),
                        sections=tuple(OutletSection(outlet=links[slug], items=tuple(list_item(r, tz) for r in members))
                                       for slug, members in sections),
                        archive_href=urls.href(ARCHIVE_INDEX))

    return PageSpec(urls.HOME, "home.html", key("home", site.title, [r.mark for r in latest], marks), context)
