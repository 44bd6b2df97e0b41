"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org) -> RawItem."""

from __future__ import annotations

import html
import json
import logging
import re
from typing import Any
from urllib.parse import urljoin

from newsdesk.config import SourceConfig
from newsdesk.errors import ParseError
from newsdesk.models import Fetched, RawItem

log = logging.getLogger(__name__)

VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def looks_like_json(fetched: Fetched) -> bool:
    """True when the body starts like a JSON object or array rather than markup."""
    head = (fetched.text or fetched.body[:64].decode("utf-8", errors="replace")).lstrip("\ufeff \t\r\n")
    return head[:1] in ("{", "[")


def parse_json_feed(fetched: Fetched, source: SourceConfig) -> list[RawItem]:
    """Parse a JSON Feed body into items; raises ParseError on bad JSON or a missing `items`."""
    text = fetched.text or fetched.body.decode("utf-8", errors="replace")
    try:
        document = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise ParseError(source.name, f"not a JSON Feed: invalid JSON at line {exc.lineno} "
                                      f"column {exc.colno} ({exc.msg})") from exc
    if not isinstance(document, dict):
        raise ParseError(source.name, "not a JSON Feed: the top level is not an object")
    version = document.get("version")
    if version not in VERSIONS:
        # items are still worth reading; the version only changes author fields
        log.warning("%s: unexpected JSON Feed version %r", source.name, version)
    items = document.get("items")
    if not isinstance(items, list):
        raise ParseError(source.name, 'not a JSON Feed: no "items" list')
    feed_author = _author(document)
    result: list[RawItem] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            log.warning("%s: items[%d] is not an object; skipped", source.name, index)
            continue
        result.append(_item(item, source.name, fetched.url, feed_author))
    return result


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # some generators write numeric ids
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _author(obj: dict[str, Any]) -> str | None:
    """`authors` (1.1) or `author` (1.0) -> the names joined by commas."""
    candidates = obj.get("authors")
    if not isinstance(candidates, list):
        candidates = [obj.get("author")]
    names = [name.strip() for person in candidates if isinstance(person, dict)
             if isinstance(name := person.get("name"), str) and name.strip()]
    return ", ".join(names) or None


def text_to_html(text: str) -> str:
    """Plain text -> escaped paragraphs, one per blank-line-separated block."""
    blocks = [b.strip() for b in _PARAGRAPH_BREAK.split(text) if b.strip()]
    return "".join(f"<p>{html.escape(b, quote=False)}</p>".replace("\n", "<br>") for b in blocks)


def _item(item: dict[str, Any], source: str, feed_url: str, feed_author: str | None) -> RawItem:
    content_html = _text(item, "content_html")
    content_text = _text(item, "content_text")
    body_html = content_html or (text_to_html(content_text) if content_text else "")
    link = _text(item, "url") or _text(item, "external_url")
    return RawItem(
        source=source,
        guid=_text(item, "id"),
        title=_text(item, "title") or "",
        link=urljoin(feed_url, link) if link and feed_url else link,
        published=_text(item, "date_published") or _text(item, "date_modified"),
        body_html=body_html,
        updated=_text(item, "date_modified"),
        author=_author(item) or feed_author,
        summary=_text(item, "summary"),
    )
