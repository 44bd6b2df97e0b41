"""RSS, Atom and JSON Feed bodies -> RawItem, and the bodies that are not feeds."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from newsdesk.config import SourceConfig
from newsdesk.errors import ParseError
from newsdesk.models import Fetched, RawItem, Validators
from newsdesk.parse import parse
from newsdesk.parse.feed import declared_encoding, feed_bytes

FIXTURES = Path(__file__).parent / "fixtures"
FEED_URL = "https://host.example.com/feeds/news.xml"


def fetched(name: str, encoding: str = "utf-8", url: str = FEED_URL) -> Fetched:
    """A Fetched as the fetch stage would hand it on, decoded with `encoding`."""
    body = (FIXTURES / name).read_bytes()
    return Fetched(source="src", url=url, status=200, body=body,
                   text=body.decode(encoding, errors="replace"), encoding=encoding,
                   content_type="application/xml", validators=Validators(), elapsed_s=0.01)


def source(kind: str = "feed") -> SourceConfig:
    return SourceConfig(name="src", kind=kind, url=FEED_URL)


def items_of(name: str, encoding: str = "utf-8") -> list[RawItem]:
    return parse(fetched(name, encoding), source())


# ------------------------------------------------------------------ formats

FORMATS = [
    pytest.param("rss2_utf8.xml", 2, "央行开展500亿元逆回购操作 & 利率持平", id="rss2"),
    pytest.param("rss1_rdf.xml", 2, "多家银行下调存款利率", id="rss1-rdf"),
    pytest.param("rss091.xml", 1, "黄金价格小幅回落", id="rss091"),
    pytest.param("atom03.xml", 1, "公募基金规模突破32万亿元", id="atom03"),
    pytest.param("atom10.xml", 3, "铜价<em>大涨</em>3%", id="atom10"),
    pytest.param("jsonfeed10.json", 2, "10年期国债收益率下行2个基点", id="jsonfeed10"),
    pytest.param("jsonfeed11.json", 2, "恒生指数收涨2%", id="jsonfeed11"),
]


@pytest.mark.parametrize(("name", "count", "first_title"), FORMATS)
def test_every_format_yields_its_items(name: str, count: int, first_title: str) -> None:
    items = items_of(name)
    assert len(items) == count
    assert items[0].title == first_title
    assert all(item.source == "src" for item in items)


FIELDS = [
    pytest.param("rss2_utf8.xml", 0, {
        "guid": "cj-1001", "link": "https://news.example.com/a/20261127/1001.html",
        "published": "Fri, 27 Nov 2026 09:30:00 +0800", "updated": None, "author": "记者 王明",
        "summary": "央行今日开展500亿元7天期逆回购操作。"}, id="rss2-content-encoded"),
    pytest.param("rss2_utf8.xml", 1, {
        "guid": "https://news.example.com/a/20261127/1002.html",
        "link": "https://host.example.com/a/20261127/1002.html",  # relative link, read against the feed URL
        "body_html": "<p>沪指午后翻红，<b>券商板块</b>涨幅居前。</p>", "summary": None}, id="rss2-relative-link"),
    pytest.param("rss1_rdf.xml", 0, {
        "guid": "https://rdf.example.com/n/1", "published": "2026-11-26T08:00:00+08:00",
        "author": "李华", "body_html": "多家国有大行宣布下调人民币存款挂牌利率。"}, id="rss1-dc-date"),
    pytest.param("rss1_rdf.xml", 1, {"published": "2026-11-26 10:15:00"}, id="rss1-naive-dc-date"),
    pytest.param("rss091.xml", 0, {
        "guid": None, "link": "http://old.example.com/gold/20261127.html", "published": None}, id="rss091-no-guid"),
    pytest.param("atom03.xml", 0, {
        "guid": "tag:fund.example.com,2026:31", "link": "https://fund.example.com/e/31",
        "published": "2026-11-27T09:00:00+08:00", "updated": "2026-11-27T10:00:00+08:00",
        "author": "基金观察编辑部", "body_html": "<p>截至10月底，公募基金规模突破32万亿元。</p>",
        "summary": None}, id="atom03-issued-modified"),
    pytest.param("atom10.xml", 0, {
        "link": "https://futures.example.com/e/501", "published": "2026-11-27T08:30:00+08:00",
        "updated": "2026-11-27T09:00:00+08:00", "author": "赵强", "summary": "沪铜主力合约大涨3%。",
        "body_html": '<p>沪铜主力合约今日大涨3%，<a href="/e/500">此前报道</a>。</p>'}, id="atom10-html"),
    pytest.param("atom10.xml", 1, {
        "title": "原油期货 <震荡> 整理", "published": "2026-11-27T10:00:00Z",
        "body_html": "原油期货 a &lt; b 震荡整理。"}, id="atom10-text-is-escaped"),
    pytest.param("atom10.xml", 2, {
        "body_html": "<p>螺纹钢期货<strong>收涨</strong>1.2%。</p>"}, id="atom10-xhtml"),
    pytest.param("jsonfeed10.json", 0, {
        "guid": "bond-2001", "link": "https://bond.example.com/n/2001", "author": "陈静",
        "published": "2026-11-27T10:00:00+08:00", "updated": "2026-11-27T11:00:00+08:00",
        "summary": "国债收益率下行。"}, id="jsonfeed10-full"),
    pytest.param("jsonfeed10.json", 1, {
        "guid": "2002", "link": "https://host.example.com/n/2002", "author": "债市日报编辑部",
        "body_html": "<p>11月地方债发行规模超过8000亿元。</p><p>专家认为 &lt;财政&gt; 发力将持续。</p>"},
        id="jsonfeed10-text-numeric-id"),
    pytest.param("jsonfeed11.json", 0, {"author": "林一, 黄二"}, id="jsonfeed11-authors"),
    pytest.param("jsonfeed11.json", 1, {
        "link": None, "published": None, "author": "港股通编辑部"}, id="jsonfeed11-sparse"),
]


@pytest.mark.parametrize(("name", "index", "expected"), FIELDS)
def test_entry_fields_are_mapped(name: str, index: int, expected: dict[str, object]) -> None:
    item = items_of(name)[index]
    for key, value in expected.items():
        assert getattr(item, key) == value, key


def test_entries_without_guid_link_or_date_are_kept() -> None:
    items = items_of("rss2_missing_fields.xml")
    assert [(i.guid, i.link, i.published) for i in items] == [
        (None, None, None), ("flash-77", None, None), (None, "https://flash.example.com/n/78", None)]
    assert items[1].title == ""
    assert items[1].body_html == "北向资金早盘净流入超20亿元。"
    assert items[2].body_html == ""


def test_a_permalink_guid_that_is_no_url_is_not_a_link() -> None:
    items = items_of("billion_laughs.xml")
    assert items[1].guid == "laugh-2"
    assert items[1].link is None


# ------------------------------------------------------------------ charsets

CHARSETS = [
    # (fixture, codec the fetch stage decoded with)
    pytest.param("rss2_gbk_prolog.xml", "gbk", id="gbk-declared-in-prolog"),
    pytest.param("rss2_gbk_prolog.xml", "gb18030", id="gbk-prolog-read-as-gb18030"),
    pytest.param("rss2_gbk_prolog_lies.xml", "gb18030", id="prolog-claims-utf8-body-is-gbk"),
    pytest.param("rss2_gbk_no_charset.xml", "gbk", id="gbk-undeclared"),
]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_a_byte_order_mark_settles_the_encoding(encoding: str) -> None:
    document = fetched("rss091_utf16_bom.xml", encoding)
    assert feed_bytes(document) is document.body
    (item,) = parse(document, source())
    assert item.title == "黄金价格小幅回落"


@pytest.mark.parametrize(("name", "encoding"), CHARSETS)
def test_chinese_text_survives_whatever_the_prolog_says(name: str, encoding: str) -> None:
    (item,) = items_of(name, encoding)
    assert item.title == "深圳出台稳外贸十条措施"
    assert "深圳市今日发布稳外贸十条措施" in item.body_html


def test_raw_bytes_go_to_feedparser_when_the_document_named_the_codec() -> None:
    document = fetched("rss2_gbk_prolog.xml", "gbk")
    assert declared_encoding(document.body) == "GBK"
    assert feed_bytes(document) is document.body


@pytest.mark.parametrize(("name", "encoding"), [
    pytest.param("rss2_gbk_prolog_lies.xml", "gb18030", id="lying-prolog"),
    pytest.param("rss2_gbk_no_charset.xml", "gbk", id="no-prolog-encoding"),
])
def test_text_is_reencoded_when_the_fetch_stage_decoded_otherwise(name: str, encoding: str) -> None:
    data = feed_bytes(fetched(name, encoding))
    text = data.decode("utf-8")  # would raise if GBK bytes were passed through
    assert "深圳出台稳外贸十条措施" in text
    assert declared_encoding(data) in (None, "utf-8")


# ------------------------------------------------------------------ not feeds

NOT_FEEDS = [
    pytest.param("html_not_feed.html", "got an HTML page", id="html-page"),
    pytest.param("malformed.xml", "malformed XML", id="malformed-no-entries"),
    pytest.param("not_a_feed.txt", "not a feed", id="plain-text"),
    pytest.param("jsonfeed_invalid.json", "invalid JSON at line", id="json-invalid"),
    pytest.param("jsonfeed_no_items.json", 'no "items" list', id="json-no-items"),
]


@pytest.mark.parametrize(("name", "reason"), NOT_FEEDS)
def test_bodies_that_are_not_feeds_raise_parse_error(name: str, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        items_of(name)
    assert caught.value.source == "src"
    assert reason in caught.value.reason
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("src: not a")


def test_an_empty_body_is_not_a_feed() -> None:
    empty = Fetched("src", FEED_URL, 200, b"  \n", "  \n", "utf-8", None, Validators(), 0.0)
    with pytest.raises(ParseError, match="body is empty"):
        parse(empty, source())


@pytest.mark.parametrize("name", [
    pytest.param("empty_rss2.xml", id="rss2"),
    pytest.param("empty_atom.xml", id="atom"),
])
def test_an_empty_valid_feed_is_no_items_not_an_error(name: str) -> None:
    assert items_of(name) == []


def test_a_truncated_feed_with_entries_is_accepted_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    items = items_of("truncated_rss2.xml")
    assert [i.guid for i in items][:1] == ["cut-1"]
    assert items[0].title == "创业板指收涨1.5%"
    assert "not well-formed" in caplog.text


def test_billion_laughs_neither_expands_nor_hangs() -> None:
    result: list[list[RawItem]] = []
    worker = threading.Thread(target=lambda: result.append(items_of("billion_laughs.xml")), daemon=True)
    worker.start()
    worker.join(timeout=15)  # generous: an expanding parser would take minutes and gigabytes
    assert not worker.is_alive(), "parsing a billion-laughs feed did not finish"
    (items,) = result
    assert len(items) == 2
    for item in items:
        assert len(item.title) < 100 and len(item.body_html) < 100
        assert "root:" not in item.body_html  # the external entity was not read


# ------------------------------------------------------------------ dispatch

def test_a_feed_source_serving_json_feed_is_read_as_json_feed() -> None:
    items = parse(fetched("jsonfeed11.json"), source("feed"))
    assert items[0].guid == "hk-1"


def test_html_sources_are_not_supported_yet() -> None:
    with pytest.raises(ParseError, match='kind = "html" is not supported yet'):
        parse(fetched("html_not_feed.html"), source("html"))
