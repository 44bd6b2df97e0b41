"""Plan pages from article refs: every page's path, the key of its inputs, and how to render it.

A page's key is a hash of everything the page shows, computed without rendering it,
so a build renders only the pages whose key differs from the recorded one. An
article's revision stands for its content (the store bumps it on every change), so
keys never need article bodies. The refs come from the build state (site/state.py):
`sync_refs` records every stored article once, `apply_changes` only the ones the store
changed since the last build, and says which outlets, days and articles they touch.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from functools import lru_cache

from newsdesk import urls
from newsdesk.config import SiteConfig
from newsdesk.errors import OutputError
from newsdesk.models import ArticleHead
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
    NewestPage,
    NotFoundPage,
    OutletLink,
    OutletPage,
    OutletSection,
    PageNumber,
    digest,
)
from newsdesk.site.state import BuildState, RefRow, parse_time, time_key
from newsdesk.site.write import OutputFolder
from newsdesk.store.base import Store

log = logging.getLogger(__name__)

ARCHIVE_INDEX = "archive/index.html"
LATEST = "latest.json"
ROBOTS = "robots.txt"
NEWEST_PAGE = "outlet_newest.html"  # the template of an outlet's newest numbered page (see outlet_pages)
_OUTLET_SUFFIX = "新闻"  # the original mirror titled outlet pages "<outlet>新闻"
_REF_BATCH = 2_000  # refs per insert while recording every article


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


def ref_of(row: RefRow) -> ArticleRef:
    """An ArticleRef from a state row."""
    source, article_id, outlet, category, title, published, revision, path = row
    return ArticleRef(source=source, id=article_id, outlet=outlet, category=category, title=title,
                      published_at=parse_time(published), revision=revision, path=path)


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


def outlet_title(outlet: str) -> str:
    """The outlet page's title, `<outlet>新闻`, without doubling a trailing 新闻."""
    return outlet if outlet.endswith(_OUTLET_SUFFIX) else outlet + _OUTLET_SUFFIX


def day_path(post_path: str) -> str:
    """The day archive page of a post path `<cat>/<YYYY>/<MM>/<DD>/<id>.html`."""
    return day_page(day_of_path(post_path))


def day_of_path(post_path: str) -> str:
    """The day `YYYY-MM-DD` of a post path."""
    _, year, month, day, _ = post_path.split("/", 4)
    return f"{year}-{month}-{day}"


def day_page(day: str) -> str:
    """The archive page of a day `YYYY-MM-DD`."""
    return f"archive/{day[:4]}/{day[5:7]}/{day[8:10]}.html"


def outlet_page_path(slug: str, number: int) -> str:
    """One stable numbered page of an outlet: page 1 holds its oldest articles."""
    return f"category/{slug}/page/{number}.html"


def outlet_atom_path(slug: str) -> str:
    """An outlet's Atom feed."""
    return f"category/{slug}.xml"


def outlet_json_path(slug: str) -> str:
    """An outlet's JSON Feed."""
    return f"category/{slug}.json"


def minute_text(local: datetime) -> str:
    """`2021-12-29 20:06`: strftime's %Y-%m-%d %H:%M, without strftime (twice as fast)."""
    return f"{local.year}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


@lru_cache(maxsize=8192)  # one process often lists an article twice: its outlet's page, its day, home
def list_item(ref: ArticleRef, tz: tzinfo) -> ListItem:
    """How a list shows one article."""
    local = ref.published_at.astimezone(tz)
    return ListItem(title=ref.title, href=urls.href(ref.path), outlet=ref.outlet,
                    outlet_href=urls.href(urls.category_path(ref.category)),
                    time_text=minute_text(local), time_iso=local.isoformat(timespec="seconds"))


def _fits(folder: OutputFolder, path: str) -> bool:
    """Whether `path` stays inside the output folder; logs why not."""
    try:
        folder.resolve(path)
    except OutputError as exc:
        log.warning("skipping a page: %s", exc)
        return False
    return True


# ---------------------------------------------------------------- refs in the build state


