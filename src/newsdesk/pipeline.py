"""update(): the one place the stage order is written.

sources -> fetch -> parse -> clean -> filter -> (full text) -> de-duplicate -> store, then render.
Each source is one unit of work; a failing source is reported and the rest go on.

The fetching stages (asyncio, httpx, feedparser, nh3, pypinyin) are imported inside the
functions that fetch, so `build`, `status` and `serve` start without loading them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from newsdesk.config import Config, SourceConfig
from newsdesk.dedupe import plan_batch  # light (stdlib only); bench/dedupe_pairs.py swaps it here
from newsdesk.errors import NewsdeskError, ParseError, SourceError, StoreError
from newsdesk.models import Article, BuildReport, Fetched, RawItem, SourceReport
from newsdesk.store.base import Store

if TYPE_CHECKING:
    from newsdesk.clean.filters import ArticleFilter
    from newsdesk.fetch import Fetcher

log = logging.getLogger("newsdesk.pipeline")

OnReport = Callable[[SourceReport], None]
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class _Parsed:
    """Articles of one response, with the items that could not be used."""

    articles: list[Article]
    failed: int
    warnings: list[str]


def fetch(config: Config, store: Store, *, sources: Sequence[SourceConfig] | None = None,
          on_report: OnReport | None = None, now: Callable[[], datetime] | None = None) -> list[SourceReport]:
    """Fetch, parse, clean and store every (chosen) source; returns one report per source.

    Raises StoreError when the store cannot be written (nothing else can go on then).
    """
    import asyncio

    chosen = [s for s in (sources if sources is not None else config.sources) if s.enabled]
    return asyncio.run(fetch_async(config, store, chosen, on_report=on_report, now=now))


async def fetch_async(config: Config, store: Store, sources: Sequence[SourceConfig], *,
                      on_report: OnReport | None = None,
                      now: Callable[[], datetime] | None = None) -> list[SourceReport]:
    """The async body of `fetch`, for callers that already run an event loop."""
    import asyncio

    from newsdesk.fetch import Fetcher

    clock = now or (lambda: datetime.now(UTC))
    async with Fetcher(config.fetch) as fetcher:
        async def one(source: SourceConfig) -> SourceReport:
            report = await fetch_source(fetcher, store, config, source, clock)
            if on_report is not None:
                on_report(report)
            return report

        return list(await asyncio.gather(*(one(s) for s in sources)))


async def fetch_source(fetcher: Fetcher, store: Store, config: Config, source: SourceConfig,
                       now: Callable[[], datetime]) -> SourceReport:
    """One source's unit of work, shared by `update` and `run`; never raises but StoreError."""
    import asyncio

    from newsdesk.clean.filters import ArticleFilter

    started_at = now()
    t0 = time.perf_counter()
    state = store.source_state(source.name)
    fetched: Fetched | None = None
    try:
        fetched = await fetcher.fetch(source.name, source.url, validators=state.validators,
                                      encoding=source.encoding)
        if fetched.not_modified:
            report = SourceReport(source=source.name, started_at=started_at,
                                  elapsed_s=time.perf_counter() - t0, status="not_modified",
                                  http_status=fetched.status)
            store.record_fetch(report, fetched.validators)
            return report
        # parsing and cleaning are CPU work (seconds for a huge feed); in a thread, the
        # event loop keeps serving the other sources, whose deadlines would run out meanwhile
        cleaned = await asyncio.to_thread(_clean_items, fetched, source, config, started_at)
        parsed = _assign_categories(cleaned, source, config, store)
        rules = ArticleFilter(config.filters, source.filters)
        # filter before full text (no page fetched for a dropped item) and again after it,
        # since a body rule can only judge the whole text
        articles, filtered = _apply_filters(rules, source, parsed.articles)
        articles = await _complete_fulltext(fetcher, store, source, articles, parsed.warnings)
        articles, filtered_late = _apply_filters(rules, source, articles)
        plan = plan_batch(articles, store)
        counts = store.upsert(plan.articles, started_at)
        store.save_stories(plan.placements, plan.aliases, started_at)
        report = SourceReport(
            source=source.name, started_at=started_at, elapsed_s=time.perf_counter() - t0,
            status="ok", http_status=fetched.status, new=counts.new, updated=counts.updated,
            unchanged=counts.unchanged, failed=parsed.failed, warnings=tuple(parsed.warnings),
            filtered=filtered + filtered_late, duplicates=len(plan.aliases))
        store.record_fetch(report, fetched.validators)
        return report
    except StoreError:
        raise
    except SourceError as exc:
        reason = exc.reason
    except Exception as exc:  # the per-source boundary: a bug must not stop other sources
        log.exception("%s: unexpected error", source.name)
        reason = f"internal error: {type(exc).__name__}: {exc}"
    report = SourceReport(source=source.name, started_at=started_at,
                          elapsed_s=time.perf_counter() - t0, status="failed",
                          http_status=fetched.status if fetched else None, error=reason)
    store.record_fetch(report, None)
    return report


