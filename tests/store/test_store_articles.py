"""Upserts (new/updated/unchanged), listing order and filters, streaming, categories."""

from __future__ import annotations

import sqlite3
import tracemalloc
from dataclasses import replace
from datetime import UTC, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from store_helpers import T0, article

from newsdesk.errors import StoreError
from newsdesk.models import SafeHtml, UpsertCounts
from newsdesk.store import SqliteStore, open_store

SEEN1 = T0 + timedelta(hours=1)
SEEN2 = T0 + timedelta(hours=2)


def test_first_upsert_counts_every_article_new(store: SqliteStore) -> None:
    counts = store.upsert([article("a1"), article("a2"), article("a3")], SEEN1)
    assert counts == UpsertCounts(new=3, updated=0, unchanged=0)
    assert store.count_articles() == 3
    stored = store.get_article("南方Plus", "a2")
    assert stored is not None
    assert stored.article == article("a2")
    assert (stored.first_seen_at, stored.changed_at, stored.revision) == (SEEN1, SEEN1, 1)


def test_rerun_of_same_batch_is_idempotent_and_writes_nothing(store: SqliteStore,
                                                              store_path: Path) -> None:
    batch = [article(f"a{i}", i) for i in range(5)]
    store.upsert(batch, SEEN1)
    before = _total_changes_after(store, lambda: store.upsert(batch, SEEN2))
    assert before == (UpsertCounts(new=0, updated=0, unchanged=5), 0)
    stored = store.get_article("南方Plus", "a3")
    assert stored is not None
    assert (stored.changed_at, stored.revision, stored.first_seen_at) == (SEEN1, 1, SEEN1)


def _total_changes_after(store: SqliteStore, action: object) -> tuple[object, int]:
    """Run `action` and report how many rows SQLite changed meanwhile."""
    conn = store._conn  # white box: proves "no write at all", not just equal counts
    assert conn is not None
    start = conn.total_changes
    result = action()  # type: ignore[operator]
    return result, conn.total_changes - start


def test_same_instant_in_another_zone_is_unchanged(store: SqliteStore) -> None:
    store.upsert([article("a1")], SEEN1)
    shanghai = article("a1", published_at=T0.astimezone(ZoneInfo("Asia/Shanghai")))
    assert store.upsert([shanghai], SEEN2) == UpsertCounts(unchanged=1)


def test_changed_body_is_an_update_with_revision_two(store: SqliteStore) -> None:
    store.upsert([article("a1"), article("a2")], SEEN1)
    edited = article("a1", body_html=SafeHtml("<p>更正后的正文</p>"))
    assert store.upsert([edited, article("a2")], SEEN2) == UpsertCounts(updated=1, unchanged=1)
    stored = store.get_article("南方Plus", "a1")
    assert stored is not None
    assert stored.article.body_html == "<p>更正后的正文</p>"
    assert (stored.revision, stored.first_seen_at, stored.changed_at) == (2, SEEN1, SEEN2)


@pytest.mark.parametrize("change", [
    {"title": "new title"}, {"outlet": "other"}, {"category": "other"}, {"link": None},
    {"published_at": T0 + timedelta(microseconds=1)}, {"updated_at": T0}, {"author": "张三"},
    {"summary": ""}, {"lead": "速读"}, {"fulltext_key": "k1"}, {"needs_fulltext": True},
    {"dated": False},
], ids=lambda change: next(iter(change)))
def test_every_field_takes_part_in_change_detection(store: SqliteStore, change: dict[str, object]) -> None:
    store.upsert([article("a1")], SEEN1)
    assert store.upsert([article("a1", **change)], SEEN2) == UpsertCounts(updated=1)


def test_undated_article_keeps_its_first_published_time(store: SqliteStore) -> None:
    # no outlet time: published_at is the fetch time, which moves every cycle
    store.upsert([article("a1", published_at=SEEN1, dated=False)], SEEN1)
    assert store.upsert([article("a1", published_at=SEEN2, dated=False)], SEEN2) == \
        UpsertCounts(unchanged=1)
    edited = article("a1", published_at=SEEN2 + timedelta(hours=1), dated=False, title="changed")
    assert store.upsert([edited], SEEN2) == UpsertCounts(updated=1)
    stored = store.get_article("南方Plus", "a1")
    assert stored is not None
    assert stored.article.published_at == SEEN1
    assert stored.article.title == "changed"