class _Rows:
    """Turns article heads into state rows: page path, day and whether the outlet's paths are safe."""

    def __init__(self, site: SiteConfig) -> None:
        self.site = site
        self._folder = OutputFolder(site.output)
        self._safe: dict[str, bool] = {}

    def safe(self, category: str, sample: ArticleHead) -> bool:
        """Whether the outlet's pages stay inside the output folder (only the slug can stray)."""
        found = self._safe.get(category)
        if found is None:
            tz = self.site.tz
            found = self._safe[category] = (
                _fits(self._folder, urls.post_path(category, sample.published_at, sample.id, tz))
                and _fits(self._folder, urls.category_path(category)))
        return found

    def row(self, head: ArticleHead,
            story: tuple[str, str] | None) -> tuple[str, str, str, str, str, str, int, str, str, str, int, str]:
        path = day = ""
        if self.safe(head.category, head):
            path = urls.post_path(head.category, head.published_at, head.id, self.site.tz)
            day = day_of_path(path)
        return (head.source, head.id, head.outlet, head.category, head.title, time_key(head.published_at),
                head.revision, path, day, time_key(head.first_seen_at), int(bool(path)),
                "" if story is None else f"{story[0]}\x1f{story[1]}")


def _settle(state: BuildState, path: str) -> list[tuple[tuple[str, str], bool]]:
    """Give `path` to the article stored first; returns the articles whose ownership flipped."""
    flipped = []
    claimants = state.claimants(path)
    for index, (_, source, article_id, owner) in enumerate(claimants):
        if bool(owner) != (index == 0):
            state.set_owner(source, article_id, index == 0)
            flipped.append(((source, article_id), index == 0))
    if len(claimants) > 1:
        kept = claimants[0]
        for _, source, article_id, _ in claimants[1:]:
            log.warning("%s/%s and %s/%s both map to %s; kept %s/%s (stored first)",
                        kept[1], kept[2], source, article_id, path, kept[1], kept[2])
    return flipped


def sync_refs(store: Store, state: BuildState, site: SiteConfig, *, keep_entries: bool = False) -> None:
    """Record every stored article afresh (a full plan); raises StoreError, OutputError.

    `keep_entries`: the cached feed entries were made with today's settings from this store, so the
    ones whose article is still the same version at the same place stay (a `build --full` of an
    unchanged site rewrites no feed, and the updates after it would otherwise render whole feeds).
    """
    state.clear_refs(keep_entries=keep_entries)
    stories = store.story_keys()
    rows = _Rows(site)
    batch = []
    for head in store.iter_heads():
        batch.append(rows.row(head, stories.get((head.source, head.id))))
        if len(batch) == _REF_BATCH:
            state.put_refs(batch)
            batch = []
    state.put_refs(batch)
    state.index_refs()
    if keep_entries:
        state.drop_unmatched_entries()
    for path in state.shared_paths():
        _settle(state, path)


@dataclass
class Touched:
    """What the store's changes since the last build touch."""

    keys: set[tuple[str, str]] = field(default_factory=set)  # articles whose own page may differ
    categories: set[str] = field(default_factory=set)  # outlets whose lists changed
    days: set[str] = field(default_factory=set)  # days (YYYY-MM-DD) whose lists changed
    # (category, published, source, id): where an article left or joined an outlet's list
    positions: list[tuple[str, str, str, str]] = field(default_factory=list)
    old_paths: set[str] = field(default_factory=set)  # pages an article owned before the change
    stories: set[str] = field(default_factory=set)  # stories an article left or joined
    growth: dict[str, int] = field(default_factory=dict)  # per outlet: page-owning articles gained (or lost)
    day_growth: dict[str, int] = field(default_factory=dict)  # the same per day

    def record(self, row: RefRow, day: str, side: int) -> None:
        """Note one side of a page-owning article's change: -1 before it, +1 after it."""
        source, article_id, _, category, _, published, _, _ = row
        self.categories.add(category)
        self.days.add(day)
        self.positions.append((category, published, source, article_id))
        self.growth[category] = self.growth.get(category, 0) + side
        self.day_growth[day] = self.day_growth.get(day, 0) + side


