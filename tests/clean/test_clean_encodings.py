"""Feeds in Chinese legacy encodings, declared, undeclared or mislabelled, through fetch, parse, clean, store."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopback import Outlet
from newsdesk import pipeline
from newsdesk.config import load_config
from newsdesk.store import open_store

SIMPLIFIED = ("朱镕基谈沪深股市：“稳中求进” 上涨3.5%", "<p>　　中国证券监督管理委员会今日发布公告，镕、堃、喆等字不可乱码。</p>")
GB18030_ONLY = ("䶮与𠀀：扩展区汉字 €5", "<p>国家标准GB18030收录了䶮、𠀀等扩展区汉字。</p>")
TRADITIONAL = ("臺灣證券交易所：加權指數收漲", "<p>　　臺灣證券交易所今日公布，成交金額創新高。</p>")


def rss(title: str, body: str, prolog_encoding: str | None) -> str:
    declaration = f' encoding="{prolog_encoding}"' if prolog_encoding else ""
    return (f'<?xml version="1.0"{declaration}?><rss version="2.0"><channel><title>News</title>'
            "<link>https://news.example.com/</link><description>d</description>"
            f"<item><title>{title}</title><link>https://news.example.com/a/1.html</link>"
            "<guid>a-1</guid><pubDate>Fri, 27 Nov 2026 08:00:00 +0800</pubDate>"
            f"<description><![CDATA[{body}]]></description></item></channel></rss>")


CASES = [
    pytest.param(SIMPLIFIED, "gbk", "gbk", "text/xml; charset=GBK", id="gbk-declared"),
    pytest.param(SIMPLIFIED, "gbk", None, "text/xml", id="gbk-undeclared"),
    pytest.param(SIMPLIFIED, "gbk", "gb2312", "application/rss+xml", id="gbk-chars-labelled-gb2312"),
    pytest.param(SIMPLIFIED, "gbk", None, "text/xml; charset=utf-8", id="gbk-labelled-utf8"),
    pytest.param(GB18030_ONLY, "gb18030", "gb18030", "application/xml", id="gb18030-four-byte"),
    pytest.param(TRADITIONAL, "big5", "big5", "text/xml; charset=big5", id="big5-declared"),
    pytest.param(TRADITIONAL, "big5", "big5", "text/xml", id="big5-prolog-only"),
    pytest.param(SIMPLIFIED, "utf-8", "gbk", "text/xml", id="utf8-labelled-gbk-in-prolog"),
]


@pytest.mark.parametrize(("text", "codec", "prolog", "content_type"), CASES)
def test_titles_and_bodies_arrive_intact(outlet: Outlet, tmp_path: Path, text: tuple[str, str], codec: str,
                                         prolog: str | None, content_type: str) -> None:
    title, body = text
    url = outlet.serve("/feed.xml", rss(title, body, prolog).encode(codec), content_type=content_type)
    path = tmp_path / "newsdesk.toml"
    path.write_text(f'[site]\noutput = "public"\n[fetch]\ntimeout = 3\n[[sources]]\nname = "编码"\nurl = "{url}"\n',
                    encoding="utf-8")
    config = load_config(path)
    with open_store(config.store.path) as store:
        report = pipeline.fetch(config, store)[0]
        assert (report.status, report.new) == ("ok", 1), report.error
        article = store.get_article("编码", "a-1")
    assert article is not None
    assert article.article.title == title
    expected_body = body.replace("　　", "")  # the full-width indent is typesetting, removed by clean
    assert article.article.body_html == expected_body
