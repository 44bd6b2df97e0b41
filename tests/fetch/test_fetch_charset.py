"""decode_body: declared charsets are believed only when the bytes agree."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from newsdesk.fetch import decode_body
from newsdesk.fetch.charset import canonical_codec, charset_of, sniff_declaration

FIXTURES = Path(__file__).parent / "fixtures"
SIMPLIFIED = "清远供电局公共服务评价稳居榜首：朱镕基题词，南方Plus新闻"
TRADITIONAL = "臺灣股市今日大漲，投資人信心回升，新聞報導指出"

CASES = [
    # fixture, Content-Type, override, codec expected, text expected inside
    ("rss2_utf8.xml", "application/rss+xml; charset=utf-8", None, "utf-8", SIMPLIFIED),
    ("rss2_utf8.xml", None, None, "utf-8", SIMPLIFIED),
    ("rss2_gbk_no_charset.xml", "text/xml; charset=GBK", None, "gb18030", SIMPLIFIED),
    ("rss2_gbk_no_charset.xml", "text/xml", None, "gb18030", SIMPLIFIED),
    ("rss2_gbk_no_charset.xml", None, None, "gb18030", SIMPLIFIED),
    ("rss2_gb18030_prolog.xml", "application/xml", None, "gb18030", SIMPLIFIED + "䶮"),
    ("rss2_gb2312_prolog_gbk_chars.xml", None, None, "gb18030", SIMPLIFIED),
    ("rss2_gbk_no_charset.xml", 'text/xml; charset="gb2312"', None, "gb18030", SIMPLIFIED),
    ("html_big5.html", "text/html; charset=big5", None, "big5", TRADITIONAL),
    ("html_big5.html", "text/html", None, "big5", TRADITIONAL),
    ("rss2_declared_utf8_but_gbk.xml", "text/xml; charset=utf-8", None, "gb18030", SIMPLIFIED),
    ("rss2_declared_utf8_but_gbk.xml", None, None, "gb18030", SIMPLIFIED),
    ("html_meta_charset_gbk.html", "text/html", None, "gb18030", SIMPLIFIED),
    ("html_http_equiv_gb2312.html", "text/html", None, "gb18030", SIMPLIFIED),
    ("rss2_utf8_bom.xml", "text/xml; charset=gbk", None, "utf-8", SIMPLIFIED),
    ("rss2_utf16le_bom.xml", "text/xml", None, "utf-16-le", SIMPLIFIED),
    ("rss2_utf16be_bom.xml", None, None, "utf-16-be", SIMPLIFIED),
    ("json_utf8_latin1_header.json", "application/json; charset=ISO-8859-1", None, "utf-8", SIMPLIFIED),
    ("rss2_gbk_no_charset.xml", "text/xml; charset=x-no-such-charset", None, "gb18030", SIMPLIFIED),
    ("rss2_gbk_no_charset.xml", "text/xml; charset=utf-8", "gbk", "gb18030", SIMPLIFIED),
    ("html_big5.html", "text/html; charset=utf-8", "big5", "big5", TRADITIONAL),
]


@pytest.mark.parametrize(("fixture", "content_type", "override", "codec", "expected"), CASES,
                         ids=[f"{c[0]}|{c[1]}|{c[2]}" for c in CASES])
def test_decoding_table(fixture: str, content_type: str | None, override: str | None, codec: str,
                        expected: str) -> None:
    text, used = decode_body((FIXTURES / fixture).read_bytes(), content_type, override)
    assert used == codec
    assert expected in text
    assert "\ufffd" not in text
    assert not text.startswith("\ufeff")


def test_hopeless_bytes_decode_with_replacement() -> None:
    text, codec = decode_body(b"abc\xff\x80\xfe", "text/plain; charset=utf-8")
    assert codec == "utf-8"
    assert text.startswith("abc") and "\ufffd" in text


def test_empty_body() -> None:
    assert decode_body(b"", None) == ("", "utf-8")


def test_override_that_does_not_fit_still_wins() -> None:
    text, codec = decode_body("新闻".encode("gbk") + b"\xff", None, "gbk")
    assert codec == "gb18030"
    assert text.startswith("新闻")


def test_unknown_override_falls_back_to_the_chain() -> None:
    assert decode_body("新闻".encode(), None, "no-such-codec") == ("新闻", "utf-8")


def test_utf32_bom_is_not_mistaken_for_utf16() -> None:
    body = codecs.BOM_UTF32_LE + "新闻".encode("utf-32-le")
    assert decode_body(body, None) == ("新闻", "utf-32-le")


@pytest.mark.parametrize(("name", "codec"), [
    ("utf-8", "utf-8"), ("UTF8", "utf-8"), ("gb2312", "gb18030"), ("GBK", "gb18030"),
    ("cp936", "gb18030"), ("x-gbk", "gb18030"), ("euc-cn", "gb18030"), ("big5", "big5"),
    ("utf-16", "utf-8"), ("nonsense", None), (None, None), ("", None),
])
def test_canonical_codec(name: str | None, codec: str | None) -> None:
    assert canonical_codec(name) == codec


@pytest.mark.parametrize(("header", "charset"), [
    ("text/html; charset=GBK", "GBK"), ('text/xml; charset="utf-8"', "utf-8"),
    ("text/xml;charset = 'big5'", "big5"), ("application/json", None), (None, None),
])
def test_charset_of(header: str | None, charset: str | None) -> None:
    assert charset_of(header) == charset


@pytest.mark.parametrize(("head", "declared"), [
    (b"<?xml version='1.0' encoding='gb2312'?><rss/>", "gb2312"),
    (b"\n  <?xml version=\"1.0\" encoding=\"GBK\" standalone=\"yes\"?>", "GBK"),
    (b"<!doctype html><html><head><meta charset=utf-8>", "utf-8"),
    (b'<html><meta http-equiv="content-type" content="text/html;charset=big5">', "big5"),
    (b"<rss><title>encoding=gbk is only text here</title></rss>", None),
])
def test_sniff_declaration(head: bytes, declared: str | None) -> None:
    assert sniff_declaration(head) == declared