def apply_changes(store: Store, state: BuildState, site: SiteConfig, heads: list[ArticleHead]) -> Touched:
    """Record the changed articles in the state; returns what they touch. Raises StoreError, OutputError."""
    touched = Touched()
    keys = [(h.source, h.id) for h in heads]
    old = state.old_refs(keys)
    stories = store.story_keys(keys)
    rows = _Rows(site)
    new_rows = [rows.row(h, stories.get((h.source, h.id))) for h in heads]
    state.put_refs(new_rows)
    paths: set[str] = set()
    for row in new_rows:
        key = (row[0], row[1])
        touched.keys.add(key)
        if row[7]:
            paths.add(row[7])
        if row[11]:
            touched.stories.add(row[11])
        before = old.get(key)
        if before is not None:
            old_row, old_day, old_owner, old_story = before
            if old_story:
                touched.stories.add(old_story)
            if old_row[7]:
                paths.add(old_row[7])
            if old_owner:
                touched.record(old_row, old_day, -1)
                touched.old_paths.add(old_row[7])
    for path in sorted(paths):
        for key, won in _settle(state, path):
            if key not in touched.keys:  # an unchanged article that lost or won its path
                touched.keys.add(key)
                found = state.old_refs([key]).get(key)
                if found is not None and not won:
                    touched.record(found[0], found[1], -1)  # it owned the page before; its row is otherwise the same
                    touched.old_paths.add(found[0][7])
    now = state.old_refs(touched.keys)
    for key in touched.keys:
        found = now.get(key)
        if found is not None and found[2]:
            touched.record(found[0], found[1], +1)
    return touched


# ---------------------------------------------------------------- article pages


@dataclass
class Navigator:
    """Works out an article page's navigation from the state: outlet neighbours, day, story."""

    state: BuildState
    titles: dict[str, str]  # outlet slug -> outlet page title
    also: dict[tuple[str, str], tuple[AlsoReport, ...]]
    salt: str

    def nav(self, ref: ArticleRef, older: ArticleRef | None, newer: ArticleRef | None) -> ArticleNav:
        """What an article page links to, given its neighbours in its outlet."""
        return ArticleNav(
            path=ref.path, outlet_title=self.titles[ref.category],
            outlet_href=urls.href(urls.category_path(ref.category)),
            day_href=urls.href(day_path(ref.path)),
            older=NavLink(older.title, urls.href(older.path)) if older else None,
            newer=NavLink(newer.title, urls.href(newer.path)) if newer else None,
            also=self.also.get(ref.key, ()))

    def key(self, ref: ArticleRef, nav: ArticleNav) -> str:
        """The key of an article page: its revision and everything the plan adds."""
        return digest(self.salt, "article", ref.source, ref.id, ref.revision, nav)

    def outlet(self, category: str) -> Iterable[tuple[ArticleRef, ArticleNav]]:
        """Every article page of one outlet, oldest first."""
        members = [ref_of(row) for row in self.state.members(category)]
        for index, ref in enumerate(members):
            older = members[index - 1] if index > 0 else None
            newer = members[index + 1] if index + 1 < len(members) else None
            yield ref, self.nav(ref, older, newer)

    def around(self, refs: Iterable[ArticleRef]) -> Iterable[tuple[ArticleRef, ArticleNav]]:
        """The pages of some articles, with their neighbours in their outlets."""
        refs = list(refs)
        positions = [(ref.category, time_key(ref.published_at), ref.source, ref.id) for ref in refs]
        around = self.state.neighbours_of(positions)
        for ref, position in zip(refs, positions):
            older, newer = around[position]
            yield ref, self.nav(ref, ref_of(older) if older else None, ref_of(newer) if newer else None)


def nav_dirty(state: BuildState, touched: Touched) -> list[ArticleRef]:
    """The page-owning articles whose page may differ after `touched`: the touched ones, their
    old and new neighbours in their outlets, and every member of a story one of them left or joined."""
    keys: set[tuple[str, str]] = set(touched.keys)
    for pair in state.neighbours_of(touched.positions).values():
        for row in pair:
            if row is not None:
                keys.add((row[0], row[1]))
    for story in touched.stories:
        keys.update(state.story_members(story))
    found = state.old_refs(keys)
    return [ref_of(row) for row, _, owner, _ in found.values() if owner]


