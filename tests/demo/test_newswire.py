"""The demo newswire: feeds parse, stories appear over time, conditional GET, GBK, config."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import httpx
import pytest

from newsdesk.config import load_config, parse_interval
from newsdesk.demo import DemoOutlet, Newswire, write_demo_config
from newsdesk.errors import UsageError

START = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def wire(clock: FakeClock) -> Iterator[Newswire]:
    server = Newswire(seed=7, start=START, publish_every_s=5.0, backlog=12, clock=clock).start()
    try:
        yield server
    finally:
        server.stop()


def get(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(url, headers=headers or {}, timeout=10)


def entries(outlet: DemoOutlet, response: httpx.Response) -> list[dict[str, str]]:
    """(id, title, published) of every item, read the way a feed reader would."""
    if outlet.format == "jsonfeed":
        items = json.loads(response.content)["items"]
        return [{"id": i["id"], "title": i["title"], "published": i["date_published"]} for i in items]
    parsed = feedparser.parse(response.content,
                              response_headers={"content-type": response.headers["content-type"]})
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [{"id": e.id, "title": e.title, "published": e.published} for e in parsed.entries]


def outlet_ids(wire: Newswire) -> list[str]:
    return [o.name for o in wire.outlets()]


def test_outlets_are_many_mixed_and_on_loopback(wire: Newswire) -> None:
    outlets = wire.outlets()
    assert len(outlets) >= 5
    assert {o.format for o in outlets} == {"rss", "atom", "jsonfeed"}
    assert {o.kind for o in outlets} == {"feed"}
    assert any(o.encoding == "gbk" for o in outlets)
    assert len({o.name for o in outlets}) == len(outlets)
    assert wire.base_url.startswith("http://127.0.0.1:")
    for outlet in outlets:
        assert outlet.url == wire.base_url + outlet.path
        assert any("\u4e00" <= ch <= "\u9fff" for ch in outlet.name)


@pytest.mark.parametrize("index", range(6), ids=["rss", "rss-gbk", "atom", "jsonfeed",
                                                 "rss-content", "atom-summary"])
def test_each_feed_parses_with_the_backlog(wire: Newswire, index: int) -> None:
    outlet = wire.outlets()[index]
    response = get(outlet.url)
    assert response.status_code == 200
    items = entries(outlet, response)
    assert len(items) == 12
    assert len({i["id"] for i in items}) == 12
    assert [i["title"] for i in items] == [s.title for s in wire.stories(outlet.name)]
    assert all(i["title"] and i["published"] for i in items)


def test_backlog_is_dated_over_the_last_two_days(wire: Newswire) -> None:
    for name in outlet_ids(wire):
        dates = [s.published_at for s in wire.stories(name)]
        assert dates == sorted(dates, reverse=True)
        assert all(START - timedelta(hours=49) <= d < START for d in dates)
        assert max(dates) > START - timedelta(hours=5)
        assert min(dates) < START - timedelta(hours=40)


def test_publish_now_adds_items_round_robin(wire: Newswire) -> None:
    outlets = wire.outlets()
    assert wire.published() == 12 * len(outlets)
    wire.publish_now(2)
    assert wire.published() == 12 * len(outlets) + 2
    counts = [len(entries(o, get(o.url))) for o in outlets]
    assert counts == [13, 13] + [12] * (len(outlets) - 2)
    newest = wire.stories(outlets[0].name)[0]
    assert newest.published_at >= START
    assert newest.guid not in {s.guid for s in wire.stories(outlets[1].name)}


def test_stories_appear_as_the_clock_advances(wire: Newswire, clock: FakeClock) -> None:
    outlets = wire.outlets()
    before = wire.published()
    clock.now += 4.9
    assert wire.published() == before
    clock.now += 0.2  # 5.1 s after start: one story is due
    assert wire.published() == before + 1
    clock.now += 5 * len(outlets)
    assert wire.published() == before + 1 + len(outlets)
    newest = wire.stories(outlets[0].name)[0]
    assert newest.published_at == START + timedelta(seconds=5 * (len(outlets) + 1))
    assert len(entries(outlets[0], get(outlets[0].url))) == 14


def test_feeds_keep_a_bounded_window_after_a_long_pause(clock: FakeClock) -> None:
    wire = Newswire(seed=1, start=START, backlog=3, feed_size=10, clock=clock)
    clock.now += 5.0 * 10_000
    assert wire.published() == 3 * 6 + 10_000
    stories = wire.stories("东海财经")
    assert len(stories) == 10
    assert len({s.guid for s in stories}) == 10


@pytest.mark.parametrize("index", range(6))
def test_conditional_get_answers_304_until_something_is_published(wire: Newswire, index: int) -> None:
    outlet = wire.outlets()[index]
    first = get(outlet.url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert get(outlet.url, {"If-None-Match": etag}).status_code == 304
    unchanged = get(outlet.url, {"If-Modified-Since": modified})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag

    wire.publish_now(len(wire.outlets()))  # one new story for every outlet
    changed = get(outlet.url, {"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert get(outlet.url, {"If-Modified-Since": modified}).status_code == 200
    assert len(entries(outlet, changed)) == 13


def test_a_stale_or_garbled_validator_gets_the_full_feed(wire: Newswire) -> None:
    url = wire.outlets()[0].url
    assert get(url, {"If-None-Match": '"not-the-etag"'}).status_code == 200
    assert get(url, {"If-Modified-Since": "yesterday-ish"}).status_code == 200
    assert get(url, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200


def test_gbk_outlet_declares_its_charset_only_in_the_prolog(wire: Newswire) -> None:
    outlet = next(o for o in wire.outlets() if o.encoding == "gbk")
    response = get(outlet.url)
    assert "charset" not in response.headers["content-type"].lower()
    assert response.content.startswith(b'<?xml version="1.0" encoding="GBK"?>')
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    expected = [s.title for s in wire.stories(outlet.name)]
    assert [i["title"] for i in entries(outlet, response)] == expected
    assert all(escape(title) in response.content.decode("gbk") for title in expected)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in expected[0])


def feed_texts(wire: Newswire) -> list[str]:
    return [get(o.url).content.decode("gbk" if o.encoding == "gbk" else "utf-8")
            .replace(wire.base_url, "BASE") for o in wire.outlets()]


def test_same_seed_and_clock_give_the_same_feeds() -> None:
    clocks = [FakeClock(), FakeClock()]
    wires = [Newswire(seed=42, start=START, clock=c).start() for c in clocks]
    try:
        for c in clocks:
            c.now += 17.0
        for w in wires:
            w.publish_now(3)
        first, second = (feed_texts(w) for w in wires)
        assert first == second
        assert wires[0].published() == wires[1].published() == 12 * 6 + 3 + 3
        other = Newswire(seed=43, start=START, clock=FakeClock())
        assert [s.title for s in other.stories("东海财经")] != \
            [s.title for s in wires[0].stories("东海财经")]
    finally:
        for w in wires:
            w.stop()


def test_story_text_is_chinese_with_quotes_and_hostile_markup_marked() -> None:
    wire = Newswire(seed=2024, start=START, clock=FakeClock())
    stories = [s for name in ("东海财经", "南方证券报", "金桥快讯", "Plus财闻", "华夏基金观察", "北辰债市通讯")
               for s in wire.stories(name)]
    assert any('"' in s.title for s in stories)
    assert any("《" in s.title and "》" in s.title for s in stories)
    assert any("<strong>" in s.body_html for s in stories)
    hostile = [s for s in stories if "<script>alert(1)</script>" in s.body_html]
    assert hostile and all("onclick=" in s.body_html and "演示：恶意输入" in s.body_html
                           for s in hostile)
    for story in stories:
        assert 2 <= story.body_html.count("<p>") + story.body_html.count("<p ") <= 7
        assert story.guid == f"{story.outlet}-{story.seq:05d}"
        assert story.title.encode("gbk") and story.body_html.encode("gbk")


def test_article_links_resolve_and_forbid_scripts(wire: Newswire) -> None:
    outlet = wire.outlets()[0]
    parsed = feedparser.parse(get(outlet.url).content)
    page = get(parsed.entries[0].link)
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == "script-src 'none'"
    assert parsed.entries[0].title in page.text
    assert get(wire.base_url + "/donghai/articles/99999.html").status_code == 404
    assert get(wire.base_url + "/nowhere.xml").status_code == 404
    assert outlet.path in get(wire.base_url + "/").text


def test_demo_config_loads_and_lists_every_outlet(wire: Newswire, tmp_path: Path) -> None:
    path = write_demo_config(tmp_path / "demo", wire, site_port=8123)
    assert path == tmp_path / "demo" / "newsdesk.toml"
    config = load_config(path)
    assert config.site.title == "newsdesk 演示"
    assert config.site.base_url == "http://127.0.0.1:8123"
    assert config.site.output == path.parent / "public"
    assert config.store.path == path.parent / ".newsdesk" / "newsdesk.db"
    assert config.fetch.timeout_s == 5
    assert [(s.name, s.kind, s.url) for s in config.sources] == \
        [(o.name, o.kind, o.url) for o in wire.outlets()]
    assert {s.interval_s for s in config.sources} == {parse_interval("5s")}
    assert not list(path.parent.glob("*.tmp"))


def test_stop_closes_the_socket_and_joins_the_thread(clock: FakeClock) -> None:
    wire = Newswire(clock=clock).start()
    url = wire.outlets()[0].url
    with httpx.Client(timeout=10) as client:  # a kept-alive connection must not block stop
        assert client.get(url).status_code == 200
        thread = wire._thread
        wire.stop()
    assert thread is not None and not thread.is_alive()
    assert not wire.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5)
    wire.stop()  # a second stop is harmless


def test_only_loopback_is_served(clock: FakeClock) -> None:
    with pytest.raises(UsageError, match="127.0.0.1"):
        Newswire(clock=clock).start(host="0.0.0.0")


def test_base_url_needs_a_started_wire(clock: FakeClock) -> None:
    with pytest.raises(RuntimeError):
        _ = Newswire(clock=clock).base_url
