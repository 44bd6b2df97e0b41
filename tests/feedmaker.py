"""Builds small feeds in every format the tests serve (RSS 0.91/1.0/2.0, Atom 0.3/1.0, JSON Feed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

BEIJING = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    link: str
    published: datetime
    body: str


def entries(prefix: str, count: int, *, start: datetime | None = None, outlet: str = "测试") -> list[Entry]:
    """`count` entries, newest first, one hour apart."""
    start = start or datetime(2026, 11, 20, 9, 30, tzinfo=BEIJING)
    return [Entry(guid=f"{prefix}-{i}", title=f"{outlet}：第{i}条“快讯” <{prefix}> & 市场",
                  link=f"https://news.example.com/{prefix}/{i}.html",
                  published=start - timedelta(hours=i),
                  body=f"<p>　　{outlet}报道，第{i}条正文。</p><p><strong>要点</strong></p><p>沪指上涨{i}%。</p>")
            for i in range(count)]


def rss2(items: list[Entry], title: str = "测试频道", encoding: str = "utf-8") -> bytes:
    body = "".join(
        f"<item><title>{escape(e.title)}</title><link>{e.link}</link><guid isPermaLink=\"false\">{e.guid}</guid>"
        f"<pubDate>{format_datetime(e.published)}</pubDate><description>{escape(e.body)}</description></item>"
        for e in items)
    text = (f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel><title>{escape(title)}'
            f"</title><link>https://news.example.com/</link><description>d</description>{body}</channel></rss>")
    return text.encode(encoding)


def rss091(items: list[Entry], title: str = "测试频道") -> bytes:
    body = "".join(f"<item><title>{escape(e.title)}</title><link>{e.link}</link>"
                   f"<description>{escape(e.body)}</description></item>" for e in items)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="0.91"><channel><title>{escape(title)}</title>'
            f"<link>https://news.example.com/</link><description>d</description><language>zh-cn</language>"
            f"{body}</channel></rss>").encode()


def rss1(items: list[Entry], title: str = "测试频道") -> bytes:
    body = "".join(
        f'<item rdf:about="{e.link}"><title>{escape(e.title)}</title><link>{e.link}</link>'
        f"<dc:date>{e.published.isoformat()}</dc:date><description>{escape(e.body)}</description></item>"
        for e in items)
    seq = "".join(f'<rdf:li rdf:resource="{e.link}"/>' for e in items)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="https://news.example.com/"><title>{escape(title)}</title>'
            f"<link>https://news.example.com/</link><description>d</description>"
            f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>{body}</rdf:RDF>").encode()


def atom10(items: list[Entry], title: str = "测试频道") -> bytes:
    body = "".join(
        f"<entry><id>{e.guid}</id><title>{escape(e.title)}</title><link href=\"{e.link}\"/>"
        f"<published>{e.published.isoformat()}</published><updated>{e.published.isoformat()}</updated>"
        f"<author><name>记者</name></author><content type=\"html\">{escape(e.body)}</content></entry>"
        for e in items)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>urn:test:{escape(title)}</id><title>{escape(title)}</title><updated>2026-11-20T09:30:00+08:00"
            f"</updated>{body}</feed>").encode()


def atom03(items: list[Entry], title: str = "测试频道") -> bytes:
    body = "".join(
        f"<entry><id>{e.guid}</id><title>{escape(e.title)}</title><link rel=\"alternate\" type=\"text/html\" "
        f"href=\"{e.link}\"/><issued>{e.published.isoformat()}</issued><modified>{e.published.isoformat()}"
        f"</modified><content type=\"text/html\" mode=\"escaped\">{escape(e.body)}</content></entry>"
        for e in items)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed version="0.3" xmlns="http://purl.org/atom/ns#">'
            f"<title>{escape(title)}</title><modified>2026-11-20T09:30:00+08:00</modified>{body}</feed>").encode()


def jsonfeed(items: list[Entry], title: str = "测试频道", version: str = "1.1") -> bytes:
    return json.dumps({
        "version": f"https://jsonfeed.org/version/{version}", "title": title,
        "items": [{"id": e.guid, "url": e.link, "title": e.title, "content_html": e.body,
                   "date_published": e.published.isoformat()} for e in items],
    }, ensure_ascii=False).encode()


FORMATS = {"rss2": rss2, "rss091": rss091, "rss1": rss1, "atom10": atom10, "atom03": atom03, "jsonfeed": jsonfeed}