def story_reports(store: Store, state: BuildState) -> dict[tuple[str, str], tuple[AlsoReport, ...]]:
    """Per article, the other reports of its story ("also reported by"); raises StoreError."""
    from newsdesk.site.feeds import http_link

    stories = store.all_story_members()
    if not stories:
        return {}
    pages = {key: row[7] for key, (row, _, owner, _) in
             state.old_refs([(m.source, m.id) for ms in stories.values() for m in ms if not m.exact]).items()
             if owner}
    also: dict[tuple[str, str], tuple[AlsoReport, ...]] = {}
    for members in stories.values():
        for member in members:
            if member.exact or (member.source, member.id) not in pages:
                continue
            also[(member.source, member.id)] = tuple(
                AlsoReport(outlet=other.outlet, title=other.title,
                           href=urls.href(pages[(other.source, other.id)])
                           if not other.exact and (other.source, other.id) in pages else http_link(other.link))
                for other in members if (other.source, other.id) != (member.source, member.id))
    return also


# ---------------------------------------------------------------- list pages


def outlet_names(store: Store, state: BuildState, site: SiteConfig, counts: dict[str, int]) -> dict[str, str]:
    """Outlet slug -> outlet name for every outlet page: as the store assigned the slug."""
    folder = OutputFolder(site.output)
    names = {info.slug: info.outlet for info in store.categories() if _fits(folder, urls.category_path(info.slug))}
    for slug in counts:
        if slug not in names:
            newest = state.newest_in(slug, 1)
            if newest:
                names[slug] = newest[0][2]
    return {slug: names[slug] for slug in sorted(names)}


def outlet_links(titles: dict[str, str], counts: dict[str, int]) -> dict[str, OutletLink]:
    """How the home and 404 pages link each outlet."""
    return {slug: OutletLink(title=title, href=urls.href(urls.category_path(slug)), count=counts.get(slug, 0))
            for slug, title in titles.items()}


def feed_spec(atom: str, json_path: str, title: str, home: str, entries: tuple[ArticleRef, ...],
              key: Callable[..., str]) -> FeedSpec:
    """A feed pair with its key."""
    return FeedSpec(atom, json_path, title, home, entries,
                    key("feed", atom, json_path, title, home, [(r.source, r.id, r.revision, r.path) for r in entries]))


def outlet_feed(state: BuildState, slug: str, title: str, site: SiteConfig, key: Callable[..., str],
                newest_refs: list[ArticleRef] | None = None) -> FeedSpec:
    """One outlet's feeds over its newest articles (`newest_refs`, newest first, when the caller has them)."""
    newest = tuple(newest_refs if newest_refs is not None
                   else (ref_of(row) for row in state.newest_in(slug, site.feed_entries)))
    return feed_spec(outlet_atom_path(slug), outlet_json_path(slug), f"{title} - {site.title}",
                     urls.category_path(slug), newest, key)


def tail_start(count: int, first: int, per: int) -> int:
    """Where the articles `outlet_pages` needs begin: page `first`'s oldest, or the entry page's if earlier."""
    return max(0, min((first - 1) * per, count - per))


