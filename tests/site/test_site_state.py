"""The build state: change numbers from the store, story changes, a damaged or old-format state, O(changed) plans."""

from __future__ import annotations

import logging
import random
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from site_articles import OUTLETS, SEEN, article

from newsdesk.config import SiteConfig
from newsdesk.models import Alias, Fingerprint, StoryPlacement
from newsdesk.site import build as build_module
from newsdesk.site import plan as plan_module
from newsdesk.site.build import build_site
from newsdesk.site.state import STATE_FILE
from newsdesk.store import SqliteStore


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith(("status.", STATE_FILE))}


def place(store: SqliteStore, member: tuple[str, str], story: tuple[str, str]) -> None:
    fingerprint = Fingerprint(source=member[0], id=member[1], outlet=member[0], published_at=SEEN,
                              link_key=None, text_key=None, signature=b"")
    store.save_stories([StoryPlacement(fingerprint, (), story[0], story[1], 0.9)], [], SEEN)


def test_every_write_that_changes_a_page_raises_the_change_number(store: SqliteStore) -> None:
    assert store.change_seq() == 0
    store.upsert([article("A1", 0), article("A2", 5)], SEEN)
    first = store.change_seq()
    assert {(h.source, h.id) for h in store.changed_heads(0, first)} == {("南方Plus", "A1"), ("南方Plus", "A2")}
    store.upsert([article("A1", 0)], SEEN)  # identical: nothing to rebuild
    assert store.change_seq() == first
    store.upsert([replace(article("A1", 0), title="新标题")], SEEN)
    assert [h.id for h in store.changed_heads(first, store.change_seq())] == ["A1"]
    marked = store.change_seq()
    store.save_stories([], [Alias("别家", "x", "别家", "bie", "t", None, "南方Plus", "A2")], SEEN)
    assert [h.id for h in store.changed_heads(marked, store.change_seq())] == ["A2"]  # its page lists the alias


def test_story_changes_rebuild_every_member_as_a_full_build_would(store: SqliteStore, site: SiteConfig,
                                                                 tmp_path: Path) -> None:
    rng = random.Random(7)
    site = replace(site, per_page=3, home_latest=4, feed_entries=3)
    keys = []
    for step in range(10):
        batch = [article(f"S{step}-{n}", rng.randint(0, 3000), rng.randrange(len(OUTLETS))) for n in range(2)]
        store.upsert(batch, SEEN + timedelta(minutes=step))
        keys += [(a.source, a.id) for a in batch]
        for _ in range(2):  # join a story, or move to another one
            place(store, rng.choice(keys), rng.choice(keys[:4]))
        if step % 3 == 0:
            target = rng.choice(keys)
            store.save_stories([], [Alias(f"转载{step}", f"c{step}", f"转载{step}", f"zhuanzai{step}",
                                          f"转载的标题 {step}", None, *target)], SEEN)
        build_site(store, site)
        full = replace(site, output=tmp_path / f"full{step}")
        build_site(store, full, full=True)
        assert tree(site.output) == tree(full.output), f"step {step}"