def test_duplicate_keys_in_one_batch_count_once_last_wins(store: SqliteStore) -> None:
    counts = store.upsert([article("a1", title="first"), article("a1", title="second")], SEEN1)
    assert counts == UpsertCounts(new=1)
    stored = store.get_article("南方Plus", "a1")
    assert stored is not None and stored.article.title == "second"


def test_same_id_in_two_sources_is_two_articles(store: SqliteStore) -> None:
    counts = store.upsert([article("x"), article("x", source="东财滚动")], SEEN1)
    assert counts == UpsertCounts(new=2)


def test_failed_upsert_rolls_back_the_whole_batch(store: SqliteStore) -> None:
    naive = article("bad", published_at=T0.replace(tzinfo=None))
    with pytest.raises(StoreError, match="has no timezone"):
        store.upsert([article("good"), naive], SEEN1)
    assert store.count_articles() == 0


def test_missing_article_is_none(store: SqliteStore) -> None:
    assert store.get_article("南方Plus", "nope") is None


# ---------------------------------------------------------------- listing


@pytest.fixture
def listed(store: SqliteStore) -> SqliteStore:
    store.upsert([
        article("b", 10), article("a", 10), article("c", 5),
        article("z", 10, source="A-source", outlet="东财", category="dongcai"),
        article("old", -600, source="A-source", outlet="东财", category="dongcai"),
    ], SEEN1)
    return store


def _keys(store: SqliteStore, **filters: object) -> list[str]:
    return [s.article.id for s in store.iter_articles(**filters)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, ["b", "a", "z", "c", "old"]),
    ({"newest_first": False}, ["old", "c", "z", "a", "b"]),
    ({"source": "A-source"}, ["z", "old"]),
    ({"category": "nanfangPlus"}, ["b", "a", "c"]),
    ({"since": T0}, ["b", "a", "z", "c"]),
    ({"since": T0.astimezone(ZoneInfo("America/New_York")), "newest_first": False}, ["c", "z", "a", "b"]),
    ({"limit": 2}, ["b", "a"]),
    ({"limit": 0}, []),
    ({"category": "dongcai", "since": T0, "limit": 5}, ["z"]),
    ({"source": "nobody"}, []),
], ids=["newest", "oldest", "source", "category", "since", "since-other-zone", "limit", "limit-0",
        "combined", "unknown-source"])
def test_iter_articles_orders_and_filters(listed: SqliteStore, filters: dict[str, object],
                                          expected: list[str]) -> None:
    assert _keys(listed, **filters) == expected


def test_listed_times_are_aware_utc(listed: SqliteStore) -> None:
    first = next(listed.iter_articles())
    assert first.article.published_at.tzinfo is UTC
    assert first.article.published_at == T0 + timedelta(minutes=10)


def test_count_articles_filters(listed: SqliteStore) -> None:
    assert listed.count_articles() == 5
    assert listed.count_articles(source="A-source") == 2
    assert listed.count_articles(category="nanfangPlus") == 3
    assert listed.count_articles(source="A-source", category="nanfangPlus") == 0


def test_iter_articles_streams_without_loading_the_table(store: SqliteStore) -> None:
    body = SafeHtml("<p>" + "新闻" * 200 + "</p>")  # ~1.2 kB per row, ~24 MB of rows in all
    total = 20_000
    for start in range(0, total, 5_000):
        store.upsert([article(f"n{i:05}", i, body_html=body) for i in range(start, start + 5_000)], SEEN1)
    tracemalloc.start()
    try:
        seen = 0
        previous = None
        for stored in store.iter_articles(newest_first=False):
            assert previous is None or previous <= stored.article.published_at
            previous = stored.article.published_at
            seen += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == total
    assert peak < 8_000_000, f"iterating held {peak} bytes at once"


