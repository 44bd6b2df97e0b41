"""The clean stage: one untrusted RawItem -> an Article with plain text, aware times, safe HTML."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from newsdesk.clean.dates import parse_datetime
from newsdesk.clean.sanitize import sanitize_html, strip_tracking
from newsdesk.clean.text import cut_at_sentence, plain_text
from newsdesk.errors import ParseError
from newsdesk.models import Article, RawItem
from newsdesk.slugs import category_slug

__all__ = ["CleanSettings", "clean_item", "make_id", "parse_datetime", "plain_text", "sanitize_html"]

log = logging.getLogger(__name__)

SUMMARY_CHARS = 120
TITLE_CHARS = 30
# a raw summary longer than this is really the article, so it gets cut like one
LONG_SUMMARY_CHARS = 2 * SUMMARY_CHARS


@dataclass(frozen=True, slots=True)
class CleanSettings:
    """What cleaning one source's items needs to know."""

    source: str  # the configured source name
    outlet: str  # default outlet name (the source name) when the item has none
    timezone: ZoneInfo  # naive outlet times are read in this zone
    now: datetime  # aware; published time for items without one (Article.dated=False)
    category: str | None = None  # per-source override slug
    categories: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def canonical_link(link: str | None) -> str | None:
    """An absolute http(s) link without fragment or tracking parameters, else None."""
    if not link:
        return None
    link = link.strip()
    parts = urlsplit(link)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None  # a javascript: or relative link cannot go on a page as it is
    return strip_tracking(urlunsplit(parts._replace(fragment="")))


def make_id(raw: RawItem) -> str:
    """The item's stable id: its guid, else its canonical link, else "h-" + a hash of title and time."""
    if raw.guid and raw.guid.strip():
        return raw.guid.strip()
    link = canonical_link(raw.link)
    if link:
        return link
    # an untitled item hashes its body too, or every untitled item of a day would collide
    basis = "\n".join((raw.title.strip(), (raw.published or "").strip(),
                       "" if raw.title.strip() else raw.body_html.strip()))
    return "h-" + hashlib.sha1(basis.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _time(raw_value: str | None, field_name: str, raw: RawItem, settings: CleanSettings,
          warnings: list[str] | None) -> datetime | None:
    if not raw_value or not raw_value.strip():
        return None
    try:
        return parse_datetime(raw_value, settings.timezone)
    except ValueError as exc:
        what = raw.guid or raw.link or raw.title[:40]
        reason = f"item {what}: {field_name} {raw_value[:60]!r} not understood ({exc})"
        log.warning("%s: %s; treated as missing", settings.source, reason)
        if warnings is not None:
            warnings.append(reason)
        return None


def clean_item(raw: RawItem, settings: CleanSettings, warnings: list[str] | None = None) -> Article:
    """Turn one untrusted item into an Article. Raises ParseError naming the field.

    Problems that do not stop the item (an unreadable date) are logged and, when
    `warnings` is given, appended to it as one-line reasons.
    """
    link = canonical_link(raw.link)
    body_html = sanitize_html(raw.body_html or "", base_url=link)
    body_text = plain_text(body_html)
    title = plain_text(raw.title or "")
    if not title and not body_text:
        what = raw.guid or raw.link or "without id or link"
        raise ParseError(settings.source, f"item {what}: no title and no body")
    if not title:
        title = cut_at_sentence(body_text, TITLE_CHARS)

    published_at = _time(raw.published, "published", raw, settings, warnings)
    updated_at = _time(raw.updated, "updated", raw, settings, warnings)
    dated = published_at is not None or updated_at is not None
    published_at = published_at or updated_at or settings.now

    summary = plain_text(raw.summary or "")
    if len(summary) > LONG_SUMMARY_CHARS:
        summary = cut_at_sentence(summary, SUMMARY_CHARS)
    if not summary:
        summary = cut_at_sentence(body_text, SUMMARY_CHARS)

    outlet = plain_text(raw.outlet or "") or settings.outlet
    category = settings.category or settings.categories.get(outlet) or category_slug(outlet)
    author = plain_text(raw.author or "") or None
    lead = plain_text(raw.lead or "") or None
    return Article(
        source=settings.source,
        id=make_id(raw),
        outlet=outlet,
        category=category,
        title=title,
        link=link,
        published_at=published_at,
        body_html=body_html,
        summary=summary,
        author=author,
        updated_at=updated_at if updated_at != published_at else None,
        lead=lead,
        fulltext_key=raw.fulltext_key,
        dated=dated,
    )
