"""JSON list APIs (East Money and the like) -> RawItems, driven by a preset's field table."""

from __future__ import annotations

import json
import logging
import re
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from newsdesk.config import SourceConfig
from newsdesk.errors import ParseError
from newsdesk.models import Fetched, RawItem
from newsdesk.parse.presets import Preset, resolve

# East Money sometimes answers `var ajaxResult={...};` or `cb({...})` instead of bare JSON.
# Both patterns run on text already stripped of surrounding blanks and trailing ';'.
_VAR_WRAPPER = re.compile(r"(?:var|let|const)\s+[A-Za-z_$][\w$]*\s*=\s*(.*)", re.DOTALL)
_CALL_WRAPPER = re.compile(r"[A-Za-z_$][\w$.]*\s*\((.*)\)", re.DOTALL)
# the rolling digest starts by repeating the title: 【标题】正文…
_LEAD_PREFIX = re.compile(r"^\s*【[^】]*】\s*")
_MISSING = object()

log = logging.getLogger("newsdesk.parse")


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for messages: object, array, string..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _decode(text: str) -> Any:
    # floats as Decimal keep the digits the outlet wrote (ids, prices) when turned to text;
    # ints are exact in Python already
    return json.loads(text, parse_float=Decimal)


def load_json(text: str, source: str) -> Any:
    """Decode a JSON (or JSONP-wrapped JSON) answer; raises ParseError naming line and column."""
    text = text.lstrip("\ufeff")
    try:
        return _decode(text)
    except json.JSONDecodeError as exc:
        first = exc
    except RecursionError as exc:
        raise ParseError(source, "invalid JSON: nested too deeply") from exc
    bare = text.strip().rstrip(";").rstrip()
    for wrapper in (_VAR_WRAPPER, _CALL_WRAPPER):
        match = wrapper.fullmatch(bare)
        if match is None:
            continue
        try:
            return _decode(match.group(1))
        except json.JSONDecodeError:
            continue
        except RecursionError as exc:
            raise ParseError(source, "invalid JSON: nested too deeply") from exc
    # some of json's messages end in "starting at"; the position follows once
    what = first.msg.removesuffix(" at")
    raise ParseError(source, f"invalid JSON: {what} at line {first.lineno} column {first.colno}") from first


def lookup(value: Any, path: str) -> Any:
    """The value at a dotted path (`data.list`, `data.0.items`), or _MISSING; "" is the value itself."""
    if path == "":
        return value
    if isinstance(value, dict) and path in value:
        return value[path]  # a field whose own name holds a dot
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def is_missing(value: object) -> bool:
    """True for what `lookup` returns when the path is not there."""
    return value is _MISSING


def _items(document: Any, preset: Preset, source: str, warnings: list[str]) -> list[Any]:
    items = lookup(document, preset.items)
    where = f"items path {preset.items!r}" if preset.items else "the answer"
    if is_missing(items):
        raise ParseError(source, f"{where} not found")
    if items is None:
        # East Money answers `"data": null` when a list is empty; that is not a failure
        warnings.append(f"{where} is null; read as no items")
        return []
    if not isinstance(items, list):
        raise ParseError(source, f"{where} is not a list (got {json_type(items)})")
    return items


def _text(item: dict[str, Any], api_field: str | None) -> str | None:
    """A scalar field as stripped text; None when absent, empty or not a scalar."""
    if api_field is None:
        return None
    value = lookup(item, api_field)
    if isinstance(value, bool) or value is None or is_missing(value):
        return None
    if isinstance(value, (str, int, float, Decimal)):
        text = str(value).strip()
        return text or None
    return None


class _Skip(Exception):
    """One item cannot become a RawItem; the message says which field."""


def _require(item: dict[str, Any], api_field: str) -> str:
    value = lookup(item, api_field)
    if is_missing(value) or value is None:
        raise _Skip(f"missing field {api_field!r}")
    if isinstance(value, (dict, list, bool)):
        raise _Skip(f"field {api_field!r} is not text (got {json_type(value)})")
    text = _text(item, api_field)
    if text is None:
        raise _Skip(f"empty field {api_field!r}")
    return text


def _strip_prefix(text: str | None) -> str | None:
    if text is None:
        return None
    return _LEAD_PREFIX.sub("", text, count=1).strip() or None


def _raw_item(item: Any, preset: Preset, source: SourceConfig) -> RawItem:
    if not isinstance(item, dict):
        raise _Skip(f"not an object (got {json_type(item)})")
    fields = preset.fields
    title = _require(item, fields["title"])
    url = _text(item, fields.get("url"))
    key = _text(item, fields.get("fulltext_key"))
    guid = _text(item, fields.get("id"))
    if guid is None:
        # an item without its id can still be told apart by its text key or its address
        guid = key or url
        if guid is None and "id" in fields:
            _require(item, fields["id"])  # raises the precise reason
    key = key or guid
    link = url
    if source.share_url is not None and key is not None:
        link = source.share_url.replace("{id}", quote(key, safe=""))
    lead, summary = _text(item, fields.get("lead")), _text(item, fields.get("summary"))
    if preset.strip_lead_prefix:
        lead, summary = _strip_prefix(lead), _strip_prefix(summary)
    outlet = preset.outlet if preset.outlet is not None else _text(item, fields.get("outlet"))
    body = lookup(item, fields["body"]) if "body" in fields else None
    return RawItem(
        source=source.name,
        guid=guid,
        title=title,
        link=link,
        published=_text(item, fields.get("published")),
        body_html=body.strip() if isinstance(body, str) else "",
        updated=None,
        author=None,
        summary=summary,
        outlet=outlet,
        lead=lead,
        fulltext_key=key,
    )


def parse_json_list_report(fetched: Fetched, source: SourceConfig) -> tuple[list[RawItem], list[str]]:
    """Items of a JSON list API and one warning per skipped item (`item 7: …`, 1 = first). Raises ParseError."""
    if fetched.not_modified:
        return [], []
    preset = resolve(source)
    if "title" not in preset.fields:
        raise ParseError(source.name, "no title field configured: set a preset or fields.title")
    warnings: list[str] = []
    items = _items(load_json(fetched.text, source.name), preset, source.name, warnings)
    result: list[RawItem] = []
    for number, item in enumerate(items, start=1):
        try:
            result.append(_raw_item(item, preset, source))
        except _Skip as skip:
            warnings.append(f"item {number}: {skip}")
    return result, warnings


def parse_json_list(fetched: Fetched, source: SourceConfig) -> list[RawItem]:
    """Items of a JSON list API as RawItems; skipped items are logged. Raises ParseError."""
    items, warnings = parse_json_list_report(fetched, source)
    for warning in warnings:
        log.warning("%s: %s", source.name, warning)
    return items
