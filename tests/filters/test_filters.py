"""Include/exclude rules: config validation with file:line:key, matching, and counts in fetch reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import feedmaker
from loopback import Outlet
from newsdesk.clean.filters import ArticleFilter
from newsdesk.cli import main
from newsdesk.config import FilterConfig, FilterRule, parse_config
from newsdesk.errors import ConfigError
from newsdesk.models import Article, SafeHtml

HEAD = '[[sources]]\nname = "a"\nurl = "https://example.com/feed"\n'


def article(title: str, body: str = "", outlet: str = "东财", link: str = "https://x.example.com/1.html") -> Article:
    return Article(source="a", id="1", outlet=outlet, category="c", title=title, link=link,
                   published_at=datetime(2026, 11, 27, tzinfo=UTC), body_html=SafeHtml(body))


def rules(**kinds: dict[str, list[str]]) -> FilterConfig:
    def made(table: dict[str, list[str]]) -> tuple[FilterRule, ...]:
        return tuple(FilterRule(field, p.removeprefix("re:"), p.startswith("re:"))
                     for field, patterns in table.items() for p in patterns)
    return FilterConfig(include=made(kinds.get("include", {})), exclude=made(kinds.get("exclude", {})))


@pytest.mark.parametrize(("config", "item", "kept"), [
    pytest.param(rules(exclude={"title": ["广告"]}), article("【广告】理财产品"), False, id="title-keyword"),
    pytest.param(rules(exclude={"title": ["广告"]}), article("央行降准"), True, id="title-keyword-miss"),
    pytest.param(rules(exclude={"body": ["直播"]}), article("行情", "<p>今晚<b>直播</b>解盘</p>"), False,
                 id="body-keyword-through-tags"),
    pytest.param(rules(exclude={"title": ["ETF"]}), article("某etf今日上市"), False, id="keyword-ignores-case"),
    pytest.param(rules(exclude={"title": ["re:^\\d+只"]}), article("12只新股本周申购"), False, id="title-regex"),
    pytest.param(rules(exclude={"title": ["re:^\\d+只"]}), article("本周12只新股申购"), True, id="regex-anchored"),
    pytest.param(rules(exclude={"outlet": ["推广"]}), article("某事", outlet="推广频道"), False, id="outlet"),
    pytest.param(rules(exclude={"link": ["re:/live/\\d+"]}), article("x", link="https://a.example/live/12"), False,
                 id="link-regex"),
    pytest.param(rules(exclude={"any": ["广告"]}), article("x", "<p>本文为广告</p>"), False, id="any-field"),
    pytest.param(rules(include={"title": ["A股", "央行"]}), article("央行开展逆回购"), True, id="include-hit"),
    pytest.param(rules(include={"title": ["A股", "央行"]}), article("美股收盘"), False, id="include-miss"),
    pytest.param(rules(include={"title": ["央行"]}, exclude={"title": ["广告"]}), article("央行广告"), False,
                 id="exclude-wins"),
    pytest.param(FilterConfig(), article("anything"), True, id="no-rules"),
])
def test_rules(config: FilterConfig, item: Article, kept: bool) -> None:
    assert (ArticleFilter(config).rejects(item) is None) is kept


def test_global_and_source_rules_both_apply() -> None:
    check = ArticleFilter(rules(exclude={"title": ["广告"]}), rules(include={"title": ["央行"]}))
    assert check.rejects(article("央行公告")) is None
    assert check.rejects(article("央行广告")) == "exclude title '广告'"
    assert check.rejects(article("美股")) == "no include rule matched"


def test_config_reads_inline_and_sub_tables(tmp_path: Path) -> None:
    text = ('[filters]\nexclude = { title = ["广告", "re:直播$"], any = "推广" }\n' + HEAD
            + '[sources.include]\ntitle = ["央行"]\n')
    config = parse_config(text, tmp_path / "newsdesk.toml")
    assert config.filters.exclude == (FilterRule("title", "广告"), FilterRule("title", "直播$", True),
                                      FilterRule("any", "推广"))
    assert config.sources[0].filters == FilterConfig(include=(FilterRule("title", "央行"),))


@pytest.mark.parametrize(("text", "line", "message"), [
    pytest.param('[filters]\nexclude = { title = ["re:(unclosed"] }\n', 2,
                 "filters.exclude.title: bad regular expression '(unclosed'", id="bad-regex"),
    pytest.param('[filters]\nexclude = { headline = ["x"] }\n', 2, "filters.exclude.headline: unknown key",
                 id="unknown-field"),
    pytest.param('[filters]\ninclude = { title = [1] }\n', 2, "filters.include.title: expected a string or an array",
                 id="not-strings"),
    pytest.param('[filters]\nexclude = { title = "" }\n', 2, "filters.exclude.title: an empty keyword", id="empty"),
    pytest.param('[filters]\nkeep = 1\n', 2, "filters.keep: unknown key", id="unknown-key"),
    pytest.param(HEAD + '[sources.exclude]\nbody = ["re:[z-a]"]\n', 5, "sources[0].exclude.body: bad regular",
                 id="source-sub-table"),
    pytest.param(HEAD + 'exclude = "广告"\n', 4, "sources[0].exclude: expected a table", id="source-not-table"),
])
def test_bad_filters_name_file_line_and_key(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "newsdesk.toml"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, path)
    assert f"{path}:{line}: {message}" in str(caught.value)


def test_filtered_items_are_counted_in_fetch_json(outlet: Outlet, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    items = feedmaker.entries("f", 5, outlet="东财")
    items[1] = feedmaker.Entry(items[1].guid, "【广告】开户送好礼", items[1].link, items[1].published, items[1].body)
    items[3] = feedmaker.Entry(items[3].guid, "今晚直播：解盘", items[3].link, items[3].published, items[3].body)
    url = outlet.serve("/feed", feedmaker.rss2(items))
    path = tmp_path / "newsdesk.toml"
    path.write_text('[site]\noutput = "public"\n[fetch]\ntimeout = 3\n[filters]\nexclude = { title = ["广告"] }\n'
                    f'[[sources]]\nname = "东财"\nurl = "{url}"\nexclude = {{ title = ["re:^今晚直播"] }}\n',
                    encoding="utf-8")
    assert main(["--config", str(path), "fetch", "--json"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (report["new"], report["filtered"], report["failed"]) == (3, 2, 0)
    assert main(["--config", str(path), "fetch"]) == 0
    assert "3 unchanged, 2 filtered" in capsys.readouterr().out
