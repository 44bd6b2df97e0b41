"""Outlet time strings -> aware datetimes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

# YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY年MM月DD日, with an optional time and zone
_NUMERIC = re.compile(
    r"""^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?
        (?:[\sT]*(?P<H>\d{1,2})\s*[:时點点]\s*(?P<M>\d{1,2})
           (?:\s*[:分]\s*(?P<S>\d{1,2})(?:[.,](?P<f>\d{1,9}))?\s*秒?)?\s*分?)?
        \s*(?P<z>Z|[+-]\d{1,2}(?::?\d{2})?|(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?|CST|北京时间)?$""",
    re.VERBOSE | re.IGNORECASE)
_EPOCH = re.compile(r"^\d{9,13}(?:\.\d+)?$")
_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})?$")
# Chinese feeds decorate RFC 822 dates with weekday words and local zone names
_CN_WEEKDAY = re.compile(r"(?:星期|周|礼拜)[一二三四五六日天]\s*,?\s*")
_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b", re.IGNORECASE)
_BEIJING_ZONES = re.compile(r"\b(?:CST|CCT|BJT|HKT)\b|北京时间", re.IGNORECASE)
_COMMA_GLUE = re.compile(r",(?=\S)")
_CN_MONTH = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
             "十": 10, "十一": 11, "十二": 12}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CN_MONTH_WORD = re.compile(r"(十[一二]?|[一二三四五六七八九])月|(\d{1,2})月")
_BEIJING = timezone(timedelta(hours=8))


def parse_datetime(raw: str, tz: ZoneInfo) -> datetime:
    """An outlet's time string -> an aware datetime; naive times are read in `tz`. Raises ValueError."""
    text = raw.strip()
    if not text:
        raise ValueError("empty date")
    if _EPOCH.match(text):
        return _from_epoch(text)
    numeric = _NUMERIC.match(text)
    if numeric:
        return _from_numeric(numeric, tz)
    try:
        return _from_rfc822(text, tz)
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"unrecognised date {raw[:60]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _from_epoch(text: str) -> datetime:
    value = float(text)
    # 12-13 digits are milliseconds (JavaScript timestamps); 9-10 are seconds
    if len(text.split(".")[0]) >= 12:
        value /= 1000
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"timestamp out of range: {text}") from exc


def _zone(text: str | None, default: tzinfo) -> tzinfo:
    if not text:
        return default
    upper = text.upper().replace(" ", "")
    if upper == "Z" or upper in ("UTC", "GMT"):
        return UTC
    if upper == "CST" or text == "北京时间":
        return _BEIJING  # China Standard Time in Chinese feeds, not US Central
    offset = _OFFSET.match(upper.removeprefix("UTC").removeprefix("GMT"))
    if not offset:
        raise ValueError(f"unknown zone {text!r}")
    sign, hours, minutes = offset.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta >= timedelta(hours=24):
        raise ValueError(f"zone offset out of range: {text!r}")
    return timezone(-delta if sign == "-" else delta)


def _from_numeric(match: re.Match[str], tz: ZoneInfo) -> datetime:
    part = match.groupdict()
    fraction = (part["f"] or "0")[:6].ljust(6, "0")
    return datetime(int(part["y"]), int(part["m"]), int(part["d"]), int(part["H"] or 0),
                    int(part["M"] or 0), int(part["S"] or 0), int(fraction),
                    tzinfo=_zone(part["z"], tz))


def _from_rfc822(text: str, tz: ZoneInfo) -> datetime:
    text = _CN_WEEKDAY.sub("", text)
    text = _CN_MONTH_WORD.sub(_month_name, text)
    text = _GMT_OFFSET.sub(lambda m: f"{m[1]}{int(m[2]):02d}{m[3] or '00'}", text)
    text = _BEIJING_ZONES.sub("+0800", text)
    text = _COMMA_GLUE.sub(", ", text)
    parsed = parsedate_to_datetime(text)
    if parsed.tzinfo:
        return parsed
    # RFC 2822's "-0000" is UTC from a sender that will not say its zone; no zone at all is local
    return parsed.replace(tzinfo=UTC if text.rstrip().endswith("-0000") else tz)


def _month_name(match: re.Match[str]) -> str:
    number = _CN_MONTH[match[1]] if match[1] else int(match[2])
    if not 1 <= number <= 12:
        raise ValueError(f"month out of range: {match[0]}")
    return _MONTHS[number - 1]
