"""Render the static site from the store: gather page specs, render them, write what changed."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from importlib import resources
from pathlib import Path

import jinja2

from newsdesk import urls
from newsdesk.config import SiteConfig
from newsdesk.errors import OutputError
from newsdesk.models import BuildReport, SafeHtml, StoredArticle
from newsdesk.site.feeds import FeedEntry, atom_feed, feed_entry, http_link
from newsdesk.site.search import build_search_index, search_page
from newsdesk.site.write import MANIFEST, read_manifest, remove_stale, write_atomic, write_manifest
from newsdesk.store.base import Store

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
STYLESHEET = "static/style.css"
_OUTLET_SUFFIX = "新闻"  # the original mirror titled outlet pages "<outlet>新闻"


# ---------------------------------------------------------------- page contexts


@dataclass(frozen=True, slots=True)
class Chrome:
    """What every page shares: the site's name, language and fixed links."""

    site_title: str
    language: str
    description: str
    home_href: str
    feed_href: str
    css_href: str


@dataclass(frozen=True, slots=True)
class ListItem:
    """One article in a list: its title, page link, outlet and time."""

    title: str
    href: str
    outlet: str
    outlet_href: str
    time_text: str
    time_iso: str


@dataclass(frozen=True, slots=True)
class OutletLink:
    """A link to one outlet page with its article count."""

    title: str
    href: str
    count: int


@dataclass(frozen=True, slots=True)
class OutletSection:
    """An outlet's block on the home page: its latest articles and a link to the rest."""

    outlet: OutletLink
    items: tuple[ListItem, ...]


@dataclass(frozen=True, slots=True)
class HomePage:
    """index.html: the latest articles across outlets, then a section per outlet."""

    chrome: Chrome
    title: str
    latest: tuple[ListItem, ...]
    sections: tuple[OutletSection, ...]


@dataclass(frozen=True, slots=True)
class OutletPage:
    """category/<slug>.html: every article of one outlet, newest first."""

    chrome: Chrome
    title: str
    outlet: str
    items: tuple[ListItem, ...]


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """One article's page."""

    chrome: Chrome
    title: str
    outlet: str
    outlet_title: str
    outlet_href: str
    time_text: str
    time_iso: str
    author: str | None
    lead: str | None
    body_html: SafeHtml  # sanitized by clean; the one value templates mark safe
    original: str | None  # the outlet's page, only when an http(s) URL


@dataclass(frozen=True, slots=True)
class NotFoundPage:
    """404.html: a way back from a missing page."""

    chrome: Chrome
    title: str
    outlets: tuple[OutletLink, ...]


# ---------------------------------------------------------------- gathered facts


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """A light record of one stored article (no body): enough for lists and paths."""

    source: str
    id: str
    outlet: str
    category: str
    title: str
    published_at: datetime
    first_seen_at: datetime
    changed_at: datetime  # with revision, what an incremental build would compare
    revision: int
    path: str

    @property
    def key(self) -> tuple[str, str]:
        """The store's key of the article."""
        return (self.source, self.id)

    @property
    def stored_order(self) -> tuple[datetime, str, str]:
        """Which of two articles was stored first (it keeps a contested path)."""
        return (self.first_seen_at, self.source, self.id)


@dataclass(frozen=True, slots=True)
class PageSpec:
    """One page to render: where it goes, which template, with which context."""

    path: str
    template: str
    context: object


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Everything gathered before rendering: list pages and the articles that get pages."""

    pages: tuple[PageSpec, ...]
    articles: dict[tuple[str, str], ArticleRef]  # only the ones that own their path
    outlet_titles: dict[str, str]  # category slug -> page title

    @property
    def total(self) -> int:
        """Pages to write, the feed included."""
        return len(self.pages) + len(self.articles) + 1


# ---------------------------------------------------------------- helpers


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("newsdesk.site", "templates"),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def time_text(moment: datetime, tz: tzinfo) -> str:
    """`2021-12-29 20:06 +08:00`: minutes in the site's zone with its offset."""
    local = moment.astimezone(tz)
    offset = local.strftime("%z")  # "+0800"; %:z needs Python 3.12
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:5]}"


def outlet_title(outlet: str) -> str:
    """The outlet page's title, `<outlet>新闻`, without doubling a trailing 新闻."""
    return outlet if outlet.endswith(_OUTLET_SUFFIX) else outlet + _OUTLET_SUFFIX


