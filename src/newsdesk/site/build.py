"""Build the static site from the store: plan the pages a change touches, render what changed, write atomically.

The build state (site/state.py, `.newsdesk-build.db` in the output folder) records each
file the build owns with the key of its inputs, and a light row per article. A build
asks the store which articles changed since the last one (the store stamps every write
with a change number), plans only the outlets, days and articles those touch, and
renders a page only when its key differs; `full`, a changed template or setting, or a
build that did not finish plans every page. Each file is written atomically and only
when its bytes change; the state is committed last, after one flush to disk, so any
sequence of builds, crashed ones included, converges on the tree one full build makes.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from newsdesk import urls
from newsdesk.config import SiteConfig
from newsdesk.errors import OutputError
from newsdesk.models import BuildReport, StoredArticle
from newsdesk.site.forked import Claims, Forked
from newsdesk.site.feeds import (
    RenderedEntry,
    atom_feed,
    entry_updated,
    feed_entry,
    http_link,
    json_feed,
    json_item,
)
from newsdesk.site.pages import ArticleNav, ArticlePage, Chrome, OutletLink, digest
from newsdesk.site.plan import (
    ARCHIVE_INDEX,
    LATEST,
    NEWEST_PAGE,
    ROBOTS,
    ArticleRef,
    FeedSpec,
    Navigator,
    PageSpec,
    Touched,
    apply_changes,
    archive_index,
    day_page,
    day_spec,
    days_around,
    feed_spec,
    home,
    minute_text,
    nav_dirty,
    not_found,
    outlet_feed,
    outlet_links,
    outlet_names,
    outlet_page_path,
    outlet_pages,
    outlet_title,
    ref_of,
    story_reports,
    sync_refs,
    tail_start,
)
from newsdesk.site.render import (
    SEARCH_BOX,
    ArticleJob,
    CodeCache,
    compile_templates,
    environment,
    has_template,
    render,
    render_articles,
    render_text,
    static_files,
    template_sources,
)
from newsdesk.site.search import (
    SEARCH_SCRIPT,
    VECTOR_FROM,
    remove_search_index,
    search_page,
    start_search_index,
)
from newsdesk.site.state import LEGACY_MANIFEST, STATE_FILE, BuildState, parse_time, time_key
from newsdesk.site.status import STATUS_HTML, STATUS_JSON, write_status
from newsdesk.site.write import EarlyFlush, OutputFolder, WriteBatch, flush_to_disk, read_legacy_manifest, remove_stale
from newsdesk.store.base import Store

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
STYLESHEET = "static/style.css"
FEED_ENTRY = "feed_entry.xml"  # one <entry>, rendered once per article version and cached
LIVE_SCRIPT = "static/live.js"
SITEMAP_DIR = "sitemaps"
SITEMAP_CHUNK = 10_000  # URLs per sitemap file; the protocol allows 50,000
STATUS_FILES = (STATUS_HTML, STATUS_JSON)
MANIFEST_NAMES = frozenset({STATE_FILE, f"{STATE_FILE}-journal", LEGACY_MANIFEST})
_CHUNK = 200  # article pages per worker task
_PARALLEL_FROM = 1_000  # fewer article pages than this render in-process: a pool costs more than it saves
_ENTRY_BATCH = 1_000  # feed entries (each ~2.5x its body) held before they go to the state
# what the outlet worker renders: compiled by the build first, so the state caches their bytecode
_WORKER_TEMPLATES = ("outlet.html", NEWEST_PAGE, "_layout.html", "_lists.html", SEARCH_BOX, "feed.xml", FEED_ENTRY)
_PARALLEL_OUTLETS = 20  # outlets whose pages a worker renders while the build does the rest
_PUBLISH_EARLY = 12  # outlets left when the outlet worker renames its pages into place (A/B: -7 ms an update)
_NO_OFFSET = timedelta(0)
_FORMAT = "8"  # bump when a change to the build code (not templates) alters output bytes

__all__ = ["ArticleRef", "Chrome", "build_site", "time_text"]


def time_text(moment: datetime, tz: tzinfo) -> str:
    """`2021-12-29 20:06 +08:00`: minutes in the site's zone with its offset."""
    local = moment.astimezone(tz)
    # strftime's %Y-%m-%d %H:%M and %z, written without it (twice as fast; every article page shows one)
    seconds = int((local.utcoffset() or _NO_OFFSET).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)  # whole minutes of the offset, as %z cuts them
    return f"{minute_text(local)} {sign}{hours:02d}:{minutes:02d}"


