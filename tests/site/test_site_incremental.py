"""Incremental builds: byte-identical to a full build, stable pagination, crash convergence, archive reach."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from page_view import view
from site_articles import OUTLETS, SEEN, article

from newsdesk.config import SiteConfig
from newsdesk.errors import OutputError
from newsdesk.models import Article
from newsdesk.site import build as build_module
from newsdesk.site.build import build_site
from newsdesk.site.state import STATE_FILE
from newsdesk.store import SqliteStore, open_store


def tree(root: Path) -> dict[str, bytes]:
    """Every file's bytes; status.* (site/status.py) describes the build run itself, so it is left out."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith(("status.", STATE_FILE))}


def mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(("status.", STATE_FILE))}


def full_tree(store: SqliteStore, site: SiteConfig, folder: Path) -> dict[str, bytes]:
    build_site(store, replace(site, output=folder), full=True)
    return tree(folder)


def random_change(rng: random.Random, known: list[Article], serial: int) -> list[Article]:
    """A few new articles, some edits, some back-dated arrivals, the odd moved date."""
    batch = []
    for _ in range(rng.randint(1, 6)):
        roll = rng.random()
        if roll < 0.6 or not known:
            item = article(f"R{serial}-{len(batch)}", rng.randint(0, 4 * 24 * 60), rng.randrange(len(OUTLETS)))
        elif roll < 0.85:
            item = replace(rng.choice(known), title=f"改 {serial} {rng.random():.6f}")
        else:
            old = rng.choice(known)
            item = replace(old, published_at=old.published_at + timedelta(hours=rng.randint(-30, 30)))
        batch.append(item)
    return batch


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_builds_equal_one_full_build(store: SqliteStore, site: SiteConfig, tmp_path: Path,
                                                 seed: int) -> None:
    rng = random.Random(seed)
    site = replace(site, per_page=4, home_latest=7, home_per_outlet=2, feed_entries=5)
    known: list[Article] = []
    for step in range(8):
        batch = random_change(rng, known, step)
        store.upsert(batch, SEEN + timedelta(minutes=step))
        known = [a for a in known if (a.source, a.id) not in {(b.source, b.id) for b in batch}] + batch
        build_site(store, site)
        assert tree(site.output) == full_tree(store, site, tmp_path / f"full{step}"), f"step {step}"


def test_unchanged_files_keep_bytes_and_mtime_and_numbered_pages_stay(store: SqliteStore, site: SiteConfig) -> None:
    site = replace(site, per_page=3)
    store.upsert([article(f"A{i}", i * 10) for i in range(7)], SEEN)  # one outlet, pages 1-3
    build_site(store, site)
    numbered = site.output / "category/nanfangPlus/page"
    first_pages = {n: (numbered / f"{n}.html").read_bytes() for n in (1, 2, 3)}
    before = mtimes(site.output)
    store.upsert([article("A7", 200), article("A8", 210)], SEEN + timedelta(hours=1))
    build_site(store, site)
    after = mtimes(site.output)
    changed = {p for p in after if before.get(p) != after[p]}
    for number, data in first_pages.items():  # archived pages never change as news arrives
        assert (numbered / f"{number}.html").read_bytes() == data
    # page 3, the newest, is still filling: it sends readers to the entry page, which shows its articles
    assert not changed & {f"category/nanfangPlus/page/{n}.html" for n in (1, 2, 3)}
    assert {"category/nanfangPlus.html", "index.html", "latest.json", "feed.xml", "feed.json"} <= changed
    untouched_articles = [p for p in before if p.startswith("nanfangplus/") and "A6" not in p]
    assert untouched_articles and not changed & set(untouched_articles)
    assert "/category/nanfangPlus.html" in view(numbered / "3.html").hrefs()
    assert 'content="0; url=/category/nanfangPlus.html"' in (numbered / "3.html").read_text(encoding="utf-8")
    entry = view(site.output / "category/nanfangPlus.html")
    assert [h.rsplit("/", 1)[1] for h in entry.hrefs("title")] == ["A8.html", "A7.html", "A6.html"]
    assert "/category/nanfangPlus/page/2.html" in entry.hrefs()

    store.upsert([article("A9", 220)], SEEN + timedelta(hours=2))  # page 4 starts: page 3 gets its own list
    build_site(store, site)
    assert [h.rsplit("/", 1)[1] for h in view(numbered / "3.html").hrefs("title")] == ["A8.html", "A7.html", "A6.html"]
    assert "/category/nanfangPlus/page/4.html" in view(numbered / "3.html").hrefs()
    assert 'content="0; url=/category/nanfangPlus.html"' in (numbered / "4.html").read_text(encoding="utf-8")
    for number in (1, 2):
        assert (numbered / f"{number}.html").read_bytes() == first_pages[number]


def test_every_article_is_reachable_from_the_archive(store: SqliteStore, site: SiteConfig) -> None:
    items = [article(f"D{i}", i * 7 * 60, i % 3) for i in range(12)]  # spread over four days
    store.upsert(items, SEEN)
    build_site(store, site)
    calendar = view(site.output / "archive/index.html")
    days = [h for h in calendar.hrefs() if re.fullmatch(r"/archive/\d{4}/\d\d/\d\d\.html", h)]
    linked = set()
    for day in days:
        linked |= set(view(site.output / day.lstrip("/")).hrefs("title"))
    assert len(days) >= 3
    assert linked == {"/" + p.relative_to(site.output).as_posix()
                      for p in site.output.glob("*/20*/*/*/*.html")}
    assert len(linked) == len(items)


class Crash(Exception):
    pass


def test_crash_mid_build_then_rerun_converges(store: SqliteStore, site: SiteConfig, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    store.upsert([article(f"C{i}", i) for i in range(30)], SEEN)
    build_site(store, site)
    old = tree(site.output)
    store.upsert([article(f"N{i}", 100 + i, i % 3) for i in range(20)], SEEN + timedelta(hours=1))
    real = build_module.render
    calls = {"n": 0}

    def crashing(env: object, template: str, context: object) -> bytes:
        if template == "article.html":  # the fifth article page of the build dies half-way
            calls["n"] += 1
            if calls["n"] == 5:
                raise Crash("killed")
        return real(env, template, context)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "render", crashing)
    with pytest.raises(Crash):
        build_site(store, site)
    monkeypatch.undo()
    # every file in place is a whole file of the old or the new site; old articles are untouched
    for path, data in tree(site.output).items():
        if path in old and path.startswith("nanfangplus/") and "/C" in path:
            assert data == old[path]
    build_site(store, site)
    assert tree(site.output) == full_tree(store, site, tmp_path / "full")


def test_output_error_names_the_file(store: SqliteStore, site: SiteConfig) -> None:
    store.upsert([article("X", 0)], SEEN)
    (site.output / "index.html").mkdir(parents=True)
    with pytest.raises(OutputError, match="index.html"):
        build_site(store, site)


def test_full_build_uses_worker_processes_for_many_pages(tmp_path: Path, site: SiteConfig) -> None:
    with open_store(tmp_path / "big.db") as big:
        big.upsert([article(f"P{i:05d}", i, i % 3) for i in range(1_200)], SEEN)
        serial = replace(site, output=tmp_path / "one", workers=1)
        parallel = replace(site, output=tmp_path / "two", workers=2)
        assert build_site(big, serial, full=True).articles == 1_200
        build_site(big, parallel, full=True)
        assert tree(serial.output) == tree(parallel.output)
