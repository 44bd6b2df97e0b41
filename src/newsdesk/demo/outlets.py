"""The demo's made-up outlets (a table) and how each one writes its feed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape as html_escape
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from newsdesk.demo.stories import Story

BEIJING = ZoneInfo("Asia/Shanghai")
FORMATS = ("rss", "atom", "jsonfeed")
TAG_AUTHORITY = "tag:newsdesk-demo.invalid,2024:"


@dataclass(frozen=True, slots=True)
class DemoOutlet:
    """One outlet as a newsdesk source sees it."""

    name: str
    kind: str  # always "feed"
    format: str  # rss | atom | jsonfeed
    path: str
    url: str
    encoding: str = "utf-8"


@dataclass(frozen=True, slots=True)
class OutletSpec:
    """How one made-up outlet publishes: its name, format, beats and quirks."""

    key: str
    name: str
    format: str
    path: str
    beats: tuple[str, ...]
    encoding: str = "utf-8"
    # quirks: "beijing" dates in +0800, "content" full text in content:encoded,
    # "summary" Atom entries with a summary and no content
    quirk: str = ""


# Per-outlet knowledge is a table: every name is invented for the demo.
OUTLETS: tuple[OutletSpec, ...] = (
    OutletSpec("donghai", "东海财经", "rss", "/donghai/rss.xml", ("market", "company", "policy")),
    OutletSpec("nanfang", "南方证券报", "rss", "/nanfang/news.xml", ("company", "market"),
               encoding="gbk", quirk="beijing"),
    OutletSpec("jinqiao", "金桥快讯", "atom", "/jinqiao/atom.xml", ("market", "policy", "bonds")),
    OutletSpec("plus", "Plus财闻", "jsonfeed", "/plus/feed.json", ("company", "market")),
    OutletSpec("huaxia", "华夏基金观察", "rss", "/huaxia/feed.rss", ("funds",), quirk="content"),
    OutletSpec("beichen", "北辰债市通讯", "atom", "/beichen/atom.xml", ("bonds", "policy"),
               quirk="summary"),
)


def article_path(spec: OutletSpec, story: Story) -> str:
    """Where the newswire serves a story's own page."""
    return f"/{spec.key}/articles/{story.seq}.html"


def entry_id(spec: OutletSpec, story: Story) -> str:
    """The id the outlet publishes: Atom outlets use tag URIs, the others plain strings."""
    return TAG_AUTHORITY + story.guid if spec.format == "atom" else story.guid