def _chrome(site: SiteConfig) -> Chrome:
    return Chrome(site_title=site.title, language=site.language, description=site.description,
                  home_href=urls.href(urls.HOME), feed_href=urls.href(urls.ATOM),
                  css_href=urls.href(STYLESHEET))


def _list_item(ref: ArticleRef, tz: tzinfo) -> ListItem:
    local = ref.published_at.astimezone(tz)
    return ListItem(title=ref.title, href=urls.href(ref.path), outlet=ref.outlet,
                    outlet_href=urls.href(urls.category_path(ref.category)),
                    time_text=f"{local:%Y-%m-%d %H:%M}", time_iso=local.isoformat(timespec="seconds"))


# ---------------------------------------------------------------- gather


def _fits(output: Path, path: str) -> bool:
    """Whether `path` stays inside `output`; logs why not."""
    try:
        urls.resolve_inside(output, path)
    except OutputError as exc:
        log.warning("skipping a page: %s", exc)
        return False
    return True


def _claim_paths(store: Store, site: SiteConfig) -> dict[str, ArticleRef]:
    """Stream the store once; each article page path goes to the article stored first."""
    tz = site.tz
    owners: dict[str, ArticleRef] = {}
    safe: dict[str, bool] = {}
    for stored in store.iter_articles(newest_first=True):
        article = stored.article
        path = urls.post_path(article.category, article.published_at, article.id, tz)
        if article.category not in safe:
            # the date and safe_id parts of a post path are always clean; only the slug can stray
            safe[article.category] = _fits(site.output, path) \
                and _fits(site.output, urls.category_path(article.category))
        if not safe[article.category]:
            continue
        ref = ArticleRef(source=article.source, id=article.id, outlet=article.outlet,
                         category=article.category, title=article.title,
                         published_at=article.published_at, first_seen_at=stored.first_seen_at,
                         changed_at=stored.changed_at, revision=stored.revision, path=path)
        held = owners.get(path)
        if held is None:
            owners[path] = ref
            continue
        kept, lost = (held, ref) if held.stored_order <= ref.stored_order else (ref, held)
        owners[path] = kept
        log.warning("%s/%s and %s/%s both map to %s; kept %s/%s (stored first)",
                    kept.source, kept.id, lost.source, lost.id, path, kept.source, kept.id)
    return owners


def plan_site(store: Store, site: SiteConfig) -> SitePlan:
    """Gather every page of the site without rendering any; raises StoreError, OutputError."""
    tz = site.tz
    chrome = _chrome(site)
    owners = _claim_paths(store, site)
    # newest first again: the dict above is in stream order, but a collision may have swapped in an older ref
    refs = sorted(owners.values(), key=lambda r: (r.published_at, r.source, r.id), reverse=True)

    by_category: dict[str, list[ArticleRef]] = {}
    for ref in refs:
        by_category.setdefault(ref.category, []).append(ref)
    # the name an outlet page carries is its own outlet's, as the store assigned the slug
    names = {info.slug: info.outlet for info in store.categories()
             if _fits(site.output, urls.category_path(info.slug))}
    for slug, members in by_category.items():
        names.setdefault(slug, members[0].outlet)

    outlet_links = {slug: OutletLink(title=outlet_title(names[slug]),
                                     href=urls.href(urls.category_path(slug)),
                                     count=len(by_category.get(slug, ())))
                    for slug in sorted(names)}
    pages: list[PageSpec] = []
    for slug in sorted(names):
        items = tuple(_list_item(ref, tz) for ref in by_category.get(slug, ()))
        pages.append(PageSpec(urls.category_path(slug), "outlet.html",
                              OutletPage(chrome=chrome, title=outlet_links[slug].title,
                                         outlet=names[slug], items=items)))
    sections = tuple(
        OutletSection(outlet=outlet_links[slug],
                      items=tuple(_list_item(ref, tz) for ref in by_category[slug][:site.home_per_outlet]))
        for slug in sorted(by_category))
    latest = tuple(_list_item(ref, tz) for ref in refs[:site.home_latest])
    pages.append(PageSpec(urls.HOME, "home.html",
                          HomePage(chrome=chrome, title=site.title, latest=latest, sections=sections)))
    pages.append(PageSpec(urls.NOT_FOUND, "404.html",
                          NotFoundPage(chrome=chrome, title="页面不存在",
                                       outlets=tuple(outlet_links.values()))))
    return SitePlan(pages=tuple(pages), articles={ref.key: ref for ref in refs},
                    outlet_titles={slug: link.title for slug, link in outlet_links.items()})


