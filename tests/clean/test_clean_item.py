"""clean_item and make_id: one untrusted RawItem -> one Article."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from newsdesk.clean import CleanSettings, clean_item, make_id
from newsdesk.errors import ParseError
from newsdesk.models import RawItem

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SETTINGS = CleanSettings(source="南方Plus", outlet="南方Plus", timezone=SHANGHAI, now=NOW)

RAW = RawItem(
    source="南方Plus",
    guid="NW202611270001",
    title="  13连冠！清远供电局&amp;公共服务评价 <b>稳居榜首</b> ",
    link="https://news.example.com/a/1.html?utm_source=rss&id=1#comments",
    published="2026-11-27 08:14:19",
    body_html="<p>　　清远供电局连续13年位居榜首。<script>x()</script></p><p><strong>速读</strong></p>"
              '<p><img src="/p.png"></p>',
    summary=None,
)


def test_a_full_item_becomes_a_clean_article() -> None:
    article = clean_item(RAW, SETTINGS)
    assert article.source == "南方Plus"
    assert article.id == "NW202611270001"
    assert article.title == "13连冠！清远供电局&公共服务评价 稳居榜首"
    assert article.link == "https://news.example.com/a/1.html?id=1"
    assert article.published_at == datetime(2026, 11, 27, 8, 14, 19, tzinfo=SHANGHAI)
    assert article.dated is True
    assert article.body_html == ('<p>清远供电局连续13年位居榜首。</p><p><strong>速读</strong></p>'
                                 '<p><img src="https://news.example.com/p.png" loading="lazy" '
                                 'referrerpolicy="no-referrer"></p>')
    assert article.summary == "清远供电局连续13年位居榜首。 速读"
    assert article.outlet == "南方Plus"
    assert article.category == "nanfangPlus"
    assert article.updated_at is None


CATEGORY = [
    pytest.param(None, {}, None, "nanfangPlus", id="pinyin-of-source"),
    pytest.param("custom-slug", {"南方Plus": "other"}, None, "custom-slug", id="source-override-wins"),
    pytest.param(None, {"南方Plus": "nfplus"}, None, "nfplus", id="outlet-table"),
    pytest.param(None, {}, "21世纪经济报道", "21shijijingjibaodao", id="item-outlet-pinyin"),
    pytest.param(None, {"证券时报": "stcn"}, "证券时报", "stcn", id="item-outlet-table"),
]


@pytest.mark.parametrize(("category", "categories", "outlet", "expected"), CATEGORY)
def test_category_choice(category: str | None, categories: dict[str, str], outlet: str | None,
                         expected: str) -> None:
    settings = replace(SETTINGS, category=category, categories=MappingProxyType(categories))
    article = clean_item(replace(RAW, outlet=outlet), settings)
    assert article.category == expected
    assert article.outlet == (outlet or "南方Plus")


def test_no_title_and_no_body_is_a_parse_error_naming_the_fields() -> None:
    with pytest.raises(ParseError) as caught:
        clean_item(replace(RAW, title=" ", body_html="<p>&nbsp;</p><script>x</script>"), SETTINGS)
    assert caught.value.source == "南方Plus"
    assert "no title and no body" in caught.value.reason
    assert "NW202611270001" in caught.value.reason


def test_an_untitled_item_takes_the_start_of_its_body() -> None:
    body = "<p>北向资金早盘净流入超20亿元，其中沪股通净流入12亿元。深股通净流入8亿元，市场情绪回暖。</p>"
    article = clean_item(replace(RAW, title="", body_html=body), SETTINGS)
    assert article.title.startswith("北向资金早盘净流入超20亿元")
    assert len(article.title) <= 31


DATES = [
    pytest.param("Fri, 27 Nov 2026 09:30:00 +0800", None,
                 datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI), True, id="published"),
    pytest.param(None, "2026-11-27T10:00:00+08:00",
                 datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI), True, id="only-updated"),
    pytest.param(None, None, NOW, False, id="missing-is-now-undated"),
    pytest.param("刚刚", None, NOW, False, id="unparseable-is-now-undated"),
]


@pytest.mark.parametrize(("published", "updated", "expected", "dated"), DATES)
def test_publication_time(published: str | None, updated: str | None, expected: datetime,
                          dated: bool) -> None:
    article = clean_item(replace(RAW, published=published, updated=updated), SETTINGS)
    assert article.published_at == expected
    assert article.published_at.tzinfo is not None
    assert article.dated is dated


def test_an_unreadable_date_is_a_warning_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    warnings: list[str] = []
    with caplog.at_level(logging.WARNING):
        article = clean_item(replace(RAW, published="2026-13-45"), SETTINGS, warnings)
    assert article.dated is False
    assert len(warnings) == 1 and "2026-13-45" in warnings[0] and "published" in warnings[0]
    assert "2026-13-45" in caplog.text


def test_a_distinct_update_time_is_kept() -> None:
    article = clean_item(replace(RAW, updated="2026-11-27 09:00:00"), SETTINGS)
    assert article.updated_at == datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)


SUMMARIES = [
    pytest.param("<p>央行&amp;财政 <b>协同</b>发力</p>", "央行&财政 协同发力", id="raw-summary-as-text"),
    pytest.param(None, "清远供电局连续13年位居榜首。 速读", id="from-body"),
    pytest.param("很长的摘要。" * 60, "很长的摘要。" * 20, id="overlong-summary-cut"),
]


@pytest.mark.parametrize(("summary", "expected"), SUMMARIES)
def test_summary(summary: str | None, expected: str) -> None:
    assert clean_item(replace(RAW, summary=summary), SETTINGS).summary == expected


def test_a_long_body_summary_is_cut_at_a_sentence_end() -> None:
    body = "".join(f"<p>第{n}句话讲的是市场的情况和一些分析人士的观点。</p>" for n in range(20))
    summary = clean_item(replace(RAW, body_html=body), SETTINGS).summary
    assert len(summary) <= 120
    assert summary.endswith("。")


LINKS = [
    pytest.param("javascript:alert(1)", None, id="javascript"),
    pytest.param("/relative/1.html", None, id="relative"),
    pytest.param(" https://a.example/x?spm=1&k=2 ", "https://a.example/x?k=2", id="tracking-trimmed"),
    pytest.param(None, None, id="none"),
]


@pytest.mark.parametrize(("link", "expected"), LINKS)
def test_only_absolute_http_links_are_kept(link: str | None, expected: str | None) -> None:
    assert clean_item(replace(RAW, link=link), SETTINGS).link == expected


def test_plain_text_fields() -> None:
    raw = replace(RAW, author=" <i>记者</i> 王明 ", lead="【速读】央行&amp;财政", fulltext_key="abc")
    article = clean_item(raw, SETTINGS)
    assert article.author == "记者 王明"
    assert article.lead == "【速读】央行&财政"
    assert article.fulltext_key == "abc"


IDS = [
    pytest.param({"guid": " g-1 "}, "g-1", id="guid"),
    pytest.param({"guid": None, "link": "https://a.example/n/1?utm_source=x#c"}, "https://a.example/n/1",
                 id="canonical-link"),
    pytest.param({"guid": "", "link": "javascript:void(0)"}, None, id="hash-when-link-unsafe"),
    pytest.param({"guid": None, "link": None}, None, id="hash"),
]


@pytest.mark.parametrize(("fields", "expected"), IDS)
def test_make_id(fields: dict[str, str | None], expected: str | None) -> None:
    raw = replace(RAW, **fields)  # type: ignore[arg-type]
    made = make_id(raw)
    if expected is None:
        assert made.startswith("h-") and len(made) == 22
        assert make_id(raw) == made
        assert make_id(replace(raw, title="另一个标题")) != made
        assert make_id(replace(raw, published="2026-11-28 08:00:00")) != made
    else:
        assert made == expected


def test_untitled_items_without_ids_do_not_collide() -> None:
    a = replace(RAW, guid=None, link=None, title="", body_html="<p>甲</p>")
    b = replace(a, body_html="<p>乙</p>")
    assert make_id(a) != make_id(b)


def test_clean_item_accepts_a_tz_offset_now() -> None:
    now = datetime(2026, 11, 27, 20, 0, tzinfo=timezone(timedelta(hours=8)))
    article = clean_item(replace(RAW, published=None), replace(SETTINGS, now=now))
    assert article.published_at == now and article.dated is False
