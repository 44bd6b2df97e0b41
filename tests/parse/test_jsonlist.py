"""JSON list APIs -> RawItems: the three East Money shapes, custom sources, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.config import SourceConfig
from newsdesk.errors import ParseError
from newsdesk.models import Fetched, RawItem, Validators
from newsdesk.parse.jsonlist import parse_json_list, parse_json_list_report
from newsdesk.slugs import safe_id

FIXTURES = Path(__file__).parent / "fixtures"


def fetched(text: str, content_type: str | None = "application/json", status: int = 200) -> Fetched:
    return Fetched(source="s", url="http://127.0.0.1/list", status=status, body=text.encode("utf-8"),
                   text=text, encoding="utf-8", content_type=content_type, validators=Validators(),
                   elapsed_s=0.01)


def fixture(name: str) -> Fetched:
    return fetched((FIXTURES / name).read_text(encoding="utf-8"))


def source(preset: str | None = None, **kwargs: Any) -> SourceConfig:
    return SourceConfig(name=kwargs.pop("name", "东财"), kind="json", url="http://127.0.0.1/list",
                        preset=preset, **kwargs)


ROLLING = source("eastmoney-rolling", name="东财滚动")
MEDIA = source("eastmoney-media", name="东财媒体")
MARKET = source("eastmoney-market", name="东财市场")
CUSTOM = source(items="", fields={"title": "t", "id": "i"})


# ------------------------------------------------------------------ the three shapes

def test_rolling_list_maps_every_field() -> None:
    items, warnings = parse_json_list_report(fixture("eastmoney_rolling_list.json"), ROLLING)
    assert warnings == []
    assert [i.guid for i in items] == ["202112082206672930", "202112082206703990", "202112082206704122"]
    first = items[0]
    assert first == RawItem(
        source="东财滚动", guid="202112082206672930", title="离岸人民币兑美元升至2018年以来最高水平",
        link="http://finance.eastmoney.com/news/11060,202112082206672930.html",
        published="2021-12-08 10:46:18", body_html="",
        summary="离岸人民币兑美元升至6.3512，为2018年以来最高水平。",
        outlet="东财滚动", lead="离岸人民币兑美元升至6.3512，为2018年以来最高水平。",
        fulltext_key="202112082206672930",
    )


def test_rolling_numeric_id_keeps_every_digit_and_title_is_stripped() -> None:
    second = parse_json_list(fixture("eastmoney_rolling_list.json"), ROLLING)[1]
    assert second.guid == "202112082206703990"  # given as a JSON number, beyond float precision
    assert second.fulltext_key == "NW202112082206703990"
    assert second.title == "沪深两市成交额连续第35个交易日突破1万亿元"


def test_rolling_digest_without_prefix_is_kept_whole() -> None:
    third = parse_json_list(fixture("eastmoney_rolling_list.json"), ROLLING)[2]
    assert third.lead == "北向资金半日净流入40.12亿元。"
    assert third.title == "“北向资金”午间净流入超40亿元"


def test_media_list_takes_outlet_from_each_item_and_skips_empty_title() -> None:
    items, warnings = parse_json_list_report(fixture("eastmoney_media_list.json"), MEDIA)
    assert [(i.guid, i.outlet) for i in items] == [
        ("NW202112292230310598", "南方Plus"), ("NW202201072239307540", "券商中国")]
    assert items[0].published == "2021-12-29 20:06:31"
    assert items[0].fulltext_key == "NW202112292230310598"
    assert items[0].link == "http://finance.eastmoney.com/a/202112292230310598.html"
    assert items[1].link is None
    assert items[0].lead is None and items[0].body_html == ""
    assert warnings == ["item 3: empty field 'title'"]


def test_market_list_reads_datetime_and_medianame() -> None:
    items = parse_json_list(fixture("eastmoney_market_list.json"), MARKET)
    assert [(i.guid, i.published, i.outlet) for i in items] == [
        ("NW202204212352227421", "2022-04-21 13:45:02", "21世纪经济报道"),
        ("NW202204212352230938", "2022-04-21 14:01:10", "证券时报"),
    ]
    assert all(i.source == "东财市场" and i.fulltext_key == i.guid for i in items)


def test_share_url_replaces_link_with_the_text_key_quoted() -> None:
    shared = source("eastmoney-media", share_url="http://127.0.0.1/html_News/NewsShare.html?infoCode={id}")
    items = parse_json_list(fixture("eastmoney_media_list.json"), shared)
    assert items[0].link == "http://127.0.0.1/html_News/NewsShare.html?infoCode=NW202112292230310598"
    odd = parse_json_list(fetched('{"nodeList": [{"infocode": "a/b c", "title": "x"}]}'), shared)
    assert odd[0].link == "http://127.0.0.1/html_News/NewsShare.html?infoCode=a%2Fb%20c"


def test_custom_source_with_nested_path_and_dotted_fields() -> None:
    custom = source(items="data.list", fields={
        "id": "newsId", "title": "headline", "published": "pubTime", "url": "link",
        "outlet": "source.name", "body": "html"})
    items = parse_json_list(fixture("jsonlist_custom_nested.json"), custom)
    assert [(i.guid, i.title, i.outlet) for i in items] == [
        ("9001", "某银行发布2021年年度报告", "某银行"), ("9002", "某券商完成增资扩股", None)]
    assert items[0].body_html == "<p>年度报告正文。</p>"
    assert items[0].fulltext_key == "9001"  # no text key field: the id is used
    assert items[1].body_html == ""


def test_source_overrides_lay_over_the_preset() -> None:
    renamed = source("eastmoney-market", items="data.record", fields={"title": "headline"})
    items = parse_json_list(fetched('{"data": {"record": [{"infoCode": "NW1", "headline": "标题"}]}}'), renamed)
    assert [(i.guid, i.title) for i in items] == [("NW1", "标题")]


def test_not_modified_gives_no_items() -> None:
    assert parse_json_list_report(fetched("", status=304), MEDIA) == ([], [])


def test_null_list_is_no_items_with_a_warning() -> None:
    items, warnings = parse_json_list_report(fetched('{"records": null}'), ROLLING)
    assert items == []
    assert warnings == ["items path 'records' is null; read as no items"]


@pytest.mark.parametrize("text", [
    'var ajaxResult = {"nodeList": [{"infocode": "NW1", "title": "甲"}]};',
    'var ajaxResult={"nodeList":[{"infocode":"NW1","title":"甲"}]}',
    'jQuery1830_17({"nodeList": [{"infocode": "NW1", "title": "甲"}]});\n',
    '\ufeff{"nodeList": [{"infocode": "NW1", "title": "甲"}]}',
], ids=["var-with-semicolon", "var-bare", "callback", "bom"])
def test_wrapped_json_is_read(text: str) -> None:
    assert [i.title for i in parse_json_list(fetched(text), MEDIA)] == ["甲"]


def test_skipped_items_are_logged_by_the_plain_function(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="newsdesk.parse"):
        parse_json_list(fixture("eastmoney_media_list.json"), MEDIA)
    assert "东财媒体: item 3: empty field 'title'" in caplog.text


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize(("src", "text", "message"), [
    (MEDIA, '{"nodeList": [', "东财媒体: invalid JSON: Expecting value at line 1 column 15"),
    (MEDIA, "<html><body>502 Bad Gateway</body></html>",
     "东财媒体: invalid JSON: Expecting value at line 1 column 1"),
    (MEDIA, '{\n "nodeList": [1,]\n}', "东财媒体: invalid JSON: Expecting value at line 2 column 17"),
    (MEDIA, "", "东财媒体: invalid JSON: Expecting value at line 1 column 1"),
    (MEDIA, "cb({oops})", "东财媒体: invalid JSON: Expecting value at line 1 column 1"),
    (MEDIA, '{"records": []}', "东财媒体: items path 'nodeList' not found"),
    (MEDIA, '[{"title": "x"}]', "东财媒体: items path 'nodeList' not found"),
    (MEDIA, '{"nodeList": {"title": "x"}}', "东财媒体: items path 'nodeList' is not a list (got object)"),
    (MEDIA, '{"nodeList": "none"}', "东财媒体: items path 'nodeList' is not a list (got string)"),
    (source(items="data.list", fields={"title": "t"}), '{"data": {"list": 3}}',
     "东财: items path 'data.list' is not a list (got number)"),
    (source(items="data.list", fields={"title": "t"}), '{"data": []}', "东财: items path 'data.list' not found"),
    (CUSTOM, '{"t": "x"}', "东财: the answer is not a list (got object)"),
    (MEDIA, "[" * 100_000, "东财媒体: invalid JSON: nested too deeply"),
], ids=["truncated", "html-error-page", "trailing-comma", "empty", "bad-callback", "missing-path",
        "root-array", "path-object", "path-string", "nested-number", "nested-missing", "root-not-list",
        "deep-nesting"])
def test_bad_answers_raise_one_clear_parse_error(src: SourceConfig, text: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_json_list(fetched(text), src)
    assert str(caught.value) == message


@pytest.mark.parametrize(("item", "warning"), [
    ("[1, 2]", "item 1: not an object (got array)"),
    ('"string"', "item 1: not an object (got string)"),
    ("null", "item 1: not an object (got null)"),
    ('{"infocode": "NW1"}', "item 1: missing field 'title'"),
    ('{"infocode": "NW1", "title": null}', "item 1: missing field 'title'"),
    ('{"infocode": "NW1", "title": "   "}', "item 1: empty field 'title'"),
    ('{"infocode": "NW1", "title": {"zh": "x"}}', "item 1: field 'title' is not text (got object)"),
    ('{"infocode": "NW1", "title": true}', "item 1: field 'title' is not text (got boolean)"),
    ('{"title": "没有编号"}', "item 1: missing field 'infocode'"),
    ('{"infocode": "", "title": "空编号"}', "item 1: empty field 'infocode'"),
], ids=["array", "string", "null", "no-title", "null-title", "blank-title", "object-title", "bool-title",
        "no-id", "empty-id"])
def test_bad_items_are_skipped_with_the_field_named(item: str, warning: str) -> None:
    text = f'{{"nodeList": [{item}, {{"infocode": "NW2", "title": "好的"}}]}}'
    items, warnings = parse_json_list_report(fetched(text), MEDIA)
    assert [i.guid for i in items] == ["NW2"]
    assert warnings == [warning]


@pytest.mark.parametrize(("raw", "guid"), [
    ("202112292230310598", "202112292230310598"),
    ("123456789012345678901234567890", "123456789012345678901234567890"),
    ("1.50", "1.50"),
    ('"a/b"', "a/b"),
    ('"../../etc/passwd"', "../../etc/passwd"),
    ('".."', ".."),
    ('"  NW 12 3  "', "NW 12 3"),
    ('"新闻（一）"', "新闻（一）"),
], ids=["number", "huge-number", "decimal", "slash", "dotdot-path", "dotdot", "spaces", "chinese"])
def test_ids_come_through_raw_for_safe_id_later(raw: str, guid: str) -> None:
    items = parse_json_list(fetched(f'{{"nodeList": [{{"infocode": {raw}, "title": 42}}]}}'), MEDIA)
    assert (items[0].guid, items[0].title, items[0].fulltext_key) == (guid, "42", guid)
    made_safe = safe_id(items[0].guid or "")
    assert "/" not in made_safe and made_safe not in ("", ".", "..")


def test_missing_id_falls_back_to_the_text_key_then_the_url() -> None:
    text = json.dumps({"records": [
        {"infoCode": "NW9", "title": "甲"},
        {"url_w": "http://127.0.0.1/a.html", "title": "乙"},
        {"title": "丙"},
    ]})
    items, warnings = parse_json_list_report(fetched(text), ROLLING)
    assert [i.guid for i in items] == ["NW9", "http://127.0.0.1/a.html"]
    assert warnings == ["item 3: missing field 'id'"]


def test_source_without_title_field_is_one_parse_error() -> None:
    with pytest.raises(ParseError, match=r"^东财: no title field configured: set a preset or fields.title$"):
        parse_json_list(fetched('[{"t": "甲"}]'), source(items="", fields={"id": "i"}))


def test_custom_source_without_id_field_gives_none_guid() -> None:
    items = parse_json_list(fetched('[{"t": "甲"}]'), source(items="", fields={"title": "t"}))
    assert items[0].guid is None and items[0].fulltext_key is None and items[0].link is None


# ------------------------------------------------------------------ property

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                     st.text(max_size=20))
_json = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)
_items = st.lists(st.dictionaries(
    st.sampled_from(["id", "infocode", "infoCode", "title", "showtime", "digest", "from", "url_w", "x"]),
    _json, max_size=6).flatmap(lambda d: st.just({**d}) | st.builds(lambda t: {**d, "title": t}, _json)),
    max_size=5)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=_items, preset=st.sampled_from(["eastmoney-rolling", "eastmoney-media", "eastmoney-market"]),
       wrap=st.booleans())
def test_any_list_of_objects_yields_items_or_parse_error(items: list[dict[str, Any]], preset: str,
                                                         wrap: bool) -> None:
    key = {"eastmoney-rolling": "records", "eastmoney-media": "nodeList", "eastmoney-market": "record"}[preset]
    document: Any = {key: items} if wrap else items
    try:
        result, warnings = parse_json_list_report(fetched(json.dumps(document)), source(preset))
    except ParseError:
        assert not wrap
        return
    assert len(result) + len(warnings) == len(items)
    for item in result:
        assert item.title and item.title == item.title.strip()
        assert item.guid is None or isinstance(item.guid, str)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60))
def test_any_text_yields_items_or_parse_error(text: str) -> None:
    try:
        parse_json_list(fetched(text), MEDIA)
    except ParseError:
        pass