def test_iterating_while_writing_on_the_same_store(listed: SqliteStore) -> None:
    ids = []
    for stored in listed.iter_articles():
        ids.append(stored.article.id)
        listed.upsert([article("later", 1000 + len(ids))], SEEN2)
    assert ids[:5] == ["b", "a", "z", "c", "old"][: len(ids[:5])]
    assert listed.get_article("南方Plus", "later") is not None


def test_abandoned_iterator_then_close(store_path: Path) -> None:
    store = open_store(store_path)
    store.upsert([article(f"a{i}", i) for i in range(3)], SEEN1)
    iterator = store.iter_articles()
    next(iterator)
    store.close()
    iterator.close()  # must not raise on the closed connection
    with pytest.raises(StoreError, match="closed"):
        store.count_articles()


# ---------------------------------------------------------------- categories


def test_categories_by_slug_with_counts_and_latest(listed: SqliteStore) -> None:
    infos = listed.categories()
    assert [(c.slug, c.outlet, c.article_count, c.latest_at) for c in infos] == [
        ("dongcai", "东财", 2, T0 + timedelta(minutes=10)),
        ("nanfangPlus", "南方Plus", 3, T0 + timedelta(minutes=10)),
    ]


def test_categories_use_the_assigned_outlet_and_list_empty_ones(store: SqliteStore) -> None:
    assert store.category_for("南方Plus", "nanfangPlus") == "nanfangPlus"
    assert store.category_for("新浪", "xinlang") == "xinlang"
    store.upsert([article("a1", outlet="南方Plus")], SEEN1)
    infos = {c.slug: c for c in store.categories()}
    assert infos["nanfangPlus"].outlet == "南方Plus"
    assert (infos["xinlang"].outlet, infos["xinlang"].article_count, infos["xinlang"].latest_at) == \
        ("新浪", 0, None)


def test_category_for_is_stable(store: SqliteStore, store_path: Path) -> None:
    assert store.category_for("南方Plus", "nanfangPlus") == "nanfangPlus"
    # a later proposal (say, a config edit) never moves published URLs
    assert store.category_for("南方Plus", "nanfang") == "nanfangPlus"
    store.close()
    with open_store(store_path) as reopened:
        assert reopened.category_for("南方Plus", "whatever") == "nanfangPlus"


def test_category_collision_gets_a_deterministic_suffix(tmp_path: Path) -> None:
    slugs = []
    for run in ("one", "two"):
        with open_store(tmp_path / run / "s.db") as store:
            assert store.category_for("Sina", "sina") == "sina"
            slugs.append(store.category_for("新浪", "sina"))
            # a proposal differing only in case is taken too (case-insensitive file systems)
            slugs.append(store.category_for("SINA news", "SINA"))
    assert slugs[0] == slugs[2] and slugs[1] == slugs[3]
    assert slugs[0].startswith("sina-") and slugs[1].startswith("SINA-")
    assert len(set(slugs[:2])) == 2
    assert all(s.replace("-", "").isalnum() and s.isascii() for s in slugs)


def test_category_taken_by_stored_articles_of_another_outlet(store: SqliteStore) -> None:
    store.upsert([article("a1", outlet="Imported", category="imported")], SEEN1)
    assert store.category_for("Imported", "imported") == "imported"
    assert store.category_for("Someone else", "imported").startswith("imported-")


def test_category_for_writes_in_its_own_transaction(store: SqliteStore, store_path: Path) -> None:
    store.category_for("南方Plus", "nanfangPlus")
    other = sqlite3.connect(store_path)
    try:
        assert other.execute("SELECT slug, outlet FROM categories").fetchall() == \
            [("nanfangPlus", "南方Plus")]
    finally:
        other.close()


def test_upsert_then_unchanged_row_after_reopen(store_path: Path) -> None:
    with open_store(store_path) as store:
        store.upsert([article("a1")], SEEN1)
    with open_store(store_path) as store:
        assert store.upsert([replace(article("a1"))], SEEN2) == UpsertCounts(unchanged=1)
