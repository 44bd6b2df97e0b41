"""/status.json is written without json's slow indenting encoder but reads exactly as it did."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from newsdesk.site.status import SourceStatus, status_json

NOW = datetime(2024, 3, 1, 8, 30, tzinfo=UTC)
moments = st.none() | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                                   timezones=st.just(UTC))
rows = st.builds(
    SourceStatus, source=st.text(min_size=1), articles=st.integers(0, 10**7), articles_24h=st.integers(0, 10**5),
    fetches_24h=st.integers(0, 10**4),
    median_fetch_s=st.none() | st.floats(min_value=0, max_value=1e6, allow_nan=False),
    last_success_at=moments, last_attempt_at=moments, last_error=st.none() | st.text(),
    last_error_at=moments, failing_since=moments, consecutive_failures=st.integers(0, 10**6))


def _indented(now: datetime, statuses: list[SourceStatus]) -> str:
    """What status.json held when it was written with json.dumps(indent=1)."""
    data = {"as_of": now.isoformat(), "sources": [r.as_json() for r in statuses]}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


@given(st.lists(rows, max_size=5))
def test_status_json_text_is_what_indented_json_gives(statuses: list[SourceStatus]) -> None:
    assert status_json(NOW, statuses) == _indented(NOW, statuses)


def test_no_sources_gives_an_empty_list() -> None:
    assert status_json(NOW, []) == _indented(NOW, [])
    assert json.loads(status_json(NOW, [])) == {"as_of": NOW.isoformat(), "sources": []}


def test_quotes_newlines_and_chinese_survive() -> None:
    row = SourceStatus(source='清远"日报"\n', articles=3, articles_24h=1, fetches_24h=2, median_fetch_s=0.25,
                       last_success_at=NOW - timedelta(minutes=5), last_attempt_at=NOW, last_error="超时\t\u2028",
                       last_error_at=NOW, failing_since=NOW, consecutive_failures=2)
    text = status_json(NOW, [row, row])
    assert text == _indented(NOW, [row, row])
    assert json.loads(text)["sources"][0]["source"] == '清远"日报"\n'
    assert "清远" in text  # written as UTF-8 text, not \\u escapes