def _rfc3339(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _rfc822(spec: OutletSpec, when: datetime) -> str:
    zone = BEIJING if spec.quirk == "beijing" else None
    return format_datetime(when.astimezone(zone) if zone else when, usegmt=zone is None)


def _description(spec: OutletSpec) -> str:
    return f"{spec.name}（newsdesk 演示新闻源，内容由程序生成，纯属虚构）"


def render_feed(spec: OutletSpec, stories: Sequence[Story], base_url: str) -> tuple[bytes, str]:
    """The feed body (newest story first) and its Content-Type."""
    newest_first = sorted(stories, key=lambda s: (s.published_at, s.seq), reverse=True)
    if spec.format == "rss":
        return _rss(spec, newest_first, base_url)
    if spec.format == "atom":
        return _atom(spec, newest_first, base_url)
    return _jsonfeed(spec, newest_first, base_url)


def _rss(spec: OutletSpec, stories: Sequence[Story], base_url: str) -> tuple[bytes, str]:
    items = []
    for story in stories:
        link = base_url + article_path(spec, story)
        parts = [
            f"<title>{escape(story.title)}</title>",
            f"<link>{escape(link)}</link>",
            f"<guid isPermaLink=\"false\">{escape(entry_id(spec, story))}</guid>",
            f"<pubDate>{_rfc822(spec, story.published_at)}</pubDate>",
            f"<dc:creator>{escape(story.author)}</dc:creator>",
            *(f"<category>{escape(tag)}</category>" for tag in story.tags),
        ]
        if spec.quirk == "content":
            parts.append(f"<description>{escape(story.summary)}</description>")
            parts.append(f"<content:encoded>{escape(story.body_html)}</content:encoded>")
        else:
            parts.append(f"<description>{escape(story.body_html)}</description>")
        items.append("<item>\n  " + "\n  ".join(parts) + "\n</item>")
    updated = stories[0].published_at if stories else None
    channel = [
        f"<title>{escape(spec.name)}</title>",
        f"<link>{escape(base_url + '/' + spec.key + '/')}</link>",
        f"<description>{escape(_description(spec))}</description>",
        "<language>zh-cn</language>",
        *([f"<lastBuildDate>{_rfc822(spec, updated)}</lastBuildDate>"] if updated else []),
    ]
    # the GBK outlet names its charset only in the XML prolog, never in the header
    prolog = f'<?xml version="1.0" encoding="{"GBK" if spec.encoding == "gbk" else "UTF-8"}"?>\n'
    text = (prolog + '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
            + "\n".join(channel) + "\n" + "\n".join(items) + "\n</channel>\n</rss>\n")
    if spec.encoding == "gbk":
        return text.encode("gbk", "xmlcharrefreplace"), "application/xml"
    return text.encode("utf-8"), "application/rss+xml; charset=utf-8"


def _atom(spec: OutletSpec, stories: Sequence[Story], base_url: str) -> tuple[bytes, str]:
    entries = []
    for story in stories:
        link = base_url + article_path(spec, story)
        parts = [
            f"<title>{escape(story.title)}</title>",
            f"<id>{escape(entry_id(spec, story))}</id>",
            f"<link rel=\"alternate\" type=\"text/html\" href={quoteattr(link)}/>",
            f"<published>{_rfc3339(story.published_at)}</published>",
            f"<updated>{_rfc3339(story.published_at)}</updated>",
            f"<author><name>{escape(story.author)}</name></author>",
            *(f"<category term={quoteattr(tag)}/>" for tag in story.tags),
            f"<summary type=\"text\">{escape(story.summary)}</summary>",
        ]
        if spec.quirk != "summary":
            parts.append(f"<content type=\"html\">{escape(story.body_html)}</content>")
        entries.append("<entry>\n  " + "\n  ".join(parts) + "\n</entry>")
    updated = stories[0].published_at if stories else datetime(2024, 1, 1, tzinfo=BEIJING)
    head = [
        f"<title>{escape(spec.name)}</title>",
        f"<subtitle>{escape(_description(spec))}</subtitle>",
        f"<id>{TAG_AUTHORITY}{spec.key}</id>",
        f"<updated>{_rfc3339(updated)}</updated>",
        f"<link rel=\"self\" href={quoteattr(base_url + spec.path)}/>",
        f"<link rel=\"alternate\" href={quoteattr(base_url + '/' + spec.key + '/')}/>",
    ]
    text = ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">\n'
            + "\n".join(head) + "\n" + "\n".join(entries) + "\n</feed>\n")
    return text.encode("utf-8"), "application/atom+xml; charset=utf-8"


def _jsonfeed(spec: OutletSpec, stories: Sequence[Story], base_url: str) -> tuple[bytes, str]:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": spec.name,
        "home_page_url": f"{base_url}/{spec.key}/",
        "feed_url": base_url + spec.path,
        "description": _description(spec),
        "language": "zh-CN",
        "items": [
            {
                "id": entry_id(spec, story),
                "url": base_url + article_path(spec, story),
                "title": story.title,
                "summary": story.summary,
                "content_html": story.body_html,
                "date_published": _rfc3339(story.published_at.astimezone(BEIJING)),
                "authors": [{"name": story.author}],
                "tags": list(story.tags),
            }
            for story in stories
        ],
    }
    body = json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")
    return body, "application/feed+json; charset=utf-8"


def render_article(spec: OutletSpec, story: Story) -> bytes:
    """The story's own page on the outlet, for readers who follow the original link."""
    when = story.published_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    return (
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        f"<title>{html_escape(story.title)} - {html_escape(spec.name)}</title></head>\n"
        f"<body><article><h1>{html_escape(story.title)}</h1>\n"
        f"<p class=\"meta\">{html_escape(spec.name)} · {when} · {html_escape(story.author)}</p>\n"
        f"{story.body_html}\n</article>\n"
        "<p><small>newsdesk 演示新闻源：内容由程序生成，纯属虚构。</small></p></body></html>\n"
    ).encode()


def render_index(specs: Sequence[OutletSpec], base_url: str) -> bytes:
    """A small page listing every outlet's feed, for people who open the newswire."""
    rows = "\n".join(
        f"<li>{html_escape(spec.name)} ({spec.format}): "
        f"<a href=\"{html_escape(base_url + spec.path)}\">{html_escape(spec.path)}</a></li>"
        for spec in specs
    )
    return (
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<title>newsdesk 演示新闻源</title></head>\n<body><h1>newsdesk 演示新闻源</h1>\n"
        f"<ul>\n{rows}\n</ul></body></html>\n"
    ).encode()