# ---------------------------------------------------------------- render


def _article_page(stored: StoredArticle, plan: SitePlan, chrome: Chrome, tz: tzinfo) -> ArticlePage:
    article = stored.article
    return ArticlePage(
        chrome=chrome, title=article.title, outlet=article.outlet,
        outlet_title=plan.outlet_titles.get(article.category, outlet_title(article.outlet)),
        outlet_href=urls.href(urls.category_path(article.category)),
        time_text=time_text(article.published_at, tz),
        time_iso=article.published_at.astimezone(tz).isoformat(timespec="seconds"),
        author=article.author or None, lead=article.lead or None, body_html=article.body_html,
        original=http_link(article.link),
    )


def render_site(store: Store, site: SiteConfig, plan: SitePlan,
                now: datetime | None = None) -> Iterator[tuple[str, bytes]]:
    """Yield (path, bytes) for every planned page, streaming article bodies from the store."""
    env = _environment()
    tz = site.tz
    chrome = _chrome(site)

    def render(template: str, context: object) -> bytes:
        return env.get_template(template).render(page=context).encode("utf-8")

    for spec in plan.pages:
        yield spec.path, render(spec.template, spec.context)
    feed: list[tuple[StoredArticle, FeedEntry]] = []
    for stored in store.iter_articles(newest_first=True):
        ref = plan.articles.get((stored.article.source, stored.article.id))
        if ref is None:
            continue  # lost its path to an earlier article, or arrived after planning
        if len(feed) < site.feed_entries:
            feed.append((stored, feed_entry(stored, ref.path, site)))
        yield ref.path, render("article.html", _article_page(stored, plan, chrome, tz))
    yield urls.ATOM, render("feed.xml", atom_feed(feed, site, now))


def _static_files() -> Iterator[tuple[str, bytes]]:
    """The stylesheet and any other file shipped in site/static/."""
    folder = resources.files("newsdesk.site").joinpath("static")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_file() and not entry.name.startswith("."):
            yield f"static/{entry.name}", entry.read_bytes()


# ---------------------------------------------------------------- write


def build_site(store: Store, site: SiteConfig, *, progress: Progress | None = None,
               now: datetime | None = None) -> BuildReport:
    """Render every page into site.output; raises OutputError.

    Only files whose bytes changed are rewritten; files the previous build wrote and
    this one did not are removed (files it never wrote are left alone).
    """
    started = time.monotonic()
    output = Path(site.output)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{output}: cannot create the output folder: {exc.strerror or exc}") from exc

    plan = plan_site(store, site)
    static = list(_static_files())
    total = plan.total + len(static)
    previous = read_manifest(output)
    article_paths = {ref.path for ref in plan.articles.values()}
    planned = {spec.path for spec in plan.pages} | article_paths | {urls.ATOM} | {p for p, _ in static}
    if MANIFEST in planned:
        raise OutputError(f"{output}: a page would overwrite the build manifest {MANIFEST}")
    # a crash mid-build must not forget files either build owns, so list both first
    write_manifest(output, previous | planned)

    written = unchanged = 0
    produced: set[str] = set()
    if progress is not None:
        progress(0, total)
    for path, data in itertools.chain(render_site(store, site, plan, now), static):
        if path in produced:
            raise OutputError(f"{output}: two pages claim {path}")
        target = urls.resolve_inside(output, path)
        if write_atomic(target, data):
            written += 1
        else:
            unchanged += 1
        produced.add(path)
        if progress is not None:
            progress(min(len(produced), total), total)

    # search: re-indexes only the months whose articles changed (site/search.py); the report counts pages
    searched = build_search_index(store, plan.articles.values(), site.tz, output,
                                  _environment().get_template("search.html")
                                  .render(page=search_page(_chrome(site))).encode("utf-8"))
    produced.update(searched.files)

    removed = remove_stale(output, previous - produced)
    write_manifest(output, produced)
    if progress is not None:
        progress(total, total)
    return BuildReport(written=written, unchanged=unchanged, removed=removed,
                       articles=len(produced & article_paths),
                       elapsed_s=time.monotonic() - started, output=str(output))

