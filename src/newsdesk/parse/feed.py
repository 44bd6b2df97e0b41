"""RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 via feedparser -> RawItem."""

from __future__ import annotations

import codecs
import html
import io
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from newsdesk.config import SourceConfig
from newsdesk.errors import ParseError
from newsdesk.models import Fetched, RawItem

log = logging.getLogger(__name__)

# the XML declaration's encoding pseudo-attribute, read from the first bytes
_PROLOG_ENCODING = re.compile(
    r"""^(\s*<\?xml\b[^>]*?\bencoding\s*=\s*)(["'])([^"']*)\2""", re.IGNORECASE)
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE,
         codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html\b|head\b|body\b)",
                         re.IGNORECASE | re.DOTALL)
# bozo reasons that say nothing about the document being broken
_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def parse_feed(fetched: Fetched, source: SourceConfig) -> list[RawItem]:
    """Parse an RSS or Atom body into items; raises ParseError when it is not a feed."""
    if not fetched.body.strip():
        raise ParseError(source.name, "not a feed: the body is empty")
    data = feed_bytes(fetched)
    # a stream, never a str: feedparser would treat a str as a URL or file name to open
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    entries: list[Mapping[str, Any]] = list(parsed.get("entries", []))
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not entries:
        if _HTML_START.match(fetched.body[:2048]):
            raise ParseError(source.name, "not a feed: got an HTML page")
        if not parsed.get("version"):
            reason = _short(problem) if problem else "no RSS or Atom root element"
            raise ParseError(source.name, f"not a feed: {reason}")
        if problem is not None and not isinstance(problem, _HARMLESS_BOZO):
            raise ParseError(source.name, f"not a feed: malformed XML ({_short(problem)})")
        return []
    if problem is not None and not isinstance(problem, _HARMLESS_BOZO) and not any(
            _text(e, "title") or _text(e, "link") or e.get("content") or _text(e, "summary")
            for e in entries):
        # the parser gave up at once: its "entries" are empty shells, not news
        raise ParseError(source.name, f"not a feed: malformed XML ({_short(problem)})")
    if problem is not None:
        log.warning("%s: feed is not well-formed (%s); using the %d entries read",
                    source.name, _short(problem), len(entries))
    return [_item(entry, source.name, fetched.url) for entry in entries]


def feed_bytes(fetched: Fetched) -> bytes:
    """The bytes to hand feedparser so that it decodes the text as the fetch stage did.

    When the fetch stage read the encoding from the document (or the document's
    default, UTF-8), the raw bytes are right. When it decoded with another codec
    (a lying or missing declaration), the decoded text is re-encoded as UTF-8 and
    the declaration rewritten to match.
    """
    body = fetched.body
    if body.startswith(_BOMS) or not fetched.text:
        return body  # a byte order mark settles the encoding for every reader
    declared = declared_encoding(body) or "utf-8"
    if _codec(declared) == _codec(fetched.encoding) and _decodes(body, fetched.encoding):
        return body
    # a few bytes the declared codec cannot read would make feedparser re-guess the
    # whole document (latin-2 mojibake in every title); the fetch stage's text has
    # replacement characters there instead, so hand over that
    text = fetched.text.lstrip("\ufeff")
    # without a declaration XML means UTF-8, so only a declared name needs rewriting
    text = _PROLOG_ENCODING.sub(r"\1\2utf-8\2", text, count=1)
    return text.encode("utf-8")


def declared_encoding(body: bytes) -> str | None:
    """The encoding named by the XML declaration, if there is one."""
    head = body[:512].decode("ascii", errors="replace")
    match = _PROLOG_ENCODING.match(head)
    return (match.group(3).strip() or None) if match else None


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


def _short(problem: object) -> str:
    text = str(problem).strip().splitlines()[0] if str(problem).strip() else type(problem).__name__
    return text[:120]


def _text(entry: Mapping[str, Any], key: str) -> str | None:
    # plain dict access: FeedParserDict answers a missing `updated` with `published`
    value = dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _as_html(value: str, content_type: str | None) -> str:
    """Entry text as HTML: plain-text constructs are escaped, not interpreted."""
    if content_type == "text/plain":
        return html.escape(value, quote=False)
    return value


def _body(entry: Mapping[str, Any]) -> tuple[str, str | None]:
    """The entry's fullest HTML, and the content element's raw value if it came from one."""
    contents = [c for c in entry.get("content") or [] if isinstance(c.get("value"), str)]
    if contents:
        # some feeds carry a plain-text and an HTML version; the HTML one is richer
        richest = next((c for c in contents if c.get("type") in ("text/html", "application/xhtml+xml")),
                       contents[0])
        if richest["value"].strip():
            return _as_html(richest["value"], richest.get("type")), richest["value"]
    summary = entry.get("summary")
    if isinstance(summary, str):
        detail = entry.get("summary_detail") or {}
        return _as_html(summary, detail.get("type")), None
    return "", None


def _link(entry: Mapping[str, Any], feed_url: str) -> str | None:
    link = _text(entry, "link")
    if link is None:
        return None
    # feedparser copies a permalink guid into `link`; a guid that is no URL is no link
    if entry.get("guidislink") and link == _text(entry, "id") and not urlsplit(link).scheme:
        return None
    return urljoin(feed_url, link) if feed_url else link


def _item(entry: Mapping[str, Any], source: str, feed_url: str) -> RawItem:
    body_html, content = _body(entry)
    published = _text(entry, "published") or _text(entry, "updated") or _text(entry, "created")
    updated = _text(entry, "updated")
    summary = _text(entry, "summary")
    if content is None or summary == content.strip():
        # feedparser fills `summary` from the body when there is no separate one
        summary = None
    return RawItem(
        source=source,
        guid=_text(entry, "id"),
        title=_text(entry, "title") or "",
        link=_link(entry, feed_url),
        published=published,
        body_html=body_html,
        # feedparser copies a lone pubDate into `updated`; that is no second time
        updated=None if updated == published else updated,
        author=_text(entry, "author"),
        summary=summary,
    )