def _chrome(site: SiteConfig, env: jinja2.Environment) -> Chrome:
    return Chrome(site_title=site.title, language=site.language, description=site.description,
                  home_href=urls.href(urls.HOME), feed_href=urls.href(urls.ATOM),
                  json_feed_href=urls.href(urls.JSON_FEED), css_href=urls.href(STYLESHEET),
                  archive_href=urls.href("archive/index.html"), latest_href=urls.href(LATEST),
                  live_js_href=urls.href(LIVE_SCRIPT), poll_s=site.latest_poll_s,
                  search_box=site.search and has_template(env, SEARCH_BOX))


def _salt(site: SiteConfig, env: jinja2.Environment, chrome: Chrome) -> str:
    """What every page depends on besides its own data: settings, templates, build format."""
    # the output folder is where, not what: two folders built from one store get one manifest
    # (workers changes how fast, not what; the theme's files are hashed through the environment)
    settings = replace(site, output=Path("."), theme=None, workers=0)
    return digest(_FORMAT, settings, chrome, template_sources(env))


def _article_page(stored: StoredArticle, nav: ArticleNav, chrome: Chrome, tz: tzinfo) -> ArticlePage:
    article = stored.article
    return ArticlePage(
        chrome=chrome, title=article.title, outlet=article.outlet, nav=nav,
        time_text=time_text(article.published_at, tz),
        time_iso=article.published_at.astimezone(tz).isoformat(timespec="seconds"),
        author=article.author or None, lead=article.lead or None, body_html=article.body_html,
        original=http_link(article.link),
    )


# ---------------------------------------------------------------- small generated files


def _latest_json(newest: ArticleRef | None, count: int, site: SiteConfig) -> bytes:
    """latest.json: what pages poll to learn that new articles arrived."""
    data = {"count": count,
            "newest": None if newest is None else {
                "id": f"{newest.source}/{newest.id}", "url": urls.href(newest.path), "title": newest.title,
                "published": newest.published_at.astimezone(site.tz).isoformat(timespec="seconds")}}
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _robots(site: SiteConfig) -> bytes:
    return f"User-agent: *\nAllow: /\nSitemap: {urls.absolute(site.base_url, urls.SITEMAP)}\n".encode()


def _urlset(locations: Iterable[str]) -> bytes:
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    lines.extend(f"<url><loc>{_xml_escape(loc)}</loc></url>" for loc in locations)
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunk_path(number: int) -> str:
    return f"{SITEMAP_DIR}/articles-{number}.xml"


