"""get_articles: many articles by key in few queries, the same as get_article one by one."""

from __future__ import annotations

from datetime import timedelta

from store_helpers import T0, article

from newsdesk.store import SqliteStore


def test_get_articles_matches_get_article_and_skips_missing(store: SqliteStore) -> None:
    store.upsert([article(f"a{i}", i) for i in range(900)], T0 + timedelta(hours=1))
    keys = [("南方Plus", f"a{i}") for i in range(0, 900, 2)] + [("南方Plus", "gone"), ("nobody", "a1")]
    keys.append(keys[0])  # a repeated key is fine
    found = store.get_articles(keys)
    assert set(found) == {("南方Plus", f"a{i}") for i in range(0, 900, 2)}  # 450 keys: more than one query
    for (source, article_id), stored in found.items():
        assert stored == store.get_article(source, article_id)
    assert store.get_articles([]) == {}
