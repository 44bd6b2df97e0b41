"""The Atom feed (RFC 4287) and JSON Feed 1.1: entries and feed context built from stored articles."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from urllib.parse import quote, urlsplit

from markupsafe import Markup

from newsdesk.config import SiteConfig
from newsdesk.models import StoredArticle
from newsdesk.urls import ATOM, absolute

# characters XML 1.0 forbids outright (all but tab, newline and CR below space, lone surrogates, U+FFFE
# and U+FFFF); one stray control byte would make the feed unparseable. Listed, not negated: the
# negated class took ~3 ms to compile in every build process
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One <entry>: every value plain text; the template escapes them all."""

    id: str
    title: str
    link: str  # absolute URL of the article page on this site
    original: str | None  # the outlet's own page, when it is an http(s) URL
    updated: str  # RFC 3339
    published: str
    author: str
    category: str
    outlet: str
    summary: str
    content_html: str  # sanitized HTML, sent escaped as type="html"


@dataclass(frozen=True, slots=True)
class AtomFeed:
    """The feed.xml template's context; `entries` are <entry> elements rendered by feed_entry.xml."""

    id: str
    title: str
    subtitle: str
    language: str
    updated: str
    self_url: str
    home_url: str
    author: str
    entries: tuple[Markup, ...]


@dataclass(frozen=True, slots=True)
class RenderedEntry:
    """One article as both feeds carry it, made once and reused by every feed that lists it."""

    updated: datetime  # entry_updated(): the newest entry's is its feed's <updated>
    atom: str  # the <entry> element
    json: str  # the JSON Feed item


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text)


def rfc3339(moment: datetime, tz: tzinfo) -> str:
    """An aware time as RFC 3339 in the site's zone, e.g. 2021-12-29T20:06:31+08:00."""
    return moment.astimezone(tz).isoformat(timespec="seconds")


def http_link(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL, else None (no javascript: or data: links)."""
    if not url:
        return None
    url = url.strip()
    # most links are ASCII, start `https://` and a host name: then they are such a URL without parsing
    # (2 us an article, on its page and in its feed entry). Anything else is parsed: brackets (IPv6)
    # and non-ASCII host names are what urlsplit may refuse
    if url.startswith(_PLAIN_SCHEMES) and url.partition("//")[2][:1].isalnum() and url.isascii() \
            and "[" not in url and "]" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced IPv6 bracket: not a link to send readers to
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


_PLAIN_SCHEMES = ("https://", "http://")


def entry_updated(stored: StoredArticle) -> datetime:
    """When an entry last changed in a way readers care about."""
    article = stored.article
    moments = [article.published_at]
    if article.updated_at is not None:
        moments.append(article.updated_at)
    if stored.revision > 1:
        moments.append(stored.changed_at)
    return max(moments)


def entry_id(stored: StoredArticle, base_url: str) -> str:
    """A tag: URI (RFC 4151) that stays put when the page's date or the site's paths change."""
    host = _host(base_url)
    day = stored.first_seen_at.astimezone(UTC).date().isoformat()
    article = stored.article
    return f"tag:{host},{day}:{quote(article.source, safe='')}/{quote(article.id, safe='')}"


@lru_cache(maxsize=8)  # a build has one base URL: parsed once, not once per entry
def _host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "newsdesk.invalid"


def feed_entry(stored: StoredArticle, page_path: str, site: SiteConfig) -> FeedEntry:
    """The <entry> of one article whose page lives at `page_path`."""
    article = stored.article
    tz = site.tz
    return FeedEntry(
        id=entry_id(stored, site.base_url),
        title=xml_text(article.title),
        link=absolute(site.base_url, page_path),
        original=http_link(article.link),
        updated=rfc3339(entry_updated(stored), tz),
        published=rfc3339(article.published_at, tz),
        author=xml_text(article.author or article.outlet),
        category=article.category,
        outlet=xml_text(article.outlet),
        summary=xml_text(article.summary or article.lead or ""),
        content_html=xml_text(article.body_html),
    )


def json_item(entry: FeedEntry) -> str:
    """The JSON Feed item of an entry, as compact JSON text."""
    item: dict[str, object] = {
        "id": entry.id,
        "url": entry.link,
        "title": entry.title,
        "content_html": entry.content_html,
        "date_published": entry.published,
        "date_modified": entry.updated,
        "authors": [{"name": entry.author}],
        "tags": [entry.outlet],
    }
    if entry.original:
        item["external_url"] = entry.original
    if entry.summary:
        item["summary"] = entry.summary
    return _compact(item)


def _compact(value: object) -> str:
    # compact: with `indent` json falls back to its pure-Python encoder, ~10x slower on full bodies
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def atom_feed(entries: list[RenderedEntry], site: SiteConfig,
              now: datetime | None = None, *, path: str = ATOM, title: str | None = None,
              home_path: str = "") -> AtomFeed:
    """One Atom feed at `path`; `updated` is the newest entry's, so an unchanged store gives identical bytes."""
    if entries:
        updated = max(entry.updated for entry in entries)
    else:
        updated = now or _EPOCH
    return AtomFeed(
        id=absolute(site.base_url, path),
        title=xml_text(title if title is not None else site.title),
        subtitle=xml_text(site.description),
        language=site.language,
        updated=rfc3339(updated, site.tz),
        self_url=absolute(site.base_url, path),
        home_url=absolute(site.base_url, home_path),
        author=xml_text(site.title),
        entries=tuple(Markup(entry.atom) for entry in entries),  # rendered, escaped already
    )


def json_feed(entries: list[RenderedEntry], site: SiteConfig, *, path: str,
              title: str, home_path: str = "") -> bytes:
    """A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1) of the same entries."""
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": absolute(site.base_url, home_path),
        "feed_url": absolute(site.base_url, path),
        "language": site.language,
        "authors": [{"name": site.title}],
    }
    if site.description:
        feed["description"] = site.description
    head = _compact(feed)  # the items are JSON text already: spliced in last
    return f'{head[:-1]},"items":[{",".join(entry.json for entry in entries)}]}}\n'.encode()
