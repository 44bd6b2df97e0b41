"""Search index: exact substring semantics for Chinese and ASCII, sensible short queries, incremental shards."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.config import SiteConfig
from newsdesk.models import Article, SafeHtml
from newsdesk.site import search
from newsdesk.site.build import build_site
from newsdesk.store import SqliteStore, open_store

T0 = datetime(2021, 12, 20, 4, 0, tzinfo=UTC)
SEEN = datetime(2022, 1, 31, 0, 0, tzinfo=UTC)

# (id, title, body): the bodies are the traps; ids say which query must find them
CASES = (
    ("both", "13连冠！公共服务评价稳居榜首", "<p>清远供电局公共服务评价连续第13年居首。</p>"),
    ("body-only", "地方电网改造", "<p>今年<strong>清远</strong>市完成农网改造。</p>"),
    ("title-only", "清远供电局发布停电通知", "<p>部分线路检修。</p>"),
    ("apart", "清晨远眺", "<p>清风徐来，远山如黛。清 远</p>"),
    ("split-by-block", "两段", "<p>天气很清</p><p>远方有雨</p>"),
    ("ascii", "Apple 发布新品", "<p>The iPhone 16 ships; APPLE says 5G-Advanced is next.</p>"),
    ("fullwidth", "全角字母", "<p>ＡＰＰＬＥ的供应链</p>"),
    ("other-grid", "供电所", "<p>供电公司与电局无关。</p>"),
    ("repeat", "哈哈", "<p>哈哈哈哈大笑</p>"),
)


def _article(index: int, article_id: str, title: str, body: str, *, days: int = 0) -> Article:
    return Article(source="南方Plus", id=article_id, outlet="南方Plus", category="nanfangPlus", title=title,
                   link=f"https://example.com/{article_id}", published_at=T0 + timedelta(days=days, minutes=index),
                   body_html=SafeHtml(body))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with open_store(tmp_path / "state" / "newsdesk.db") as opened:
        opened.upsert([_article(i, *case) for i, case in enumerate(CASES)], SEEN)
        yield opened


@pytest.fixture
def site(tmp_path: Path) -> SiteConfig:
    return SiteConfig(title="金融消息", base_url="https://news.example.com/", timezone="Asia/Shanghai",
                      output=tmp_path / "public")


@pytest.fixture
def built(store: SqliteStore, site: SiteConfig) -> Path:
    build_site(store, site)
    return site.output


def _ids(output: Path, query: str) -> set[str]:
    return {hit.href.rsplit("/", 1)[1].removesuffix(".html") for hit in search.search_index(output, query)}


@pytest.mark.parametrize(("query", "expected"), [
    pytest.param("清远", {"both", "body-only", "title-only"}, id="two-chars-body-and-title"),
    pytest.param("供电局", {"both", "title-only"}, id="three-chars"),
    pytest.param("清远供电", {"both", "title-only"}, id="four-chars"),
    pytest.param("电局", {"both", "title-only", "other-grid"}, id="two-chars-inside-word"),
    pytest.param("清远 供电局", {"both", "title-only"}, id="two-terms-and"),
    pytest.param("清远，供电局！", {"both", "title-only"}, id="punctuation-splits-terms"),
    pytest.param("连冠", {"both"}, id="title-only-query"),
    pytest.param("apple", {"ascii", "fullwidth"}, id="ascii-case-and-width-folded"),
    pytest.param("APPLE", {"ascii", "fullwidth"}, id="upper-case-query"),
    pytest.param("iphone 16", {"ascii"}, id="word-and-number"),
    pytest.param("5g-advanced", {"ascii"}, id="hyphen-splits-terms"),
    pytest.param("哈哈哈", {"repeat"}, id="repeated-bigram"),
    pytest.param("哈哈哈哈哈哈", set(), id="longer-than-text"),
    pytest.param("清远市", {"body-only"}, id="across-inline-tag"),
    pytest.param("很清远", set(), id="not-across-paragraphs"),
    pytest.param("不存在的词", set(), id="absent"),
])
def test_queries_find_exactly_the_articles_containing_them(built: Path, query: str, expected: set[str]) -> None:
    assert _ids(built, query) == expected


@pytest.mark.parametrize("query", ["清 远", "清", "远", "a", "", "  ", "，。！", "5"])
def test_single_characters_and_punctuation_find_nothing(built: Path, query: str) -> None:
    # one character would match almost every Chinese article; the page asks for two instead
    assert search.search_index(built, query) == []


def test_one_character_terms_beside_longer_ones_are_ignored(built: Path) -> None:
    assert _ids(built, "清远 电") == _ids(built, "清远")


def test_hits_link_to_article_pages_with_title_outlet_and_time(built: Path) -> None:
    hits = search.search_index(built, "供电局")
    assert [h.title for h in hits] == ["清远供电局发布停电通知", "13连冠！公共服务评价稳居榜首"]  # newest first
    for hit in hits:
        assert (built / hit.href.lstrip("/")).is_file()
        assert hit.outlet == "南方Plus"
        assert hit.time_text.startswith("2021-12-20 12:")


def test_search_page_is_built_with_box_and_script(built: Path) -> None:
    page = (built / "search.html").read_text(encoding="utf-8")
    assert 'action="/search.html"' in page and 'name="q"' in page
    assert 'src="/static/search.js"' in page and 'data-index="/search/index.json"' in page
    assert "http://" not in page and "https://" not in page  # nothing from another host
    assert (built / "static" / "search.js").is_file()


def test_search_folder_holds_exactly_what_index_json_names(built: Path) -> None:
    # the index owns search/ (site/search.py removes what no index names); the build state does not list it
    index = json.loads((built / "search" / "index.json").read_text(encoding="utf-8"))
    named = {"search/index.json"}
    for entry in index["segments"]:
        assert entry["dir"].startswith(entry["id"] + ".")
        named.update(f"search/{entry['dir']}/{kind}{n}.json" for kind, count in
                     (("b", entry["buckets"]), ("d", -(-entry["docs"] // index["docs_per_chunk"]))) for n in range(count))
    on_disk = {p.relative_to(built).as_posix() for p in (built / "search").rglob("*") if p.is_file()}
    assert on_disk == named
    assert (built / "search.html").is_file()


def test_postings_round_trip() -> None:
    text = search.normalize("清远供电局，清远市 ab ab")
    grams = search.bigram_positions(text)
    assert grams["清远"] == [0, 6]
    by_doc = {0: [1, 5, 9], 3: [2], 10: [0, 1]}
    assert search.decode_postings(search._encode_postings(by_doc)) == by_doc


@pytest.mark.parametrize(("gram", "buckets", "bucket"), [
    ("清远", 64, search.bucket_of("清远", 64)),
    ("ab", 1, 0),
])
def test_bucket_hash_is_fnv1a(gram: str, buckets: int, bucket: int) -> None:
    # the same numbers as search.js computes: FNV-1a 32 over code points
    assert search.bucket_of("a", 2**32) == 0xE40C292C
    assert search.bucket_of(gram, buckets) == bucket


# ---------------------------------------------------------------- incremental


def _mtimes(output: Path) -> dict[str, int]:
    return {str(p.relative_to(output)): p.stat().st_mtime_ns
            for p in (output / "search").rglob("*.json")}


def _age(output: Path) -> None:
    """Set every index file's mtime into the past so a rewrite is visible whatever the clock's grain."""
    for path in (output / "search").rglob("*.json"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))


@pytest.fixture
def two_months(tmp_path: Path) -> Iterator[SqliteStore]:
    """Articles in December 2021 and on Wednesday 5 January 2022 (Shanghai time): a month and a day segment."""
    with open_store(tmp_path / "state2" / "newsdesk.db") as opened:
        dec = [_article(i, f"D{i}", f"十二月 {i}", f"<p>清远 第{i}条</p>") for i in range(5)]
        jan = [_article(i, f"J{i}", f"一月 {i}", f"<p>供电局 第{i}条</p>", days=16) for i in range(5)]
        opened.upsert(dec + jan, SEEN)
        yield opened


def test_rebuild_without_changes_rewrites_no_index_file(two_months: SqliteStore, site: SiteConfig) -> None:
    build_site(two_months, site)
    _age(site.output)
    before = _mtimes(site.output)
    build_site(two_months, site)
    assert _mtimes(site.output) == before


def _segments(output: Path) -> list[str]:
    index = json.loads((output / "search" / "index.json").read_text(encoding="utf-8"))
    return [e["id"] for e in index["segments"]]


def _changed(output: Path, change: Callable[[], None]) -> set[str]:
    """Index files whose mtime moved when `change` ran."""
    _age(output)
    before = _mtimes(output)
    change()
    after = _mtimes(output)
    return {path for path in after if after[path] != before.get(path)}


def test_new_article_rewrites_only_its_days_shards(two_months: SqliteStore, site: SiteConfig) -> None:
    build_site(two_months, site)
    assert _segments(site.output) == ["2022-01-05", "2021-12"]

    def add() -> None:
        two_months.upsert([_article(9, "J9", "一月新闻", "<p>清远新消息</p>", days=16)], SEEN)
        build_site(two_months, site)

    changed = _changed(site.output, add)
    assert changed, "the new article's day must be rewritten"
    assert all(p.startswith(("search/2022-01-05.", "search/index.json")) for p in changed), changed
    assert "J9" in _ids(site.output, "清远")
    assert {"D0", "D4"} <= _ids(site.output, "清远")


def test_a_new_day_leaves_the_other_days_alone(two_months: SqliteStore, site: SiteConfig) -> None:
    build_site(two_months, site)

    def add() -> None:
        two_months.upsert([_article(0, "J10", "次日", "<p>清远次日消息</p>", days=17)], SEEN)
        build_site(two_months, site)

    changed = _changed(site.output, add)
    assert _segments(site.output) == ["2022-01-06", "2022-01-05", "2021-12"]
    assert all(p.startswith(("search/2022-01-06.", "search/index.json")) for p in changed), changed
    assert "J10" in _ids(site.output, "清远")


def test_a_new_week_merges_the_last_weeks_days(two_months: SqliteStore, site: SiteConfig) -> None:
    build_site(two_months, site)
    two_months.upsert([_article(0, "J11", "下周", "<p>清远下周消息</p>", days=22)], SEEN)
    build_site(two_months, site)
    # Tuesday 11 January starts a new ISO week: the week of Monday 3 January becomes one segment
    assert _segments(site.output) == ["2022-01-11", "2022-01-w03", "2021-12"]
    assert "J11" in _ids(site.output, "清远") and "J0" in _ids(site.output, "供电局")


def test_a_new_month_merges_the_last_months_days(two_months: SqliteStore, site: SiteConfig) -> None:
    build_site(two_months, site)
    two_months.upsert([_article(0, "F1", "二月", "<p>供电局二月消息</p>", days=45)], SEEN)
    build_site(two_months, site)
    assert _segments(site.output) == ["2022-02-03", "2022-01", "2021-12"]
    assert not list((site.output / "search").glob("2022-01-05.*"))  # the day's files went with the manifest
    assert _ids(site.output, "供电局") == {"F1", "J0", "J1", "J2", "J3", "J4"}


def test_a_reindexed_segment_moves_to_a_new_folder(two_months: SqliteStore, site: SiteConfig) -> None:
    # a reader holding the old index.json (or a build killed before writing the new one)
    # still finds the files it names unchanged: new versions never overwrite them
    build_site(two_months, site)
    [old] = (site.output / "search").glob("2022-01-05.*")
    two_months.upsert([_article(9, "J9", "一月新闻", "<p>清远新消息</p>", days=16)], SEEN)
    build_site(two_months, site)
    [new] = (site.output / "search").glob("2022-01-05.*")
    assert new.name != old.name
    assert not old.exists()  # removed once the new index.json was in place
    assert [p.name for p in (site.output / "search").glob("2021-12.*")]  # untouched month kept its folder


def test_revised_article_is_reindexed(two_months: SqliteStore, site: SiteConfig) -> None:
    build_site(two_months, site)
    assert "D2" in _ids(site.output, "清远")
    revised = replace(_article(2, "D2", "十二月 2", "<p>改写后的正文</p>"))
    two_months.upsert([revised], SEEN + timedelta(hours=1))
    build_site(two_months, site)
    assert "D2" not in _ids(site.output, "清远")
    assert _ids(site.output, "改写") == {"D2"}


def test_missing_shard_is_rebuilt(two_months: SqliteStore, site: SiteConfig) -> None:
    build_site(two_months, site)
    [folder] = (site.output / "search").glob("2021-12.*")
    (folder / "b0.json").unlink()
    build_site(two_months, site)
    assert (folder / "b0.json").is_file()
    assert _ids(site.output, "清远") == {f"D{i}" for i in range(5)}


def test_incremental_index_equals_a_fresh_one(two_months: SqliteStore, site: SiteConfig, tmp_path: Path) -> None:
    build_site(two_months, site)
    two_months.upsert([_article(7, "D7", "十二月新", "<p>清远补充</p>")], SEEN)
    build_site(two_months, site)
    fresh = replace(site, output=tmp_path / "fresh")
    build_site(two_months, fresh)
    for path in (fresh.output / "search").rglob("*.json"):
        relative = path.relative_to(fresh.output)
        assert (site.output / relative).read_bytes() == path.read_bytes(), relative
    assert {p.relative_to(site.output) for p in (site.output / "search").rglob("*.json")} == \
        {p.relative_to(fresh.output) for p in (fresh.output / "search").rglob("*.json")}


def test_no_index_yet_says_to_build(tmp_path: Path) -> None:
    from newsdesk.errors import OutputError

    with pytest.raises(OutputError, match="newsdesk build"):
        search.search_index(tmp_path, "清远")


@pytest.mark.parametrize(("term", "pinned"), [
    ("清远", [(0, "清远")]),
    ("供电局", [(0, "供电"), (1, "电局")]),
    ("清远供电", [(0, "清远"), (2, "供电")]),
    ("清远供电局", [(0, "清远"), (2, "供电"), (3, "电局")]),
    ("清", []),
])
def test_covering_bigrams_touch_every_character(term: str, pinned: list[tuple[int, str]]) -> None:
    assert search.cover(term) == pinned


def test_covering_bigrams_must_stand_at_their_offsets() -> None:
    postings = {g: {0: spots} for g, spots in search.bigram_positions(search.normalize("清远和供电，供电清远")).items()}
    assert search.contains_term(postings, "清远供电") == set()
    postings = {g: {0: spots} for g, spots in search.bigram_positions("xx清远供电").items()}
    assert search.contains_term(postings, "清远供电") == {0}
