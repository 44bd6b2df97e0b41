"""run(): decides which source is due, calls the pipeline, rebuilds when something changed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from newsdesk import pipeline
from newsdesk.config import Config, SourceConfig
from newsdesk.models import BuildReport, SourceReport
from newsdesk.store.base import Store


@dataclass(frozen=True, slots=True)
class Cycle:
    """What one scheduler cycle did."""

    reports: list[SourceReport]
    build: BuildReport | None  # None when nothing changed and the site was already there

    @property
    def new(self) -> int:
        """Articles stored for the first time in this cycle."""
        return sum(r.new for r in self.reports)

    @property
    def changed(self) -> bool:
        """True when the cycle stored new or updated articles."""
        return any(r.new or r.updated for r in self.reports)


def due_sources(config: Config, store: Store, now: datetime) -> list[SourceConfig]:
    """Enabled sources whose interval has passed since their last attempt."""
    due = []
    for source in config.sources:
        if not source.enabled:
            continue
        last = store.source_state(source.name).last_attempt_at
        if last is None or (now - last).total_seconds() >= source.interval_s:
            due.append(source)
    return due


def run_cycle(config: Config, store: Store, *, sources: Sequence[SourceConfig] | None = None,
              now: datetime | None = None) -> Cycle:
    """Fetch the due (or given) sources; rebuild the site when anything changed or it is missing."""
    moment = now or datetime.now(UTC)
    chosen = list(sources) if sources is not None else due_sources(config, store, moment)
    reports = pipeline.fetch(config, store, sources=chosen) if chosen else []
    cycle = Cycle(reports, None)
    if cycle.changed or not (config.site.output / "index.html").exists():
        cycle = Cycle(reports, pipeline.build(config, store))
    return cycle


def run_loop(config: Config, store: Store, *, stop: threading.Event, tick_s: float = 1.0,
             on_cycle: Callable[[Cycle], None] | None = None) -> None:
    """Run cycles until `stop` is set, checking for due sources every `tick_s` seconds."""
    while not stop.is_set():
        cycle = run_cycle(config, store)
        if on_cycle is not None and (cycle.reports or cycle.build):
            on_cycle(cycle)
        stop.wait(tick_s)
