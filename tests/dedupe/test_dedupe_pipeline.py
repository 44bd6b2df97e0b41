"""One story once through the real pipeline: exact duplicates become aliases, rewrites join a story."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedmaker
from loopback import Outlet
from newsdesk import pipeline
from newsdesk.config import load_config
from newsdesk.store.sqlite import open_store

PAIRS = json.loads((Path(__file__).parent / "fixtures" / "pairs.json").read_text(encoding="utf-8"))
BEIJING = timezone(timedelta(hours=8))
WHEN = datetime.now(BEIJING).replace(microsecond=0) - timedelta(hours=2)


def entry(key: str, guid: str, link: str, minutes: int = 0) -> feedmaker.Entry:
    a = PAIRS["articles"][key]
    return feedmaker.Entry(guid=guid, title=a["title"], link=link, published=WHEN + timedelta(minutes=minutes),
                           body=f"<p>{a['text']}</p>")


def write_config(folder: Path, sources: dict[str, str], extra: str = "") -> Path:
    lines = ['[site]', 'output = "public"', "[fetch]", "timeout = 3", "retries = 0"]
    for name, url in sources.items():
        lines += ["[[sources]]", f"name = {json.dumps(name, ensure_ascii=False)}", f'url = "{url}"']
    path = folder / "newsdesk.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def test_duplicates_and_rewrites_across_outlets(outlet: Outlet, tmp_path: Path) -> None:
    wire = [entry("s01", "x-1", "https://xinhua.example.com/s01.html"),
            entry("s04", "x-2", "https://xinhua.example.com/s04.html")]
    other = [
        # the same link (with tracking) as the wire's first story: stored once
        entry("s01", "q-1", "http://www.xinhua.example.com/s01.html?utm_source=rss", 5),
        # the same text under its own link: stored once
        entry("s04", "q-2", "https://quote.example.com/2.html", 6),
        # a rewrite of the wire's first story: its own article, grouped into the story
        entry("s01r", "q-3", "https://quote.example.com/3.html", 7),
        # same company, different story: a story of its own
        entry("s01n", "q-4", "https://quote.example.com/4.html", 8),
        # the same link again under a new guid, within one source: stored once
        entry("s01n", "q-5", "https://quote.example.com/4.html", 9),
    ]
    urls = {"新华财经": outlet.serve("/wire", feedmaker.rss2(wire)),
            "证券时报": outlet.serve("/quote", feedmaker.rss2(other))}
    config = load_config(write_config(tmp_path, urls))
    with open_store(config.store.path) as store:
        first = {r.source: r for r in pipeline.fetch(config, store, sources=config.sources[:1])}
        second = {r.source: r for r in pipeline.fetch(config, store, sources=config.sources[1:])}
        assert (first["新华财经"].new, first["新华财经"].duplicates) == (2, 0)
        quote = second["证券时报"]
        assert (quote.new, quote.duplicates, quote.failed) == (2, 3, 0)
        assert {s.article.id for s in store.iter_articles(source="证券时报")} == {"q-3", "q-4"}

        members = store.story_members("新华财经", "x-1")
        assert {(m.outlet, m.id, m.exact) for m in members} == {("证券时报", "q-1", True), ("证券时报", "q-3", False)}
        assert {(m.id, m.exact) for m in store.story_members("证券时报", "q-3")} == {("x-1", False), ("q-1", True)}
        assert [(m.id, m.exact) for m in store.story_members("新华财经", "x-2")] == [("q-2", True)]
        assert [(m.id, m.exact) for m in store.story_members("证券时报", "q-4")] == [("q-5", True)]
        groups = store.story_groups()
        assert groups[("证券时报", "q-3")] == groups[("新华财经", "x-1")] == ("新华财经", "x-1")
        assert ("证券时报", "q-4") not in groups

        # a rerun changes nothing and stores nothing twice
        again = {r.source: r for r in pipeline.fetch(config, store)}
        assert all(r.new == 0 and r.updated == 0 for r in again.values())
        assert again["证券时报"].duplicates == 3
        assert store.count_articles() == 4
        assert store.recent_fetches("证券时报", 1)[0].duplicates == 3


def test_a_rewrite_in_the_same_response_joins_the_story(outlet: Outlet, tmp_path: Path) -> None:
    items = [entry("s13", "a-1", "https://a.example.com/1.html"), entry("s13r", "a-2", "https://a.example.com/2.html")]
    url = outlet.serve("/one", feedmaker.rss2(items))
    config = load_config(write_config(tmp_path, {"甲": url}))
    with open_store(config.store.path) as store:
        report = pipeline.fetch(config, store)[0]
        assert report.new == 2
        # one outlet carrying two versions is not "also reported by": stories join outlets
        assert store.story_groups() == {}
