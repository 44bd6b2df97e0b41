"""get_articles and get_texts: many articles by key in few queries, the same as get_article one by one."""

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


def test_get_texts_gives_title_lead_and_body_of_what_get_articles_finds(store: SqliteStore) -> None:
    store.upsert([article(f"a{i}", i) for i in range(900)], T0 + timedelta(hours=1))
    keys = [("南方Plus", f"a{i}") for i in range(0, 900, 2)] + [("南方Plus", "gone"), ("nobody", "a1")]
    texts = store.get_texts(keys)
    found = store.get_articles(keys)
    assert set(texts) == set(found) and len(texts) == 450
    for key, stored in found.items():
        assert texts[key] == (stored.article.title, stored.article.lead, stored.article.body_html)
    assert store.get_texts([]) == {}
