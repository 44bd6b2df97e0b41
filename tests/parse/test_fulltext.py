"""Full text: the text endpoint's URL, its JSON answers in several shapes, and article pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newsdesk.config import SourceConfig
from newsdesk.errors import ParseError
from newsdesk.models import Fetched, Validators
from newsdesk.parse.fulltext import fulltext_url, parse_fulltext

FIXTURES = Path(__file__).parent / "fixtures"
TEXT_URL = "http://127.0.0.1:9/NewsApi/GetNewsText.do?id={id}"


def fetched(text: str, content_type: str | None = "application/json", status: int = 200) -> Fetched:
    return Fetched(source="s", url="http://127.0.0.1/GetNewsText.do?id=1", status=status,
                   body=text.encode("utf-8"), text=text, encoding="utf-8", content_type=content_type,
                   validators=Validators(), elapsed_s=0.01)


def fixture(name: str, content_type: str | None = "application/json") -> Fetched:
    return fetched((FIXTURES / name).read_text(encoding="utf-8"), content_type)


def source(preset: str | None = "eastmoney-media", **kwargs: Any) -> SourceConfig:
    fields = kwargs.pop("fields", {} if preset else {"title": "t"})
    return SourceConfig(name="东财媒体", kind="json", url="http://127.0.0.1/list", preset=preset,
                        fulltext=True, fulltext_url=kwargs.pop("fulltext_url", TEXT_URL), fields=fields,
                        **kwargs)


MEDIA = source()


# ------------------------------------------------------------------ fulltext_url

@pytest.mark.parametrize(("key", "url"), [
    ("NW202112292230310598", "http://127.0.0.1:9/NewsApi/GetNewsText.do?id=NW202112292230310598"),
    ("a/b c", "http://127.0.0.1:9/NewsApi/GetNewsText.do?id=a%2Fb%20c"),
    ("../x&y=1", "http://127.0.0.1:9/NewsApi/GetNewsText.do?id=..%2Fx%26y%3D1"),
    ("新闻", "http://127.0.0.1:9/NewsApi/GetNewsText.do?id=%E6%96%B0%E9%97%BB"),
], ids=["plain", "slash-space", "dotdot-query", "chinese"])
def test_fulltext_url_fills_the_quoted_id(key: str, url: str) -> None:
    assert fulltext_url(MEDIA, key) == url


def test_fulltext_url_needs_a_template_and_a_key() -> None:
    with pytest.raises(ParseError, match=r"^东财媒体: no fulltext_url configured for full text$"):
        fulltext_url(source(fulltext_url=None), "NW1")
    with pytest.raises(ParseError, match=r"^东财媒体: empty id for full text$"):
        fulltext_url(MEDIA, " ")


# ------------------------------------------------------------------ JSON answers

@pytest.mark.parametrize(("name", "content_type", "body"), [
    ("eastmoney_fulltext_text.json", "application/json",
     ("<p>　　记者获悉，12月29日，某地供电局在公共服务评价中连续第13年位列第一。</p>"
     "<p>　　该局负责人表示，将继续提升供电服务水平。</p>")),
    ("eastmoney_fulltext_content.json", "text/html; charset=utf-8",
     "<p>北向资金半日净流入40.12亿元，其中沪股通净流入25.3亿元。</p>"),
    ("eastmoney_fulltext_data_content.json", None, "<p>央行表示，将保持流动性合理充裕。</p>"),
    ("eastmoney_fulltext_jsonp.js", "application/javascript", "<p>截至收盘，沪指报3600.12点。</p>"),
], ids=["text", "content-after-null-text-served-as-html", "data-content", "jsonp-data-text"])
def test_json_answers_in_every_shape(name: str, content_type: str | None, body: str) -> None:
    assert parse_fulltext(fixture(name, content_type), MEDIA) == body


def test_text_is_preferred_over_content() -> None:
    answer = fetched('{"content": "<p>摘要</p>", "text": "<p>全文</p>"}')
    assert parse_fulltext(answer, MEDIA) == "<p>全文</p>"


def test_source_fulltext_field_is_used_alone() -> None:
    own = source(fulltext_field="result.article.html")
    answer = fetched('{"text": "<p>不是这个</p>", "result": {"article": {"html": "<p>正文</p>"}}}')
    assert parse_fulltext(answer, own) == "<p>正文</p>"
    with pytest.raises(ParseError, match=r"no 'result.article.html' field"):
        parse_fulltext(fetched('{"text": "<p>不是这个</p>"}'), own)


def test_custom_source_without_preset_tries_text_then_content() -> None:
    assert parse_fulltext(fetched('{"data": {"content": "<p>甲</p>"}}'), source(None)) == "<p>甲</p>"


@pytest.mark.parametrize(("text", "message"), [
    ('{"text": "', "东财媒体: invalid JSON: Unterminated string starting at line 1 column 10"),
    ('{"title": "x"}', "东财媒体: full text: no 'text' or 'content' field with text in the answer"),
    ('{"text": "  ", "content": null}',
     "东财媒体: full text: no 'text' or 'content' field with text in the answer ('text' is empty)"),
    ('{"data": {"content": ["<p>x</p>"]}}',
     "东财媒体: full text: no 'text' or 'content' field with text in the answer ('data.content' is array)"),
    ('{"data": null}', "东财媒体: full text: no 'text' or 'content' field with text in the answer"),
    ("[1, 2]", "东财媒体: full text: no 'text' or 'content' field with text in the answer"),
    ("", "东财媒体: full text: empty answer"),
    ("  \n", "东财媒体: full text: empty answer"),
], ids=["truncated", "no-field", "blank-text", "content-array", "data-null", "array", "empty", "blank"])
def test_bad_json_answers_raise_parse_error(text: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_fulltext(fetched(text), MEDIA)
    assert str(caught.value) == message


def test_not_modified_answer_is_an_error() -> None:
    with pytest.raises(ParseError, match="empty answer"):
        parse_fulltext(fetched("", status=304), MEDIA)


# ------------------------------------------------------------------ article pages

def test_article_page_gives_its_main_text_as_paragraphs() -> None:
    body = parse_fulltext(fixture("eastmoney_fulltext_article.html", "text/html; charset=utf-8"), MEDIA)
    assert body.startswith("<p>") and body.endswith("</p>")
    assert "<html" not in body and "<body" not in body and "<h1" not in body
    assert "A股三大指数午后走弱" not in body  # the headline is the title, not body text
    assert "截至发稿，沪指跌1.2%" in body
    assert "<strong>中长期配置价值</strong>" in body
    assert '<a href="http://127.0.0.1/data">相关数据</a>' in body
    assert "window.stat" not in body  # scripts are not text
    assert "法律声明" not in body and "首页" not in body and "热门文章" not in body  # page chrome


def test_page_without_text_is_an_error() -> None:
    page = fetched("<html><head><title>x</title></head><body><div></div></body></html>", "text/html")
    with pytest.raises(ParseError, match=r"^东财媒体: full text: no article text found in the page$"):
        parse_fulltext(page, MEDIA)
