"""record_fetch: success and failure sequences, validators, the fetch log, source states."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from store_helpers import T0, article

from newsdesk.models import SourceReport, SourceState, Validators
from newsdesk.store import SqliteStore
from newsdesk.store import sqlite as sqlite_store


def _report(status: str, minutes: int, error: str | None = None, **counts: int) -> SourceReport:
    return SourceReport(source="媒体", started_at=T0 + timedelta(minutes=minutes), elapsed_s=0.25,
                        status=status, http_status={"ok": 200, "not_modified": 304}.get(status),  # type: ignore[arg-type]
                        error=error, **counts)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_never_fetched_source_has_an_empty_state(store: SqliteStore) -> None:
    assert store.source_state("nobody") == SourceState(source="nobody")


def test_success_saves_validators_and_times(store: SqliteStore) -> None:
    store.record_fetch(_report("ok", 0, new=3), Validators(etag='"v1"', last_modified="Fri, 01 Mar 2024"))
    state = store.source_state("媒体")
    assert state.validators == Validators(etag='"v1"', last_modified="Fri, 01 Mar 2024")
    assert (state.last_attempt_at, state.last_success_at) == (at(0), at(0))
    assert (state.consecutive_failures, state.failing_since, state.last_error) == (0, None, None)


def test_failures_count_up_keep_validators_and_first_failure_time(store: SqliteStore) -> None:
    store.record_fetch(_report("ok", 0), Validators(etag='"v1"'))
    store.record_fetch(_report("failed", 5, "媒体: timed out after 20 s"), Validators(etag='"ignored"'))
    store.record_fetch(_report("failed", 10, "媒体: HTTP 500"), None)
    state = store.source_state("媒体")
    assert state.validators == Validators(etag='"v1"')
    assert state.consecutive_failures == 2
    assert state.failing_since == at(5)
    assert (state.last_error, state.last_error_at) == ("媒体: HTTP 500", at(10))
    assert (state.last_attempt_at, state.last_success_at) == (at(10), at(0))


def test_success_after_failures_resets_the_streak(store: SqliteStore) -> None:
    store.record_fetch(_report("failed", 0, "媒体: HTTP 500"), None)
    store.record_fetch(_report("failed", 5, "媒体: HTTP 500"), None)
    store.record_fetch(_report("ok", 10), Validators(etag='"v2"'))
    state = store.source_state("媒体")
    assert (state.consecutive_failures, state.failing_since) == (0, None)
    assert state.last_success_at == at(10)
    # the last error stays on record for `status`, with its time
    assert (state.last_error, state.last_error_at) == ("媒体: HTTP 500", at(5))
    store.record_fetch(_report("failed", 15, "媒体: reset"), None)
    assert store.source_state("媒体").failing_since == at(15)


@pytest.mark.parametrize(("given", "expected"), [
    (None, Validators(etag='"v1"', last_modified="old")),
    (Validators(etag='"v2"'), Validators(etag='"v2"')),
], ids=["none-keeps-old", "new-replaces"])
def test_not_modified_keeps_validators_unless_new_given(store: SqliteStore, given: Validators | None,
                                                        expected: Validators) -> None:
    store.record_fetch(_report("ok", 0), Validators(etag='"v1"', last_modified="old"))
    store.record_fetch(_report("not_modified", 5), given)
    state = store.source_state("媒体")
    assert state.validators == expected
    assert state.last_success_at == at(5)


def test_fetch_log_keeps_each_report(store: SqliteStore) -> None:
    store.record_fetch(_report("ok", 0, new=2, unchanged=1), None)
    failed = SourceReport(source="媒体", started_at=at(5), elapsed_s=20.0, status="failed",
                          error="媒体: timed out after 20 s", warnings=("item 3: no title",))
    store.record_fetch(failed, None)
    assert store.recent_fetches("媒体") == [failed, _report("ok", 0, new=2, unchanged=1)]


def test_fetch_log_is_bounded_per_source(store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_store, "FETCH_LOG_KEEP", 3)
    for minute in range(6):
        store.record_fetch(_report("ok", minute), None)
    assert [r.started_at for r in store.recent_fetches("媒体", limit=10)] == [at(5), at(4), at(3)]


def test_source_states_cover_fetched_and_stored_sources(store: SqliteStore) -> None:
    store.upsert([article("a1"), article("a2"), article("b1", source="A-imported")], T0)
    store.record_fetch(_report("failed", 0, "媒体: HTTP 500"), None)
    store.record_fetch(SourceReport(source="南方Plus", started_at=T0, elapsed_s=0.1, status="ok"),
                       Validators(etag="e"))
    states = store.source_states()
    assert [(s.source, s.article_count, s.consecutive_failures) for s in states] == [
        ("A-imported", 1, 0), ("南方Plus", 2, 0), ("媒体", 0, 1)]
    assert states[0] == SourceState(source="A-imported", article_count=1)
    assert states[1].validators == Validators(etag="e")
    assert store.source_state("南方Plus").article_count == 2
