"""Build the static site from the store: plan every page with a key, render only what changed, write atomically.

The manifest (`.newsdesk-manifest.json`) maps each file the build owns to the key of
its inputs. An incremental build renders a page only when its key differs; `full`
renders every page. Either way each file is written atomically and only when its
bytes change, and the manifest is written last, so any sequence of builds, crashed
ones included, converges on the tree a single full build makes.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from multiprocessing import get_context
from pathlib import Path

import jinja2

from newsdesk import urls
from newsdesk.config import SiteConfig
from newsdesk.errors import OutputError
from newsdesk.models import BuildReport, StoredArticle
from newsdesk.site.feeds import FeedEntry, atom_feed, feed_entry, http_link, json_feed
from newsdesk.site.pages import ArticleNav, ArticlePage, Chrome, digest
from newsdesk.site.plan import LATEST, ROBOTS, ArticleRef, FeedSpec, SitePlan, plan_site
from newsdesk.site.render import (
    SEARCH_BOX,
    ArticleJob,
    environment,
    has_template,
    render,
    render_articles,
    static_files,
    template_sources,
)
from newsdesk.site.search import build_search_index, search_page
from newsdesk.site.status import write_status
from newsdesk.site.write import (
    MANIFEST,
    PENDING,
    OutputFolder,
    flush_to_disk,
    read_inputs,
    remove_stale,
    write_atomic,
    write_inputs,
)
from newsdesk.store.base import Store

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
STYLESHEET = "static/style.css"
LIVE_SCRIPT = "static/live.js"
SITEMAP_DIR = "sitemaps"
SITEMAP_CHUNK = 10_000  # URLs per sitemap file; the protocol allows 50,000
_CHUNK = 200  # article pages per worker task
_PARALLEL_FROM = 1_000  # fewer article pages than this render in-process: a pool costs more than it saves
_FORMAT = "3"  # bump when a change to the build code (not templates) alters output bytes

__all__ = ["ArticleRef", "Chrome", "build_site", "time_text"]


def time_text(moment: datetime, tz: tzinfo) -> str:
    """`2021-12-29 20:06 +08:00`: minutes in the site's zone with its offset."""
    local = moment.astimezone(tz)
    offset = local.strftime("%z")  # "+0800"; %:z needs Python 3.12
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:5]}"


def _environment(theme: Path | None = None) -> jinja2.Environment:
    return environment(theme)


def _chrome(site: SiteConfig) -> Chrome:
    return Chrome(site_title=site.title, language=site.language, description=site.description,
                  home_href=urls.href(urls.HOME), feed_href=urls.href(urls.ATOM),
                  json_feed_href=urls.href(urls.JSON_FEED), css_href=urls.href(STYLESHEET),
                  archive_href=urls.href("archive/index.html"), latest_href=urls.href(LATEST),
                  live_js_href=urls.href(LIVE_SCRIPT), poll_s=site.latest_poll_s,
                  search_box=has_template(_environment(site.theme), SEARCH_BOX))


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


