"""Per-source and per-category article counts kept by triggers agree with counting the articles table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import T0, article

from newsdesk.store import SqliteStore, open_store
from newsdesk.store import sqlite as sqlite_store
from newsdesk.store.migrations import LATEST, MIGRATIONS


def _counted(path: Path) -> tuple[dict[str, int], dict[str, tuple[int, str | None]]]:
    """Articles per source, and per category with the newest time, counted the slow way."""
    conn = sqlite3.connect(path)
    try:
        sources = dict(conn.execute("SELECT source, COUNT(*) FROM articles GROUP BY source").fetchall())
        categories = {c: (n, latest) for c, n, latest in conn.execute(
            "SELECT category, COUNT(*), MAX(published_at) FROM articles GROUP BY category")}
    finally:
        conn.close()
    return sources, categories


def _assert_counts_agree(store: SqliteStore) -> None:
    sources, categories = _counted(store.path)
    assert {s.source: s.article_count for s in store.source_states() if s.article_count} == sources
    listed = {c.slug: c for c in store.categories()}
    for slug, (n, latest) in categories.items():
        assert listed[slug].article_count == n
        assert listed[slug].latest_at == sqlite_store._parse_time(latest)
    assert {slug for slug, info in listed.items() if info.article_count} == set(categories)


# each step: (source, id, category) upserted; a changed category moves the article between counts
steps = st.lists(st.tuples(st.sampled_from(["s1", "s2", "s3"]), st.sampled_from(["a", "b", "c", "d"]),
                           st.sampled_from(["k1", "k2"]), st.integers(0, 50)), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps)
def test_counts_follow_inserts_and_moves(tmp_path: Path, batch: list[tuple[str, str, str, int]]) -> None:
    path = tmp_path / f"counts-{abs(hash(tuple(batch)))}.db"
    with open_store(path) as store:
        for source, article_id, category, minutes in batch:
            store.upsert([article(article_id, minutes, source=source, category=category,
                                  outlet=f"媒体{category}")], T0)
        _assert_counts_agree(store)
    path.unlink()


def test_deleted_articles_leave_the_counts(store: SqliteStore) -> None:
    store.upsert([article("a1"), article("a2", category="other"), article("a3", source="s2")], T0)
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute("DELETE FROM articles WHERE id IN ('a2', 'a3')")
    conn.close()
    _assert_counts_agree(store)
    assert [s.source for s in store.source_states()] == ["南方Plus"]
    assert [c.slug for c in store.categories()] == ["nanfangPlus"]


def test_a_store_from_before_the_counts_is_migrated_with_its_articles_counted(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = MIGRATIONS[-1].version - 1
    assert MIGRATIONS[-1].name == "article counts"
    with monkeypatch.context() as patched:
        patched.setattr(sqlite_store, "MIGRATIONS", MIGRATIONS[:before])
        patched.setattr(sqlite_store, "LATEST", before)
        with open_store(store_path) as old:
            old.upsert([article("a1"), article("a2", minutes=5), article("b1", source="s2", category="k2")], T0)
            old.category_for("南方Plus", "nanfangPlus")
    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == before
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'source_counts'").fetchall()
    conn.close()
    with open_store(store_path) as store:
        _assert_counts_agree(store)
        assert {s.source: s.article_count for s in store.source_states()} == {"南方Plus": 2, "s2": 1}
        store.upsert([article("a3", minutes=9)], T0)
        _assert_counts_agree(store)
    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    conn.close()