def test_a_build_after_a_fetch_plans_only_what_changed(store: SqliteStore, site: SiteConfig,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    store.upsert([article(f"B{i}", i * 7, i % len(OUTLETS)) for i in range(60)], SEEN)
    build_site(store, site)

    def refuse(*args: object) -> None:
        raise AssertionError("re-planned the whole site")

    monkeypatch.setattr(build_module, "sync_refs", refuse)
    monkeypatch.setattr(plan_module.Navigator, "outlet", refuse)
    store.upsert([article("NEW", 60 * 7)], SEEN + timedelta(hours=1))
    report = build_site(store, site)
    assert report.written > 0 and report.articles == 61
    assert (site.output / "nanfangplus/2021/12/30/NEW.html").is_file()


def test_a_damaged_state_file_is_started_afresh(store: SqliteStore, site: SiteConfig, tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    store.upsert([article(f"C{i}", i * 11, i % len(OUTLETS)) for i in range(12)], SEEN)
    build_site(store, site)
    (site.output / STATE_FILE).write_bytes(b"this is not a database" * 100)
    store.upsert([article("C12", 500)], SEEN + timedelta(hours=1))
    with caplog.at_level(logging.WARNING):
        build_site(store, site)
    assert any("build state" in r.getMessage() for r in caplog.records)
    full = replace(site, output=tmp_path / "full")
    build_site(store, full, full=True)
    assert tree(site.output) == tree(full.output)


def test_a_folder_built_by_an_earlier_version_is_taken_over(store: SqliteStore, site: SiteConfig) -> None:
    store.upsert([article("D1", 0)], SEEN)
    site.output.mkdir(parents=True)
    (site.output / "gone.html").write_text("a page the old build wrote")
    (site.output / "mine.html").write_text("the user's own file")
    (site.output / ".newsdesk-manifest.json").write_text('{"version": 2, "files": ["gone.html"],'
                                                         ' "inputs": {"gone.html": "k"}}')
    build_site(store, site)
    assert not (site.output / "gone.html").exists()  # the old manifest listed it; nothing builds it now
    assert (site.output / "mine.html").read_text() == "the user's own file"
    assert not (site.output / ".newsdesk-manifest.json").exists()
    assert (site.output / STATE_FILE).is_file()


def test_cached_feed_entries_stay_bounded_by_the_feeds(store: SqliteStore, site: SiteConfig) -> None:
    import sqlite3

    site = replace(site, feed_entries=3)
    for step in range(6):
        store.upsert([article(f"E{step}-{n}", step * 60 + n, n % len(OUTLETS)) for n in range(6)],
                     SEEN + timedelta(minutes=step))
        build_site(store, site)
    with sqlite3.connect(site.output / STATE_FILE) as conn:
        cached = conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
    assert 0 < cached <= len(OUTLETS) * 3  # 36 articles were stored; only what the feeds show is kept


def test_a_full_build_keeps_the_cached_feed_entries_that_still_hold(store: SqliteStore, site: SiteConfig,
                                                                     tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    def cached() -> dict[str, int]:
        with sqlite3.connect(site.output / STATE_FILE) as conn:
            return dict(conn.execute("SELECT id, revision FROM entries").fetchall())

    rendered: list[str] = []
    real = build_module.feed_entry

    def counting(stored: object, path: str, settings: SiteConfig) -> object:
        rendered.append(stored.article.id)  # type: ignore[attr-defined]
        return real(stored, path, settings)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "feed_entry", counting)
    site = replace(site, feed_entries=3, workers=1)
    store.upsert([article(f"K{n}", n * 7, n % len(OUTLETS)) for n in range(12)], SEEN)
    build_site(store, site)
    before = cached()
    assert len(before) == len(OUTLETS) * 3
    rendered.clear()
    assert build_site(store, site, full=True).written == 0
    assert cached() == before and rendered == []  # nothing changed: every entry still holds

    # an edited article (a new revision) and one moved far back: their entries go or are made again
    store.upsert([article("K11", 11 * 7, 11 % len(OUTLETS), title="改过的标题"),
                  article("K10", -500, 10 % len(OUTLETS))], SEEN + timedelta(minutes=1))
    build_site(store, site, full=True)
    after = cached()
    assert after["K11"] == before["K11"] + 1 and "K10" not in after
    assert set(rendered) == {"K1", "K11"}  # K1 takes K10's place in its outlet's feed (K11: the site's too)
    assert len(after) == len(OUTLETS) * 3
    rendered.clear()
    store.upsert([article("K12", 200, 0)], SEEN + timedelta(minutes=2))
    build_site(store, site)
    assert set(rendered) == {"K12"}  # the update after a full build renders only the new entry
    fresh = replace(site, output=tmp_path / "fresh")
    build_site(store, fresh, full=True)
    assert tree(site.output) == tree(fresh.output)

    # other settings: the cache is made again with them
    site = replace(site, title="别的站名")
    rendered.clear()
    build_site(store, site)
    assert len(set(rendered)) == len(OUTLETS) * 3


def test_a_worker_renders_the_outlets_and_the_tree_is_the_same(store: SqliteStore, site: SiteConfig,
                                                               tmp_path: Path) -> None:
    from newsdesk.models import Article
    from newsdesk.site.build import _PARALLEL_OUTLETS

    outlets = _PARALLEL_OUTLETS + 5

    def item(n: int) -> Article:
        return replace(article(f"W{n}", n * 13), source=f"源{n % outlets}", outlet=f"媒体{n % outlets}",
                       category=f"outlet{n % outlets}")

    site = replace(site, per_page=4, feed_entries=3, workers=2)
    store.upsert([item(n) for n in range(outlets * 3)], SEEN)
    build_site(store, site)  # the whole site: outlets in a worker, articles in-process (few)
    serial = replace(site, workers=1, output=tmp_path / "serial")
    build_site(store, serial)
    assert tree(site.output) == tree(serial.output)
    store.upsert([item(n) for n in range(outlets * 3, outlets * 4)], SEEN + timedelta(hours=1))
    report = build_site(store, site)  # every outlet touched: the worker again, now an update
    assert report.written > outlets * 2
    build_site(store, serial, full=True)
    assert tree(site.output) == tree(serial.output)
    assert build_site(store, site).written == 0


def test_random_updates_through_the_outlet_worker_equal_a_full_build(store: SqliteStore, site: SiteConfig,
                                                                     tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from newsdesk.site.build import _PARALLEL_OUTLETS

    # feed entries go to the state a few at a time, from the build and its worker alike (the fork inherits this)
    monkeypatch.setattr(build_module, "_ENTRY_BATCH", 4)

    outlets = _PARALLEL_OUTLETS + 6
    rng = random.Random(11)

    def item(name: str, minutes: int, k: int) -> object:
        return replace(article(name, minutes), source=f"源{k}", outlet=f"媒体{k}", category=f"outlet{k}")

    site = replace(site, per_page=3, feed_entries=2, home_latest=5, workers=2)
    known = [item(f"R{n}", rng.randint(0, 3000), n % outlets) for n in range(outlets * 2)]
    store.upsert(known, SEEN)  # type: ignore[arg-type]
    build_site(store, site)
    for step in range(4):
        # one new article in every outlet (so the worker takes most of them), some back-dated
        batch = [item(f"S{step}-{n}", rng.randint(0, 4000), n) for n in range(outlets)]
        for old in rng.sample(known, 6):  # edits and moved dates in many outlets at once
            batch.append(replace(old, title=f"改 {step}", published_at=old.published_at  # type: ignore[attr-defined]
                                 + timedelta(hours=rng.randint(-20, 20))))
        store.upsert(batch, SEEN + timedelta(minutes=step + 1))  # type: ignore[arg-type]
        known += batch[:outlets]
        build_site(store, site)
        full = replace(site, workers=1, output=tmp_path / f"full{step}")
        build_site(store, full, full=True)
        assert tree(site.output) == tree(full.output), f"step {step}"
    import sqlite3

    import feedparser

    with sqlite3.connect(site.output / STATE_FILE) as conn:
        cached = {row[0] for row in conn.execute("SELECT id FROM entries")}
    feeds = {entry.id.rsplit("/", 1)[1] for k in range(outlets)  # every feed's entries were cached
             for entry in feedparser.parse((site.output / f"category/outlet{k}.xml").read_bytes()).entries}
    assert len(feeds) == outlets * 2 and feeds <= cached
    assert len(cached) == outlets * 2  # and nothing else: entries of articles that moved went


def test_long_outlets_read_their_newest_pages_from_the_newest_end(store: SqliteStore, site: SiteConfig,
                                                                  tmp_path: Path) -> None:
    # outlets of many pages: an update reads only their newest rows; pages must equal a full build's
    rng = random.Random(11)
    site = replace(site, per_page=3, feed_entries=4)
    store.upsert([article(f"L{n}", n * 5, n % 2) for n in range(60)], SEEN)
    build_site(store, site)
    for step in range(6):
        newer = [article(f"N{step}-{n}", 400 + step * 20 + n, n % 2) for n in range(2)]
        # back-dated: onto an old page (before the newest 16 refs) or among the newest
        older = [article(f"O{step}", rng.randint(0, 60) if step % 2 else rng.randint(200, 300), step % 2)]
        store.upsert(newer + older, SEEN + timedelta(minutes=step))
        build_site(store, site)
        full = replace(site, output=tmp_path / f"long{step}")
        build_site(store, full, full=True)
        assert tree(site.output) == tree(full.output), f"step {step}"


def test_cached_feed_entries_keep_control_characters_out_of_the_feeds(store: SqliteStore, site: SiteConfig,
                                                                     tmp_path: Path) -> None:
    import json

    import feedparser

    from newsdesk.models import SafeHtml

    # the cache separates an entry's parts with U+001F: an article carrying it (and NUL) must not split wrongly
    odd = replace(article("C1", 0), title="控制\x1f字符\x00标题", summary="摘\x1f要",
                  body_html=SafeHtml("<p>正文\x1f含\x00控制符</p>"))
    store.upsert([odd], SEEN)
    build_site(store, site)
    store.upsert([article("C2", 10)], SEEN + timedelta(minutes=1))  # the outlet's feeds now reuse C1's cached entry
    build_site(store, site)
    full = replace(site, output=tmp_path / "full")
    build_site(store, full, full=True)
    assert tree(site.output) == tree(full.output)
    feed = feedparser.parse((site.output / "feed.xml").read_bytes())
    assert not feed.bozo and [e.title for e in feed.entries] == [feed.entries[0].title, "控制字符标题"]
    items = json.loads((site.output / "feed.json").read_bytes())["items"]
    assert [item["title"] for item in items][1] == "控制字符标题"
    assert "控制符" in items[1]["content_html"] and "\x1f" not in items[1]["content_html"]


def test_a_full_replan_leaves_the_refs_indexed(store: SqliteStore, site: SiteConfig) -> None:
    import sqlite3

    # the re-plan drops the refs' indexes while it inserts every ref; they must all be back after it
    store.upsert([article(f"I{n}", n, n % len(OUTLETS)) for n in range(12)], SEEN)
    build_site(store, site)
    build_site(store, site, full=True)
    with sqlite3.connect(site.output / STATE_FILE) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'"
                                                " AND tbl_name = 'refs' AND sql IS NOT NULL")}
        plan = " ".join(str(row) for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT path FROM refs WHERE category = 'x' AND owner = 1 ORDER BY published"))
    assert names == {"refs_by_category", "refs_by_day", "refs_by_time", "refs_by_path", "refs_by_story"}
    assert "refs_by_category" in plan


def test_an_update_after_a_whole_site_build_compiles_no_template(store: SqliteStore, site: SiteConfig,
                                                                 tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2

    from newsdesk.site.build import _PARALLEL_OUTLETS

    outlets = _PARALLEL_OUTLETS + 2

    def item(name: str, minutes: int, k: int) -> object:
        return replace(article(name, minutes), source=f"源{k}", outlet=f"媒体{k}", category=f"outlet{k}")

    site = replace(site, workers=2)
    store.upsert([item(f"T{k}", k, k) for k in range(outlets)], SEEN)  # type: ignore[misc]
    with monkeypatch.context() as patch:
        patch.setattr(build_module, "_PARALLEL_FROM", 1)  # article pages in the pool, as in a big site
        build_site(store, site)  # the whole site, outlets in the worker
    compiled = tmp_path / "compiled.txt"
    real = jinja2.Environment.compile

    def compile(self: jinja2.Environment, source: object, name: str | None = None, *args: object) -> object:
        with compiled.open("a", encoding="utf-8") as log:  # the worker is forked: a file sees both processes
            log.write(f"{name}\n")
        return real(self, source, name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    store.upsert([item(f"U{k}", 100 + k, k) for k in range(outlets)], SEEN + timedelta(minutes=1))  # type: ignore[misc]
    build_site(store, site)  # an update: every template's bytecode is in the state by now
    assert not compiled.exists(), compiled.read_text()