def _latest_json(plan: SitePlan, site: SiteConfig) -> bytes:
    """latest.json: what pages poll to learn that new articles arrived."""
    refs = list(plan.articles.values())
    newest = refs[0] if refs else None
    data = {"count": len(refs),
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


def _sitemaps(plan: SitePlan, site: SiteConfig) -> Iterator[tuple[str, bytes]]:
    """sitemap.xml (an index), the list pages' sitemap, and article sitemaps oldest first (stable chunks)."""
    base = site.base_url
    pages = [urls.absolute(base, "")] + [urls.absolute(base, spec.path) for spec in plan.pages
                                         if spec.path not in (urls.NOT_FOUND, urls.HOME)]
    parts = [(f"{SITEMAP_DIR}/pages.xml", _urlset(pages))]
    oldest_first = list(reversed(plan.articles.values()))
    for start in range(0, len(oldest_first), SITEMAP_CHUNK):
        chunk = oldest_first[start:start + SITEMAP_CHUNK]
        parts.append((f"{SITEMAP_DIR}/articles-{start // SITEMAP_CHUNK + 1}.xml",
                      _urlset(urls.absolute(base, ref.path) for ref in chunk)))
    index = ['<?xml version="1.0" encoding="utf-8"?>',
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    index.extend(f"<sitemap><loc>{_xml_escape(urls.absolute(base, path))}</loc></sitemap>" for path, _ in parts)
    index.append("</sitemapindex>\n")
    yield urls.SITEMAP, "\n".join(index).encode("utf-8")
    yield from parts


# ---------------------------------------------------------------- build


@dataclass
class _Tally:
    written: int = 0
    unchanged: int = 0
    done: int = 0


def _stored_articles(store: Store, wanted: dict[tuple[str, str], ArticleNav],
                     total: int) -> Iterator[tuple[StoredArticle, ArticleNav]]:
    """The stored articles whose pages are wanted: by key when few, by one stream when many."""
    if len(wanted) * 20 < total:
        keys = list(wanted)
        for start in range(0, len(keys), _CHUNK):  # a chunk's bodies at a time, not all the wanted ones
            found = store.get_articles(keys[start:start + _CHUNK])
            for key in keys[start:start + _CHUNK]:
                stored = found.get(key)
                if stored is not None:
                    yield stored, wanted[key]
        return
    for stored in store.iter_articles(newest_first=True):
        nav = wanted.get((stored.article.source, stored.article.id))
        if nav is not None:
            yield stored, nav


class _Pool:
    """Worker processes for the build, started on first use and shared by article pages and search."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __call__(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # fork: workers start at once and inherit the imported modules; they only render and write
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("fork"))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _write_articles(pages: Iterator[ArticlePage], output: Path, site: SiteConfig, count: int,
                    tally: _Tally, tick: Callable[[int], None], pool: _Pool) -> None:
    """Render and write article pages, in worker processes when there are many."""
    if pool.workers < 2 or count < _PARALLEL_FROM:
        for page in pages:
            written, unchanged = render_articles(ArticleJob(output, site.theme, (page,)))
            tally.written += written
            tally.unchanged += unchanged
            tick(1)
        return
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
            pending.append(pool().submit(render_articles, ArticleJob(output, site.theme, tuple(chunk))))
            chunk = []
            collect(pool.workers * 2)  # bounded: bodies in flight stay a few chunks, not the whole site
    if chunk:
        pending.append(pool().submit(render_articles, ArticleJob(output, site.theme, tuple(chunk))))
    collect(0)


def _feed_files(store: Store, spec: FeedSpec, site: SiteConfig, env: jinja2.Environment,
                now: datetime | None) -> list[tuple[str, bytes]]:
    entries: list[tuple[StoredArticle, FeedEntry]] = []
    found = store.get_articles([ref.key for ref in spec.entries])  # one query for the feed, not one per entry
    for ref in spec.entries:
        stored = found.get(ref.key)
        if stored is not None:
            entries.append((stored, feed_entry(stored, ref.path, site)))
    atom = atom_feed(entries, site, now, path=spec.atom_path, title=spec.title, home_path=spec.home_path)
    return [(spec.atom_path, render(env, "feed.xml", atom)),
            (spec.json_path, json_feed(entries, site, path=spec.json_path, title=spec.title,
                                       home_path=spec.home_path))]


def build_site(store: Store, site: SiteConfig, *, full: bool = False, progress: Progress | None = None,
               now: datetime | None = None) -> BuildReport:
    """Render the site into site.output, only what changed unless `full`; raises OutputError, StoreError.

    Files the previous build wrote and this one did not are removed (files it never
    wrote are left alone).
    """
    started = time.monotonic()
    output = Path(site.output)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{output}: cannot create the output folder: {exc.strerror or exc}") from exc

    env = _environment(site.theme)
    chrome = _chrome(site)
    plan = plan_site(store, site, chrome, _salt(site, env, chrome))

    # small files are cheap to make: their bytes are their key
    generated: dict[str, bytes] = dict(static_files(site.theme))
    generated[LATEST] = _latest_json(plan, site)
    generated[ROBOTS] = _robots(site)
    generated.update(_sitemaps(plan, site))

    planned: dict[str, str] = {path: digest(data) for path, data in generated.items()}
    for spec in plan.pages:
        planned[spec.path] = spec.key
    for feed in plan.feeds:
        planned[feed.atom_path] = planned[feed.json_path] = feed.key
    articles: dict[tuple[str, str], ArticleNav] = {}
    for ref, nav, key in plan.article_entries():
        planned[ref.path] = key
        articles[ref.key] = nav
    if MANIFEST in planned:
        raise OutputError(f"{output}: a page would overwrite the build manifest {MANIFEST}")

    previous = read_inputs(output)
    todo = {path for path, key in planned.items() if full or previous.get(path) != key}
    # a crash from here on leaves these marked pending and the stale ones still listed: a rerun redoes both
    interim = dict(previous)
    interim.update(dict.fromkeys(todo, PENDING))
    write_inputs(output, interim)

    tally = _Tally(unchanged=len(planned) - len(todo))
    total = len(todo)

    def tick(count: int) -> None:
        tally.done += count
        if progress is not None:
            progress(min(tally.done, total), total)

    folder = OutputFolder(output)

    def put(path: str, data: bytes) -> None:
        if write_atomic(folder.resolve(path), data, durable=False):
            tally.written += 1
        else:
            tally.unchanged += 1
        tick(1)

    if progress is not None:
        progress(0, total)
    for path, data in generated.items():
        if path in todo:
            put(path, data)
    for spec in plan.pages:
        if spec.path in todo:
            put(spec.path, render(env, spec.template, spec.context()))
    for feed in plan.feeds:
        if feed.atom_path in todo or feed.json_path in todo:
            for path, data in _feed_files(store, feed, site, env, now):
                put(path, data)
    wanted = {key: nav for key, nav in articles.items() if nav.path in todo}
    tz = site.tz
    pages = (_article_page(stored, nav, chrome, tz) for stored, nav in _stored_articles(store, wanted, len(articles)))
    pool = _Pool(site.workers or os.cpu_count() or 1)
    try:
        _write_articles(pages, output, site, len(wanted), tally, tick, pool)
        # search: re-indexes only the segments whose articles changed (site/search.py); the report counts pages
        searched = build_search_index(store, plan.articles.values(), site.tz, output,
                                      render(env, "search.html", search_page(chrome)),
                                      pool=pool if pool.workers > 1 else None, in_flight=pool.workers)
    finally:
        pool.close()
    final = dict(planned)
    final.update(dict.fromkeys(searched.files, "search"))  # the search index keeps its own bookkeeping
    final.update(dict.fromkeys(write_status(store, site), "status"))  # health page, see site/status.py

    removed = remove_stale(output, set(previous) - set(final))
    # pages skip their own fsync; one flush here makes them all durable before the manifest,
    # written last and fsynced, calls them done (after a power cut they are still PENDING)
    if tally.written or removed:
        flush_to_disk()
    write_inputs(output, final)
    if progress is not None:
        progress(total, total)
    return BuildReport(written=tally.written, unchanged=tally.unchanged, removed=removed,
                       articles=len(plan.articles), elapsed_s=time.monotonic() - started, output=str(output))