def outlet_pages(slug: str, outlet: str, title: str, tail: list[ArticleRef], count: int, first: int,
                 site: SiteConfig, chrome: Chrome, key: Callable[..., str]) -> list[PageSpec]:
    """The entry page (newest articles, full pager) and the numbered pages from `first` on.

    The newest numbered page, still filling, only sends readers to the entry page (which shows
    all its articles), so an arriving article rewrites one list page, not two; it gets its own
    list once a newer page starts. `tail` is the outlet's articles oldest first from position
    `tail_start(count, first, per_page)` to the end.
    """
    tz, per = site.tz, site.per_page
    last = (count + per - 1) // per  # numbered pages; 0 when the outlet has no article
    offset = tail_start(count, first, per)
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
    newest = tail[-per:] if count else []
    older_than_entry = link((count - per - 1) // per + 1) if count > per else None
    numbers = tuple(PageNumber(n, urls.href(outlet_page_path(slug, n)), False) for n in range(1, last)) \
        + ((PageNumber(last, urls.href(entry), True),) if last else ())
    specs.append(PageSpec(entry, "outlet.html",
                          key("outlet", slug, title, outlet, [r.mark for r in newest], older_than_entry, numbers),
                          page(title, newest, None, older_than_entry, numbers)))
    for number in range(first, last):
        chunk = tail[(number - 1) * per - offset:number * per - offset]
        newer = link(number + 1)  # each of these has a newer page: the newest is made below
        older = link(number - 1) if number > 1 else None
        heading = f"{title} · 第 {number} 页"
        specs.append(PageSpec(outlet_page_path(slug, number), "outlet.html",
                              key("outlet-page", slug, title, outlet, number, [r.mark for r in chunk], newer, older),
                              page(heading, chunk, newer, older, ())))
    if first <= last:
        newest_heading = f"{title} · 第 {last} 页"
        specs.append(PageSpec(outlet_page_path(slug, last), NEWEST_PAGE,
                              key("outlet-newest", slug, newest_heading, outlet, entry),
                              lambda: NewestPage(chrome=chrome, title=newest_heading, outlet=outlet,
                                                 entry_href=urls.href(entry))))
    return specs


def _day_title(day: str) -> str:
    return f"{day[:4]}年{day[5:7]}月{day[8:10]}日"


def day_spec(day: str, members: list[ArticleRef], earlier: str | None, later: str | None, chrome: Chrome,
             tz: tzinfo, key: Callable[..., str]) -> PageSpec:
    """One day's archive page; `members` oldest first, `earlier`/`later` the neighbouring days with articles."""
    path = day_page(day)
    earlier_link = NavLink(_day_title(earlier), urls.href(day_page(earlier))) if earlier else None
    later_link = NavLink(_day_title(later), urls.href(day_page(later))) if later else None
    title = f"{_day_title(day)}的文章"

    def context() -> DayPage:
        return DayPage(chrome=chrome, title=title, items=tuple(list_item(r, tz) for r in reversed(members)),
                       earlier=earlier_link, later=later_link)

    return PageSpec(path, "day.html", key("day", path, [r.mark for r in members], earlier_link, later_link), context)


def archive_index(day_counts: dict[str, int], chrome: Chrome, key: Callable[..., str]) -> PageSpec:
    """archive/index.html: a month calendar per month with articles, newest first."""
    counts = {date.fromisoformat(day): count for day, count in day_counts.items()}
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


def home(state: BuildState, titles: dict[str, str], links: dict[str, OutletLink], site: SiteConfig,
         chrome: Chrome, key: Callable[..., str]) -> PageSpec:
    """The home page: the newest stories across outlets, then the latest few of every outlet."""
    tz = site.tz
    # one story from several outlets is listed once, by its newest report; outlet sections keep their own
    shown: set[str] = set()
    latest: list[ArticleRef] = []
    offset = 0
    while len(latest) < site.home_latest:
        rows = state.newest(site.home_latest * 2, offset)
        if not rows:
            break
        offset += len(rows)
        stories = state.story_of([(r[0], r[1]) for r in rows])
        for row in rows:
            story = stories.get((row[0], row[1])) or f"{row[0]}\x1f{row[1]}"
            if story in shown:
                continue
            shown.add(story)
            latest.append(ref_of(row))
            if len(latest) == site.home_latest:
                break
    sections = [(slug, [ref_of(row) for row in state.newest_in(slug, site.home_per_outlet)])
                for slug in titles if links[slug].count]
    marks = [(links[slug], [r.mark for r in members]) for slug, members in sections]

    def context() -> HomePage:
        return HomePage(chrome=chrome, title=site.title, latest=tuple(list_item(r, tz) for r in latest),
                        sections=tuple(OutletSection(outlet=links[slug], items=tuple(list_item(r, tz) for r in members))
                                       for slug, members in sections),
                        archive_href=urls.href(ARCHIVE_INDEX))

    return PageSpec(urls.HOME, "home.html", key("home", site.title, [r.mark for r in latest], marks), context)


def not_found(links: dict[str, OutletLink], chrome: Chrome, key: Callable[..., str]) -> PageSpec:
    """404.html."""
    outlets = tuple(links.values())
    return PageSpec(urls.NOT_FOUND, "404.html", key("404", outlets),
                    lambda: NotFoundPage(chrome=chrome, title="页面不存在", outlets=outlets))


def days_around(days: list[str], changed: Collection[str]) -> set[str]:
    """The days in sorted `days` next to each of `changed` (present or not): their earlier/later links."""
    import bisect

    near: set[str] = set()
    for day in changed:
        index = bisect.bisect_left(days, day)
        if index > 0:
            near.add(days[index - 1])
        after = index + 1 if index < len(days) and days[index] == day else index
        if after < len(days):
            near.add(days[after])
    return near
