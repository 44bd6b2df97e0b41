"""When a source is due: interval, capped exponential backoff reset by success, bounded jitter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.config import RunConfig, SourceConfig, parse_config
from newsdesk.models import SourceReport, SourceState
from newsdesk.schedule import due_sources, next_poll_at, overdue_failures, poll_wait_s, seconds_until_due
from newsdesk.store import open_store

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SOURCE = SourceConfig(name="a", kind="feed", url="http://127.0.0.1/a.xml", interval_s=60)
NO_JITTER = RunConfig(jitter=0.0, backoff_max_s=600)


@pytest.mark.parametrize(("failures", "wait"), [(0, 60), (1, 120), (2, 240), (3, 480), (4, 600), (40, 600)],
                         ids=["ok", "1-failure", "2-failures", "3-failures", "capped", "far-past-cap"])
def test_backoff_doubles_per_failure_up_to_the_cap(failures: int, wait: float) -> None:
    assert poll_wait_s(SOURCE, failures, NO_JITTER) == wait


def test_cap_below_the_interval_never_polls_faster_than_the_interval() -> None:
    assert poll_wait_s(SOURCE, 3, RunConfig(jitter=0, backoff_max_s=10)) == 60


def test_never_polled_is_due_now() -> None:
    assert next_poll_at(SOURCE, SourceState(source="a"), NO_JITTER) is None


def test_jitter_stays_within_its_fraction_and_is_stable() -> None:
    run = RunConfig(jitter=0.2, backoff_max_s=600)
    waits = []
    for minute in range(200):
        last = T0 + timedelta(minutes=minute)
        at = next_poll_at(SOURCE, SourceState(source="a", last_attempt_at=last), run)
        assert at == next_poll_at(SOURCE, SourceState(source="a", last_attempt_at=last), run)  # no re-roll
        assert at is not None
        waits.append((at - last).total_seconds())
    assert all(60 <= w < 72 for w in waits)
    assert max(waits) - min(waits) > 6  # spread over the window, not one fixed offset


def _config(tmp_path: Path) -> tuple[Path, object]:
    text = ('[store]\npath = "s.db"\n[run]\njitter = 0\nbackoff_max = "10m"\n'
            '[[sources]]\nname = "a"\nurl = "http://127.0.0.1/a"\ninterval = "1m"\n'
            '[[sources]]\nname = "b"\nurl = "http://127.0.0.1/b"\ninterval = "1m"\n'
            '[[sources]]\nname = "off"\nurl = "http://127.0.0.1/c"\nenabled = false\n')
    return tmp_path, parse_config(text, tmp_path / "newsdesk.toml")


def _report(name: str, at: datetime, ok: bool) -> SourceReport:
    return SourceReport(source=name, started_at=at, elapsed_s=0.1, status="ok" if ok else "failed",
                        error=None if ok else "HTTP 500")


def test_due_sources_follow_the_store_and_reset_on_success(tmp_path: Path) -> None:
    _, config = _config(tmp_path)
    with open_store(tmp_path / "s.db") as store:
        assert [s.name for s in due_sources(config, store, T0)] == ["a", "b"]  # "off" never
        store.record_fetch(_report("a", T0, True), None)
        for n in range(3):  # b fails three times: waits 2, 4, then 8 minutes
            store.record_fetch(_report("b", T0 + timedelta(seconds=n), False), None)
        assert [s.name for s in due_sources(config, store, T0 + timedelta(seconds=59))] == []
        assert [s.name for s in due_sources(config, store, T0 + timedelta(seconds=60))] == ["a"]
        assert [s.name for s in due_sources(config, store, T0 + timedelta(minutes=8, seconds=2))] == ["a", "b"]
        # --once polls everything that is not backing off
        assert [s.name for s in due_sources(config, store, T0, ignore_interval=True)] == ["a"]
        assert seconds_until_due(config, store, T0) == pytest.approx(60)
        store.record_fetch(_report("b", T0 + timedelta(minutes=9), True), None)  # success resets the backoff
        state = store.source_state("b")
        assert state.consecutive_failures == 0
        assert next_poll_at(config.source("b"), state, config.run) == T0 + timedelta(minutes=10)


def test_overdue_failures_use_the_health_threshold(tmp_path: Path) -> None:
    _, config = _config(tmp_path)
    failing = SourceState(source="b", failing_since=T0, consecutive_failures=5)
    healthy = SourceState(source="a", last_success_at=T0)
    assert overdue_failures(config, [failing, healthy], T0 + timedelta(minutes=59)) == []
    assert overdue_failures(config, [failing, healthy], T0 + timedelta(hours=1)) == [failing]


def test_run_loop_survives_a_failing_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from newsdesk import schedule
    from newsdesk.errors import OutputError

    _, config = _config(tmp_path)
    calls: list[bool] = []
    stop = threading.Event()

    def flaky(*args: object, force_build: bool = False, **kwargs: object) -> schedule.Cycle:
        calls.append(force_build)
        if len(calls) == 1:
            raise OutputError("public: cannot write: No space left on device")
        if len(calls) == 3:
            stop.set()
        return schedule.Cycle([], None)

    monkeypatch.setattr(schedule, "run_cycle", flaky)
    with open_store(tmp_path / "s.db") as store:
        schedule.run_loop(config, store, stop=stop, tick_s=0.01)
    assert calls == [True, True, True]  # the failed first build is retried, still forced
