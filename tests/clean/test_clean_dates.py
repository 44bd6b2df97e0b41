"""parse_datetime: the time formats outlets write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from newsdesk.clean import parse_datetime

SHANGHAI = ZoneInfo("Asia/Shanghai")
CST = timezone(timedelta(hours=8))
# 2026-11-27 09:30 Beijing time, the instant most rows below describe
AT = datetime(2026, 11, 27, 9, 30, tzinfo=CST)

PARSED = [
    pytest.param("Fri, 27 Nov 2026 09:30:00 +0800", AT, id="rfc822"),
    pytest.param("Fri, 27 Nov 2026 01:30:00 GMT", AT, id="rfc822-gmt"),
    pytest.param("Fri, 27 Nov 2026 01:30:00 -0000", AT, id="rfc2822-unknown-zone-is-utc"),
    pytest.param("Fri,27 Nov 2026 09:30 CST", AT, id="rfc822-cst-is-china-no-seconds"),
    pytest.param("星期五, 27 十一月 2026 09:30:00 +0800", AT, id="rfc822-chinese-weekday-month"),
    pytest.param("周五, 27 11月 2026 09:30:00 GMT+8", AT, id="rfc822-gmt-plus-8"),
    pytest.param("27 Nov 2026 09:30:00", AT, id="rfc822-naive"),
    pytest.param("Fri, 27 Nov 2026 09:30:00 北京时间", AT, id="rfc822-beijing-time"),
    pytest.param("2026-11-27T01:30:00Z", AT, id="iso-z"),
    pytest.param("2026-11-27T09:30:00+08:00", AT, id="iso-offset"),
    pytest.param("2026-11-27T09:30:00+0800", AT, id="iso-offset-no-colon"),
    pytest.param("2026-11-27T09:30:00.250+08:00", AT + timedelta(milliseconds=250), id="iso-fraction"),
    pytest.param("2026-11-27T09:30:00", AT, id="iso-naive"),
    pytest.param("2026-11-27 09:30:00", AT, id="ymd-hms"),
    pytest.param("2026-11-27 09:30:00 +0800", AT, id="ymd-hms-offset"),
    pytest.param("2026/11/27 09:30", AT, id="slashes"),
    pytest.param("2026/11/27 9:30", AT, id="slashes-one-digit-hour"),
    pytest.param("2026年11月27日 09:30", AT, id="chinese"),
    pytest.param("2026年11月27日09时30分", AT, id="chinese-units"),
    pytest.param("2026-11-27", datetime(2026, 11, 27, tzinfo=CST), id="date-only"),
    pytest.param("1795743000", AT, id="epoch-seconds"),
    pytest.param("1795743000000", AT, id="epoch-milliseconds"),
    pytest.param("  2026-11-27 09:30:00\n", AT, id="surrounding-space"),
]


@pytest.mark.parametrize(("raw", "expected"), PARSED)
def test_parse_datetime(raw: str, expected: datetime) -> None:
    parsed = parse_datetime(raw, SHANGHAI)
    assert parsed.tzinfo is not None
    assert parsed == expected


def test_naive_times_take_the_given_zone() -> None:
    parsed = parse_datetime("2026-11-27 09:30:00", ZoneInfo("Europe/London"))
    assert parsed == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


UNPARSEABLE = [
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("yesterday", id="word"),
    pytest.param("刚刚", id="just-now"),
    pytest.param("2026-13-40", id="bad-month"),
    pytest.param("2026-11-27 25:00", id="bad-hour"),
    pytest.param("Fri, 32 Nov 2026 09:30:00 +0800", id="bad-day"),
    pytest.param("99999999999999", id="too-many-digits"),
    pytest.param("2026-11-27 09:30 +2500", id="bad-offset"),
]


@pytest.mark.parametrize("raw", UNPARSEABLE)
def test_unparseable_dates_raise_value_error(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(raw, SHANGHAI)