def _parse_items(fetched: Fetched, source: SourceConfig) -> tuple[list[RawItem], list[str]]:
    """Items of one response plus a warning per item the parser had to skip."""
    if source.kind == "json":
        from newsdesk.parse.jsonlist import parse_json_list_report

        return parse_json_list_report(fetched, source)
    from newsdesk.parse import parse

    return parse(fetched, source), []


def _category_override(source: SourceConfig) -> str | None:
    if source.category:
        return source.category
    if source.kind == "json":
        from newsdesk.parse.presets import preset_category

        return preset_category(source)
    return None


def _clean_items(fetched: Fetched, source: SourceConfig, config: Config, now: datetime) -> _Parsed:
    """Parse and clean one response without touching the store (so it may run in a thread)."""
    from newsdesk.clean import CleanSettings, clean_item

    raw_items, warnings = _parse_items(fetched, source)
    settings = CleanSettings(source=source.name, outlet=source.name, timezone=source.tz, now=now,
                             category=_category_override(source), categories=config.categories)
    articles: dict[str, Article] = {}
    failed = len(warnings)
    for index, raw in enumerate(raw_items):
        try:
            article = clean_item(raw, settings, warnings)
        except ParseError as exc:
            failed += 1
            warnings.append(f"item {index + 1}: {exc.reason}")
            continue
        if article.id in articles:
            warnings.append(f"item {index + 1}: duplicate id {article.id!r} in one response, kept the first")
            continue
        articles[article.id] = article
    for warning in warnings:
        log.warning("%s: %s", source.name, warning)
    return _Parsed(list(articles.values()), failed, warnings)


def _assign_categories(parsed: _Parsed, source: SourceConfig, config: Config, store: Store) -> _Parsed:
    """Give each item outlet the slug the store keeps for it (unless the config decides)."""
    if _category_override(source) is not None:
        return parsed
    slugs: dict[str, str] = {}
    articles: list[Article] = []
    for article in parsed.articles:
        if article.outlet not in config.categories:
            if article.outlet not in slugs:
                slugs[article.outlet] = store.category_for(article.outlet, article.category)
            article = replace(article, category=slugs[article.outlet])
        articles.append(article)
    return _Parsed(articles, parsed.failed, parsed.warnings)


def _apply_filters(rules: ArticleFilter, source: SourceConfig,
                   articles: list[Article]) -> tuple[list[Article], int]:
    """Articles the include/exclude rules keep, and how many they dropped (each logged)."""
    if not rules:
        return articles, 0
    kept, dropped = rules.split(articles)
    for article, reason in dropped:
        log.info("%s: filtered %s (%s)", source.name, article.id, reason)
    return kept, len(dropped)


def _wants_fulltext(source: SourceConfig, article: Article) -> bool:
    if source.fulltext_url and article.fulltext_key:
        return not article.body_html.strip()
    return source.fulltext and bool(article.link)


async def _complete_fulltext(fetcher: Fetcher, store: Store, source: SourceConfig,
                             articles: list[Article], warnings: list[str]) -> list[Article]:
    """Fill bodies from the source's full-text endpoint, once per article.

    An article already stored with its full text reuses it (no request, no change);
    a failed request keeps what the list gave and marks the article for a retry.
    """
    import asyncio

    from newsdesk.clean import sanitize_html
    from newsdesk.parse.fulltext import fulltext_url, parse_fulltext

    async def complete(article: Article) -> Article:
        if not _wants_fulltext(source, article) or store.alias_target(source.name, article.id):
            return article  # an exact duplicate's text is already stored with its first outlet
        stored = store.get_article(source.name, article.id)
        if stored is not None and not stored.article.needs_fulltext:
            return replace(article, body_html=stored.article.body_html, needs_fulltext=False)
        url = fulltext_url(source, article.fulltext_key) if source.fulltext_url and article.fulltext_key \
            else article.link
        assert url is not None
        try:
            page = await fetcher.fetch(source.name, url, encoding=source.encoding,
                                       public_only=not source.fulltext_url)
            body = parse_fulltext(page, source)
        except SourceError as exc:
            warnings.append(f"full text of {article.id}: {exc.reason} (kept the summary, will retry)")
            return replace(article, needs_fulltext=True)
        return replace(article, body_html=sanitize_html(body, article.link), needs_fulltext=False)

    return list(await asyncio.gather(*(complete(a) for a in articles)))


def build(config: Config, store: Store, *, progress: Progress | None = None, full: bool = False) -> BuildReport:
    """Render the site from the store into [site] output (only changed pages unless `full`); raises OutputError."""
    from newsdesk.site.build import build_site

    return build_site(store, config.site, progress=progress, full=full)


def update(config: Config, store: Store, *, on_report: OnReport | None = None,
           progress: Progress | None = None) -> tuple[list[SourceReport], BuildReport]:
    """Fetch every source, then build the site."""
    reports = fetch(config, store, on_report=on_report)
    return reports, build(config, store, progress=progress)


def all_failed(reports: Sequence[SourceReport]) -> bool:
    """True when there were sources and every one of them failed."""
    return bool(reports) and all(r.status == "failed" for r in reports)


__all__ = ["NewsdeskError", "all_failed", "build", "fetch", "fetch_async", "fetch_source", "update"]
