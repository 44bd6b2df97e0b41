"""run(): decides which source is due, calls the pipeline, rebuilds and publishes when something changed.

When a source is due comes from what the store remembers (last attempt, failures
in a row), never from memory alone, so a restarted or `kill -9`ed process picks up
where the last one stopped: no poll storm and no forgotten backoff.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdesk import pipeline
from newsdesk.config import Config, RunConfig, SourceConfig
from newsdesk.errors import OutputError, PublishError
from newsdesk.models import BuildReport, SourceReport, SourceState
from newsdesk.store.base import Store

log = logging.getLogger("newsdesk.schedule")

_MAX_DOUBLINGS = 30  # 2**30 intervals is past any sensible cap; keeps the float finite
_STOP_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class Cycle:
    """What one scheduler cycle did."""

    reports: list[SourceReport]
    build: BuildReport | None  # None when nothing changed and the site was already there
    published: list[str] = field(default_factory=list)  # one line per publish target that ran
    publish_error: str | None = None
    stopped: bool = False  # a stop request cut the fetch short (what was stored stays)

    @property
    def new(self) -> int:
        """Articles stored for the first time in this cycle."""
        return sum(r.new for r in self.reports)

    @property
    def changed(self) -> bool:
        """True when the cycle stored new or updated articles."""
        return any(r.new or r.updated for r in self.reports)


def _unit(name: str, moment: datetime) -> float:
    """A number in [0, 1) fixed by source and attempt: the same jitter however often we ask."""
    digest = hashlib.blake2b(f"{name}\0{moment.isoformat()}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def poll_wait_s(source: SourceConfig, failures: int, run: RunConfig) -> float:
    """Seconds between polls: the interval, doubled per failure in a row up to the cap (no jitter)."""
    if failures <= 0:
        return source.interval_s
    cap = max(run.backoff_max_s, source.interval_s)
    return min(source.interval_s * 2.0 ** min(failures, _MAX_DOUBLINGS), cap)


def next_poll_at(source: SourceConfig, state: SourceState, run: RunConfig) -> datetime | None:
    """When `source` is next due (None: never polled, due now), jitter included."""
    last = state.last_attempt_at
    if last is None:
        return None
    wait = poll_wait_s(source, state.consecutive_failures, run)
    wait *= 1.0 + run.jitter * _unit(source.name, last)
    return last + timedelta(seconds=wait)


def due_sources(config: Config, store: Store, now: datetime, *, ignore_interval: bool = False) -> list[SourceConfig]:
    """Enabled sources due at `now`; with `ignore_interval` every source not backing off from failures."""
    due = []
    for source in config.sources:
        if not source.enabled:
            continue
        state = store.source_state(source.name)
        if ignore_interval and state.consecutive_failures == 0:
            due.append(source)
            continue
        at = next_poll_at(source, state, config.run)
        if at is None or at <= now:
            due.append(source)
    return due


def seconds_until_due(config: Config, store: Store, now: datetime) -> float | None:
    """Seconds until the earliest enabled source is due (0 if one is), None without sources."""
    waits = []
    for source in config.sources:
        if source.enabled:
            at = next_poll_at(source, store.source_state(source.name), config.run)
            waits.append(0.0 if at is None else max(0.0, (at - now).total_seconds()))
    return min(waits) if waits else None


async def _fetch_until_stopped(config: Config, store: Store, sources: Sequence[SourceConfig],
                               stop: threading.Event | None) -> tuple[list[SourceReport], bool]:
    """Fetch `sources`; on a stop request cancel what is in flight (store writes are synchronous,
    so one already started completes first) and return the reports finished so far."""
    import asyncio

    done: list[SourceReport] = []
    task = asyncio.ensure_future(pipeline.fetch_async(config, store, sources, on_report=done.append))
    while not task.done():
        if stop is not None and stop.is_set():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass  # expected: the cancellation we asked for
            return done, True
        await asyncio.wait({task}, timeout=_STOP_POLL_S)
    return task.result(), False


def _publish(config: Config, news: tuple[int, int]) -> tuple[list[str], str | None]:
    from newsdesk.publish import publish

    try:
        return [f"{r.target}: {r.detail}" for r in publish(config, news)], None
    except PublishError as exc:
        log.error("publish failed: %s", exc)
        return [], str(exc)


def run_cycle(config: Config, store: Store, *, sources: Sequence[SourceConfig] | None = None,
              now: datetime | None = None, stop: threading.Event | None = None,
              force_build: bool = False, publish: bool = False, force_publish: bool = False) -> Cycle:
    """Fetch the due (or given) sources; rebuild when anything changed (or forced, or the site is missing);
    publish when the build wrote or removed files (or forced). Raises StoreError, OutputError."""
    import asyncio  # here, not at the top: `status` imports this module and fetches nothing

    moment = now or datetime.now(UTC)
    chosen = [s for s in sources if s.enabled] if sources is not None else due_sources(config, store, moment)
    reports, stopped = asyncio.run(_fetch_until_stopped(config, store, chosen, stop)) if chosen else ([], False)
    cycle = Cycle(reports, None, stopped=stopped)
    if stopped:
        return cycle  # the next start builds first thing, so nothing stored now is left off the site
    if force_build or cycle.changed or not (config.site.output / "index.html").exists():
        build = pipeline.build(config, store)
        published: list[str] = []
        error: str | None = None
        if publish and (force_publish or build.written or build.removed):
            published, error = _publish(config, (cycle.new, sum(r.updated for r in reports)))
        cycle = Cycle(reports, build, published, error)
    elif config.site.status_page and reports:
        _refresh_status(config, store)
    return cycle


def _refresh_status(config: Config, store: Store) -> None:
    """Rewrite /status.html and /status.json: every poll changes them, without a rebuild."""
    from newsdesk.site.status import write_status

    write_status(store, config.site)


def overdue_failures(config: Config, states: Sequence[SourceState], now: datetime) -> list[SourceState]:
    """Sources failing for longer than [health] failing_warn_after."""
    limit = timedelta(seconds=config.health.failing_warn_after_s)
    return [s for s in states if s.failing_since is not None and now - s.failing_since >= limit]


def run_loop(config: Config, store: Store, *, stop: threading.Event, tick_s: float = 1.0,
             on_cycle: Callable[[Cycle], None] | None = None, publish: bool = False) -> None:
    """Run cycles until `stop` is set, sleeping until the next source is due (at most `tick_s`).

    The first cycle always builds (and publishes), so work a killed process stored but
    never rendered reaches the site; later cycles build only when something changed.
    """
    first = True
    retry_publish = False
    warned: set[str] = set()
    while not stop.is_set():
        try:
            cycle = run_cycle(config, store, stop=stop, force_build=first, publish=publish,
                              force_publish=first or retry_publish)
        except OutputError as exc:
            # a full disk or a permission slip must not end a months-long run: retry the build
            log.error("build failed, retrying next cycle: %s", exc)
            first = True
            stop.wait(tick_s)
            continue
        if cycle.build is not None:
            first = False
            retry_publish = cycle.publish_error is not None
        if on_cycle is not None and (cycle.reports or cycle.build):
            on_cycle(cycle)
        if cycle.reports:
            _warn_overdue(config, store, warned)
        if stop.is_set():
            break
        wait = seconds_until_due(config, store, datetime.now(UTC))
        stop.wait(tick_s if wait is None else min(max(wait, _STOP_POLL_S), tick_s))


def _warn_overdue(config: Config, store: Store, warned: set[str]) -> None:
    """Log once per failing streak when a source has failed for longer than the threshold."""
    states = [store.source_state(s.name) for s in config.sources if s.enabled]
    overdue = overdue_failures(config, states, datetime.now(UTC))
    for state in overdue:
        if state.source not in warned:
            log.warning("%s: failing since %s (%d attempts in a row): %s", state.source,
                        state.failing_since.isoformat() if state.failing_since else "?",
                        state.consecutive_failures, state.last_error)
    warned.intersection_update(s.source for s in overdue)
    warned.update(s.source for s in overdue)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What `sources check` found for one source: its fetch report and the titles it would add."""

    report: SourceReport
    new_titles: list[str]


def check_sources(config: Config, store: Store, sources: Sequence[SourceConfig] | None = None,
                  *, copy: Callable[[Path], Store]) -> list[CheckResult]:
    """Fetch every (given) source once into a throwaway copy of the store; the real store is not written.

    `copy(path)` makes that copy (SqliteStore.snapshot); it drops conditional-GET
    validators so every outlet answers in full. Raises StoreError.
    """
    import tempfile

    chosen = [s for s in (sources if sources is not None else config.sources) if s.enabled]
    with tempfile.TemporaryDirectory(prefix="newsdesk-check-") as folder:
        scratch = copy(Path(folder) / "check.db")
        try:
            started = datetime.now(UTC)
            reports = pipeline.fetch(config, scratch, sources=chosen)
            results = []
            for report in reports:
                titles = [s.article.title for s in scratch.iter_articles(source=report.source)
                          if s.first_seen_at >= started] if report.new else []
                results.append(CheckResult(report, titles))
            return results
        finally:
            scratch.close()