def _sitemap_index(site: SiteConfig, chunks: int) -> bytes:
    """sitemap.xml: the list pages' sitemap, then the article sitemaps oldest first (stable chunks)."""
    parts = [f"{SITEMAP_DIR}/pages.xml"] + [_chunk_path(n) for n in range(1, chunks + 1)]
    index = ['<?xml version="1.0" encoding="utf-8"?>',
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    index.extend(f"<sitemap><loc>{_xml_escape(urls.absolute(site.base_url, path))}</loc></sitemap>"
                 for path in parts)
    index.append("</sitemapindex>\n")
    return "\n".join(index).encode("utf-8")


def _pages_sitemap(site: SiteConfig, titles: dict[str, str], counts: dict[str, int], days: list[str]) -> bytes:
    """Every list page: home, each outlet's entry and numbered pages, each day, the archive."""
    base, per = site.base_url, site.per_page
    pages = [urls.absolute(base, "")]
    for slug in titles:
        pages.append(urls.absolute(base, urls.category_path(slug)))
        last = (counts.get(slug, 0) + per - 1) // per
        # the newest numbered page only sends readers to the entry page (plan.outlet_pages)
        pages.extend(urls.absolute(base, outlet_page_path(slug, n)) for n in range(1, last))
    pages.extend(urls.absolute(base, day_page(day)) for day in days)
    pages.append(urls.absolute(base, ARCHIVE_INDEX))
    return _urlset(pages)


# ---------------------------------------------------------------- build


@dataclass
class _Tally:
    written: int = 0
    unchanged: int = 0
    done: int = 0
    total: int = 0


class _StateDays:
    """The search index's view of the articles: per-day counts and refs, read from the build state."""

    def __init__(self, state: BuildState, counts: dict[str, int]) -> None:
        self._state = state
        self._counts = counts

    def day_counts(self) -> Mapping[str, int]:
        return self._counts

    def day_refs(self, days: Collection[str]) -> Iterable[ArticleRef]:
        return [ref_of(row) for row in self._state.day_members(days)]


class _Pool:
    """Worker processes for the build, started on first use and shared by article pages and search."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.others = 0  # processes of the build besides this pool's (its outlet worker): the pool has fewer
        self._pool: ProcessPoolExecutor | None = None
        self.warm: Callable[[], object] | None = None  # imports every worker needs: made once, before forking

    def __call__(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # imported here: builds that start no worker (most updates of a small site) skip ~7 ms
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            if self.warm is not None:
                self.warm()

            # fork: workers start at once and inherit the imported modules; they only render and write
            self._pool = ProcessPoolExecutor(max_workers=max(1, self.workers - self.others),
                                             mp_context=get_context("fork"))
        return self._pool

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers, cancelling queued work; with `wait`, until running work and the processes end.

        Not waiting saved ~5 ms an update, once all their work is collected: the executor's
        own thread reaps them, and the interpreter's exit waits for that thread.
        """
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None


def _write_articles(pages: Iterator[ArticlePage], output: Path, site: SiteConfig, salt: str, count: int,
                    tally: _Tally, tick: Callable[[int], None], pool: _Pool, env: jinja2.Environment,
                    folder: OutputFolder, batch: WriteBatch) -> None:
    """Render and write article pages, in worker processes when there are many."""

    def here(chunk: Iterable[ArticlePage]) -> None:  # in this process, with the build's own (cached) templates
        for page in chunk:
            if batch.write(folder.resolve(page.nav.path), render(env, "article.html", page)):
                tally.written += 1
            else:
                tally.unchanged += 1
            tick(1)

    if pool.workers < 2 or count < _PARALLEL_FROM:
        here(pages)
        return
    # the workers compile their own; compiled here too, the state keeps its bytecode for the next update
    compile_templates(env, ["article.html"])
    pending: list[Future[tuple[int, int]]] = []
    chunk: list[ArticlePage] = []

    def collect(limit: int) -> None:
        while len(pending) > limit:
            written, unchanged = pending.pop(0).result()
            tally.written += written
            tally.unchanged += unchanged
            tick(written + unchanged)

    for page in pages:
        chunk.append(page)
        if len(chunk) == _CHUNK:
            while pending and pending[0].done():
                collect(len(pending) - 1)
            # bounded: bodies in flight stay a few chunks, not the whole site. With that many out, this
            # process renders the chunk itself rather than wait (the pool may be busy with other work)
            if len(pending) < pool.workers * 2:
                pending.append(pool().submit(render_articles, ArticleJob(output, site.theme, tuple(chunk), salt)))
            else:
                here(chunk)
            chunk = []
    if chunk:
        pending.append(pool().submit(render_articles, ArticleJob(output, site.theme, tuple(chunk), salt)))
    collect(0)


def _feed_entries(store: Store, state: BuildState, refs: tuple[ArticleRef, ...], site: SiteConfig,
                  env: jinja2.Environment, made: list[tuple[str, str, int, str, str, str, str]]
                  ) -> list[RenderedEntry]:
    """The entries of a feed, newest first: from the state's cache, or rendered from the stored articles
    (added to `made`, which the build hands to the state cache in batches)."""
    cached = state.entries([ref.key for ref in refs])
    missing = [ref.key for ref in refs if cached.get(ref.key, (0, ""))[:2] != (ref.revision, ref.path)]
    stale = set(missing)
    found = store.get_articles(missing) if missing else {}  # one query for the feed's new entries
    entries: list[RenderedEntry] = []
    for ref in refs:
        stored = found.get(ref.key)
        if stored is not None:
            values = feed_entry(stored, ref.path, site)
            entry = RenderedEntry(entry_updated(stored), render_text(env, FEED_ENTRY, values), json_item(values))
            # U+001F separates the parts: XML 1.0 cannot hold it and JSON escapes it. Not compressed:
            # compressing cost ~22 us an entry and inflating ~8 us, against ~2 KB more per entry on disk
            text = "\x1f".join((time_key(entry.updated), entry.atom, entry.json))
            made.append((ref.source, ref.id, ref.revision, ref.path, text, ref.category, time_key(ref.published_at)))
            entries.append(entry)
        elif ref.key in cached and ref.key not in stale:
            moment, atom, item = cached[ref.key][2].split("\x1f")
            entries.append(RenderedEntry(parse_time(moment), atom, item))
    return entries


def _feed_files(store: Store, state: BuildState, spec: FeedSpec, site: SiteConfig, env: jinja2.Environment,
                now: datetime | None, made: list[tuple[str, str, int, str, str, str, str]]) -> list[tuple[str, bytes]]:
    entries = _feed_entries(store, state, spec.entries, site, env, made)
    atom = atom_feed(entries, site, now, path=spec.atom_path, title=spec.title, home_path=spec.home_path)
    return [(spec.atom_path, render(env, "feed.xml", atom)),
            (spec.json_path, json_feed(entries, site, path=spec.json_path, title=spec.title,
                                       home_path=spec.home_path))]


@dataclass(frozen=True, slots=True)
class _Part:
    """What a worker's share of a build did, for the build to record."""

    todo: dict[str, str]
    stale: set[str]
    planned: set[str]
    floors: list[tuple[str, str, str, str]]
    written: int
    unchanged: int
    total: int


def _outlets_apart(store_path: Path, site: SiteConfig, full: bool, now: datetime | None, outlets: list[str],
                   names: dict[str, str], counts: dict[str, int], touched: Touched | None, claims: Claims) -> _Part:
    """Outlet pages and feeds in a forked worker process, with its own connections to the store and the
    state: the outlets of `outlets` it claims while the build does its other work."""
    from newsdesk.store import open_store

    started = time.perf_counter()
    with open_store(store_path) as store:
        state = BuildState(Path(site.output))
        try:
            build = _Build(store, site, state, full, None, now, reader=True)
            ready = time.perf_counter()
            done = 0
            with build.batch:
                published = False
                for index in iter(claims.take, None):
                    build._outlets([outlets[index]], names, counts, touched)
                    done += 1
                    if not published and claims.left() <= _PUBLISH_EARLY:
                        # its pages go into place while the build takes the last outlets, not after them
                        build.batch.publish()
                        published = True
            log.debug("build: outlet worker: ready in %.3f s, %d outlets in %.3f s", ready - started,
                      done, time.perf_counter() - ready)
            build.save_entries()  # before the build's final commit prunes the cache
            return _Part(todo=build.todo, stale=build.stale, planned=build.planned,
                         floors=build.floors, written=build.tally.written,
                         unchanged=build.tally.unchanged, total=build.tally.total)
        finally:
            state.close()


class _Build:
    """One run of build_site: decide the scope, plan it, render what changed, record it."""

    def __init__(self, store: Store, site: SiteConfig, state: BuildState, full: bool,
                 progress: Progress | None, now: datetime | None, *, reader: bool = False,
                 had_files: bool = True) -> None:
        self.store, self.site, self.state, self.full, self.progress, self.now = store, site, state, full, progress, now
        self.output = Path(site.output)
        # a worker (`reader`) leaves compiled templates to the build's own process (it does cache its
        # feed entries, and the build records everything else)
        self.env = environment(site.theme, CodeCache(state.template_code,
                                                     (lambda key, code: None) if reader else state.put_template_code))
        self.pool = _Pool(site.workers or os.cpu_count() or 1)
        self.worker: Forked[_Part] | None = None  # the outlet worker, while it runs
        self.claims: Claims | None = None  # the outlets it and this process share out
        self.sweep = False
        self.had_files = had_files  # whether the output folder held anything before this build
        self.leftover: tuple[list[str], dict[str, str], dict[str, int], Touched | None] = ([], {}, {}, None)
        self.names: dict[str, str] = {}  # outlet slug -> outlet name, as outlet_names() gives them
        self.chrome = _chrome(site, self.env)
        self.salt = _salt(site, self.env, self.chrome)
        self.folder = OutputFolder(self.output)
        self.batch = WriteBatch()  # published before the build waits on its outlet worker, and at its end
        self.tally = _Tally()
        self.todo: dict[str, str] = {}  # path -> key of the files this build rendered
        self.planned: set[str] = set()  # every path planned (only kept when the whole site is planned)
        self.stale: set[str] = set()
        self.entries: list[tuple[str, str, int, str, str, str, str]] = []  # feed entries made, not yet cached
        self.floors: list[tuple[str, str, str, str]] = []  # per outlet feed: its oldest entry (older ones go)
        self.total_refs = 0
        self.recorded_counts = ""
        self._lap = time.perf_counter()

    def key(self, *parts: object) -> str:
        return digest(self.salt, *parts)

    def lap(self, phase: str) -> None:
        """Log how long a phase took (`-vv` shows where a build's time goes)."""
        moment = time.perf_counter()
        log.debug("build: %s %.3f s", phase, moment - self._lap)
        self._lap = moment

    def tick(self, count: int = 1) -> None:
        self.tally.done += count
        if self.progress is not None:
            self.progress(min(self.tally.done, self.tally.total), self.tally.total)

    def put(self, path: str, data: bytes, key: str) -> None:
        if self.batch.write(self.folder.resolve(path), data):
            self.tally.written += 1
        else:
            self.tally.unchanged += 1
        self.todo[path] = key
        self.tick()

    def wanted(self, keyed: list[tuple[str, str]]) -> list[str]:
        """The paths among (path, key) pairs to render: all of them in a full build, else those whose key moved."""
        self.planned.update(path for path, _ in keyed)
        recorded = {} if self.full else self.state.keys([path for path, _ in keyed])
        todo = [path for path, key in keyed if self.full or recorded.get(path) != key]
        self.tally.unchanged += len(keyed) - len(todo)
        self.tick(len(keyed) - len(todo))
        return todo

    def run(self) -> BuildReport:
        started = time.monotonic()
        store, state, site = self.store, self.state, self.site
        upto = store.change_seq()
        store_id = str(getattr(store, "path", ""))
        recorded = state.get("seq")
        clean = state.get("clean") == "1"
        _adopt_legacy_manifest(self.output, state)
        # what every page and cached feed entry was made from: the settings and templates, and the store
        same_inputs = state.get("salt") == self.salt and state.get("store") == store_id
        # the whole site is planned when the recorded state cannot say what changed; after a build
        # that did not finish, every page is also rendered again and compared by its bytes
        everything = self.full or not clean or recorded is None or int(recorded) > upto or not same_inputs
        self.full = self.full or (recorded is not None and not clean)
        self.sweep = not clean and self.had_files
        state.put("clean", "0")  # durable before the first page is touched

        state.begin()
        try:
            touched: Touched | None = None
            if everything:
                sync_refs(store, state, site, keep_entries=same_inputs)
            else:
                touched = apply_changes(store, state, site, store.changed_heads(int(recorded or 0), upto))
                # an article that moved keeps the date it was cached under: pruning by each feed's
                # oldest entry would never reach it once it moved back out of every feed
                state.drop_entries({(source, article_id) for _, _, source, article_id in touched.positions})
            state.commit()
        except BaseException:
            state.rollback()
            raise
        self.lap("plan refs" if touched is None else f"apply {len(touched.keys)} changes")

        counts, day_counts = self._counts(touched)
        self.names = outlet_names(store, state, site, counts)
        titles = {slug: outlet_title(name) for slug, name in self.names.items()}
        if digest(titles) != state.get("titles"):
            touched = None  # an outlet's name is on all its pages
        links = outlet_links(titles, counts)
        days = sorted(day_counts)
        total_refs = self.total_refs = sum(counts.values())

        pool = self.pool
        if touched is None and site.search and total_refs >= VECTOR_FROM:
            # every process that indexes a big segment needs numpy (~30 ms to import): forked workers
            # inherit it from this process, which indexes some segments itself anyway
            pool.warm = _import_postings
        # a whole-site build writes ~18 KB per article: the disk starts on them while the build goes on
        early = EarlyFlush().start() if touched is None else None
        try:
            self.tally.total = total_refs if touched is None else 0
            if self.progress is not None:
                self.progress(0, self.tally.total)
            self.lap("outlets and days")
            # list pages first: they start the outlet worker, which then works beside everything else
            self._list_pages(titles, links, counts, days, day_counts, touched)
            self.lap("list pages and feeds")
            self._small_files(titles, counts, days, total_refs, touched)
            self.lap("small files and sitemaps")
            # the search index first: its last segments are still indexed in the pool while the article
            # pages queue behind them, so neither leaves a core idle at its end
            finish_search: Callable[[], object] | None = None
            if site.search:
                finish_search = start_search_index(
                    store, _StateDays(state, day_counts), site.tz, self.output,
                    render(self.env, "search.html", search_page(self.chrome)),
                    changed_days=None if touched is None else touched.days,
                    pool=pool if pool.workers > 1 else None, in_flight=pool.workers)
                self.lap("search index (the last segments go on in the pool)")
            else:
                remove_search_index(self.output)
                self.lap("no search: removing an index an earlier build wrote, if any")
            self._articles(titles, touched, pool)
            self.lap("article pages")
            if finish_search is not None:
                finish_search()
                self.lap("search index finished")
            # the health page (site/status.py) before the outlet worker's last outlets, so it is made
            # beside them; when pages were written, the flush below covers it too
            status = write_status(store, site, durable=not self.tally.written)
            self.batch.publish()  # this process's pages go into place while the outlet worker still works
            self._join()
            self.batch.publish()
        except BaseException:
            # a failed build waits for its workers: none of them writes on after it returns
            self._stop_worker()
            pool.close()
            self.batch.discard()
            raise
        finally:
            pool.close(wait=False)  # their work is done: the build goes on while they exit
            if self.claims is not None:
                self.claims.close()
            if early is not None:
                early.stop()
        self.lap("status page, and the outlet worker's last outlets")
        for path in status:
            self.todo[path] = "status"
        self.planned.update(status)

        if touched is None:
            stale = set(state.files()) - self.planned
        else:
            stale = set(state.keys(self.stale - set(self.todo)))
        # temp files are only left by a killed write: look for them after a build that did not finish
        removed = remove_stale(self.output, stale, sweep=self.sweep)
        if not site.status_page:
            removed += len(set(state.keys(STATUS_FILES)) - stale)
            stale.update(STATUS_FILES)
        # pages skip their own fsync; one flush makes them all durable before the state calls them done.
        # It runs beside the state's writes (os.sync releases the GIL) and ends before the commit
        flush: threading.Thread | None = None
        if self.tally.written or removed:
            flush = threading.Thread(target=flush_to_disk, name="newsdesk-flush")
            flush.start()
        state.begin()
        try:
            state.forget(stale)
            state.set_keys(self.todo.items())
            state.put_entries(self.entries)
            state.prune_entries(self.floors)
            state.put("counts", self.recorded_counts)
            state.put("seq", str(upto))
            state.put("salt", self.salt)
            state.put("store", store_id)
            state.put("titles", digest(titles))
            state.put("clean", "1")
            if flush is not None:
                flush.join()
            state.commit()
        except BaseException:
            state.rollback()
            raise
        self.lap("stale files, flush and state")
        _drop_legacy_manifest(self.output)
        if self.progress is not None:
            self.progress(self.tally.total, self.tally.total)
        unchanged = max(state.file_count() - len(status) - self.tally.written, 0)
        return BuildReport(written=self.tally.written, unchanged=unchanged, removed=removed,
                           articles=total_refs, elapsed_s=time.monotonic() - started, output=str(self.output))

    def _counts(self, touched: Touched | None) -> tuple[dict[str, int], dict[str, int]]:
        """Page-owning articles per outlet and per day: counted afresh for a whole-site plan, else the
        recorded counts moved by what the changes added and took away (a count is a scan at 100,000)."""
        state = self.state
        recorded = state.get("counts")
        if touched is None or recorded is None:
            counts, day_counts = state.category_counts(), state.day_counts()
        else:
            counts, day_counts = json.loads(recorded)
            for totals, growth in ((counts, touched.growth), (day_counts, touched.day_growth)):
                for name, change in growth.items():
                    totals[name] = totals.get(name, 0) + change
                    if totals[name] <= 0:
                        del totals[name]
        self.recorded_counts = json.dumps([counts, day_counts], ensure_ascii=False, sort_keys=True)
        return counts, day_counts

    # ------------------------------------------------------------ parts

    def _small_files(self, titles: dict[str, str], counts: dict[str, int], days: list[str], total: int,
                     touched: Touched | None) -> None:
        """Static files, latest.json, robots.txt and the sitemaps: cheap to make, so their bytes are their key."""
        site, state = self.site, self.state
        newest = state.newest(1)
        generated = [(path, data) for path, data in static_files(site.theme)
                     if site.search or path != SEARCH_SCRIPT]
        generated.append((LATEST, _latest_json(ref_of(newest[0]) if newest else None, total, site)))
        generated.append((ROBOTS, _robots(site)))
        chunks = (total + SITEMAP_CHUNK - 1) // SITEMAP_CHUNK
        generated.append((urls.SITEMAP, _sitemap_index(site, chunks)))
        generated.append((f"{SITEMAP_DIR}/pages.xml", _pages_sitemap(site, titles, counts, days)))
        first = 0
        if touched is not None:  # article sitemaps before the earliest change keep their articles
            earliest = min(((p, s, i) for _, p, s, i in touched.positions), default=None)
            first = (total if earliest is None else state.rank(*earliest, total)) // SITEMAP_CHUNK
            recorded = state.keys_under(f"{SITEMAP_DIR}/articles-")
            self.stale.update(path for path in recorded
                              if path != _chunk_path(0) and _chunk_number(path) > chunks)
        for number in range(first, chunks):
            paths = state.oldest_from(number * SITEMAP_CHUNK, SITEMAP_CHUNK, total)
            generated.append((_chunk_path(number + 1), _urlset(urls.absolute(site.base_url, p) for p in paths)))
        keyed = [(path, digest(data)) for path, data in generated]
        if MANIFEST_NAMES & {path for path, _ in keyed}:
            raise OutputError(f"{self.output}: a page would overwrite the build state")
        self.tally.total += len(keyed)
        todo = set(self.wanted(keyed))
        for (path, data), (_, key) in zip(generated, keyed):
            if path in todo:
                self.put(path, data, key)

    def _specs(self, specs: list[PageSpec]) -> None:
        self.tally.total += len(specs)
        todo = set(self.wanted([(spec.path, spec.key) for spec in specs]))
        for spec in specs:
            if spec.path in todo:
                self.put(spec.path, render(self.env, spec.template, spec.context()), spec.key)

    def _feeds(self, feeds: list[FeedSpec]) -> None:
        self.tally.total += 2 * len(feeds)
        keyed = [(path, feed.key) for feed in feeds for path in (feed.atom_path, feed.json_path)]
        todo = set(self.wanted(keyed))
        for feed in feeds:
            if feed.atom_path in todo or feed.json_path in todo:
                for path, data in _feed_files(self.store, self.state, feed, self.site, self.env, self.now,
                                              self.entries):
                    self.put(path, data, feed.key)
        if len(self.entries) >= _ENTRY_BATCH:
            self.save_entries()

    def save_entries(self) -> None:
        """Cache the feed entries made so far, so a whole-site build does not hold them all."""
        if self.entries:
            self.state.save_entries(self.entries)
            self.entries = []

    def _list_pages(self, titles: dict[str, str], links: dict[str, OutletLink], counts: dict[str, int],
                    days: list[str], day_counts: dict[str, int], touched: Touched | None) -> None:
        """Outlet pages and feeds, day pages, the archive, home, 404 and the site feed."""
        site, state, chrome, key = self.site, self.state, self.chrome, self.key
        outlets = list(titles) if touched is None else [slug for slug in titles if slug in touched.categories]
        store_path = getattr(self.store, "path", None)
        if self.pool.workers > 1 and len(outlets) >= _PARALLEL_OUTLETS and isinstance(store_path, Path):
            # outlet pages and feeds are half an update's work: a worker starts on them meanwhile,
            # this process takes what is left once its own share is done (see _join)
            # the worker makes its own template environment from the state's bytecode: after a whole-site
            # build that compiled them only in the worker, the next update's worker compiled them again
            compile_templates(self.env, [name for name in _WORKER_TEMPLATES if has_template(self.env, name)])
            try:
                self.claims = Claims(len(outlets))
                self.worker = Forked(_outlets_apart, store_path, site, self.full, self.now, outlets,
                                     self.names, counts, touched, self.claims)
            except OSError as exc:  # no process or pipe to be had: this process renders them all
                log.warning("build: no outlet worker (%s); rendering the outlets in this process", exc)
            else:
                self.pool.others = 1
                self.leftover = (outlets, self.names, counts, touched)
        if self.worker is None:
            self._outlets(outlets, self.names, counts, touched)
        if touched is None:
            wanted_days = set(days)
        else:
            before = set(json.loads(state.get("days") or "[]"))
            moved = before.symmetric_difference(days)
            self.stale.update(day_page(day) for day in before - set(days))
            wanted_days = (touched.days | days_around(days, moved)) & set(days)
        positions = {day: index for index, day in enumerate(days)}
        specs = []
        for day in sorted(wanted_days):
            index = positions[day]
            members = [ref_of(row) for row in state.day_members([day])]
            specs.append(day_spec(day, members, days[index - 1] if index > 0 else None,
                                  days[index + 1] if index + 1 < len(days) else None, chrome, site.tz, key))
        specs.append(archive_index(day_counts, chrome, key))
        specs.append(home(state, titles, links, site, chrome, key))
        specs.append(not_found(links, chrome, key))
        self._specs(specs)
        newest = tuple(ref_of(row) for row in state.newest(site.feed_entries))
        self._feeds([feed_spec(urls.ATOM, urls.JSON_FEED, site.title, "", newest, key)])
        self.state.put("days", json.dumps(days))

    def _outlets(self, outlets: list[str], names: dict[str, str], counts: dict[str, int],
                 touched: Touched | None) -> None:
        """Each outlet's entry page, its numbered pages from the earliest change on, and its feeds."""
        site, state, chrome, key = self.site, self.state, self.chrome, self.key
        per = site.per_page
        for slug in outlets:
            count = counts.get(slug, 0)
            first = 1
            if touched is not None:
                old_count = count - touched.growth.get(slug, 0)
                old_last, new_last = (old_count + per - 1) // per, (count + per - 1) // per
                earliest = min(((p, s, i) for category, p, s, i in touched.positions if category == slug),
                               default=None)
                rank = count if earliest is None else state.rank(*earliest, count, slug)
                # numbered pages before the earliest change hold the same articles and links as before
                first = max(1, min(rank // per + 1, old_last or 1, new_last or 1))
                self.stale.update(outlet_page_path(slug, n) for n in range(new_last + 1, old_last + 1))
            start = tail_start(count, first, per)
            tail = [ref_of(row) for row in state.members(slug, start, count)]
            outlet = names[slug]
            self._specs(outlet_pages(slug, outlet, outlet_title(outlet), tail, count, first, site, chrome, key))
            # the feed's articles are the newest of the tail when it reaches back far enough (per_page
            # and feed_entries are both 50 by default): one query less an outlet
            newest = tail[:-site.feed_entries - 1:-1] if start == 0 or len(tail) >= site.feed_entries else None
            feed = outlet_feed(state, slug, outlet_title(outlet), site, key, newest)
            self._feeds([feed])
            if len(feed.entries) == site.feed_entries:
                oldest = feed.entries[-1]
                self.floors.append((slug, time_key(oldest.published_at), oldest.source, oldest.id))

    def _join(self) -> None:
        """Render the outlets left to this process, then take in what the outlet worker did, if one ran."""
        if self.worker is None or self.claims is None:
            return
        outlets, names, counts, touched = self.leftover
        for index in iter(self.claims.take, None):
            self._outlets([outlets[index]], names, counts, touched)
        worker, self.worker = self.worker, None
        part = worker.result()
        self.todo.update(part.todo)
        self.stale.update(part.stale)
        self.planned.update(part.planned)
        self.floors += part.floors
        self.tally.written += part.written
        self.tally.unchanged += part.unchanged
        self.tally.total += part.total
        self.tick(part.total)

    def _stop_worker(self) -> None:
        """Take every outlet left, so the outlet worker stops after its current one, and wait for it."""
        if self.worker is not None and self.claims is not None:
            while self.claims.take() is not None:
                pass
            worker, self.worker = self.worker, None
            worker.close()

    def _articles(self, titles: dict[str, str], touched: Touched | None, pool: _Pool) -> None:
        """Article pages: every outlet's in a full plan, else the touched ones and their neighbours."""
        state, site = self.state, self.site
        navigator = Navigator(state, titles, story_reports(self.store, state), self.salt)
        tz, chrome = site.tz, self.chrome
        if touched is not None:
            refs = [ref for ref in nav_dirty(state, touched) if ref.category in titles]
            # a page an article left is stale unless another article owns that path now
            self.stale.update(path for path in touched.old_paths
                              if not any(owner for *_, owner in state.claimants(path)))
            self.tally.total += len(refs)
            groups: Iterable[Iterable[tuple[ArticleRef, ArticleNav]]] = [navigator.around(refs)]
        else:
            refs = []
            groups = (navigator.outlet(slug) for slug in titles)

        def pages() -> Iterator[ArticlePage]:
            for group in groups:
                batch: list[tuple[ArticleRef, ArticleNav, str]] = []
                for ref, nav in group:
                    batch.append((ref, nav, navigator.key(ref, nav)))
                    if len(batch) == _CHUNK:
                        yield from self._article_batch(batch, tz, chrome)
                        batch = []
                yield from self._article_batch(batch, tz, chrome)

        count = self.total_refs if touched is None else len(refs)
        _write_articles(pages(), self.output, site, self.salt, count, self.tally, self.tick, pool, self.env,
                        self.folder, self.batch)

    def _article_batch(self, batch: list[tuple[ArticleRef, ArticleNav, str]], tz: tzinfo,
                       chrome: Chrome) -> Iterator[ArticlePage]:
        todo = set(self.wanted([(ref.path, key) for ref, _, key in batch]))
        chosen = [(ref, nav, key) for ref, nav, key in batch if ref.path in todo]
        found = self.store.get_articles([ref.key for ref, _, _ in chosen]) if chosen else {}
        for ref, nav, key in chosen:
            stored = found.get(ref.key)
            if stored is None:
                continue
            self.todo[ref.path] = key
            yield _article_page(stored, nav, chrome, tz)


def _import_postings() -> None:
    """Import the numpy postings module (and numpy), so processes forked after it have them."""
    import newsdesk.site.postings  # noqa: F401


def _chunk_number(path: str) -> int:
    try:
        return int(path.rsplit("-", 1)[1].removesuffix(".xml"))
    except (IndexError, ValueError):
        return 0


def _adopt_legacy_manifest(output: Path, state: BuildState) -> None:
    """Take over the file list of an earlier version's JSON manifest, so its files stay owned."""
    if state.get("seq") is None and (output / LEGACY_MANIFEST).is_file():
        state.set_keys((path, "") for path in read_legacy_manifest(output))


def _drop_legacy_manifest(output: Path) -> None:
    try:
        (output / LEGACY_MANIFEST).unlink(missing_ok=True)
    except OSError as exc:
        log.warning("%s: could not remove the old build manifest: %s", output / LEGACY_MANIFEST, exc)


def build_site(store: Store, site: SiteConfig, *, full: bool = False, progress: Progress | None = None,
               now: datetime | None = None) -> BuildReport:
    """Render the site into site.output, only what changed unless `full`; raises OutputError, StoreError.

    Files an earlier build wrote and this one does not are removed (files it never
    wrote are left alone).
    """
    output = Path(site.output)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{output}: cannot create the output folder: {exc.strerror or exc}") from exc
    try:
        had_files = any(entry.name not in MANIFEST_NAMES for entry in os.scandir(output))
    except OSError as exc:
        raise OutputError(f"{output}: cannot read the output folder: {exc.strerror or exc}") from exc
    state = BuildState(output)
    try:
        # run() starts the build's worker processes and closes them itself, a failed build's too
        return _Build(store, site, state, full, progress, now, had_files=had_files).run()
    finally:
        state.close()
