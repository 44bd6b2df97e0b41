"""Any article survives the store exactly: text of every script, NULs, aware times in any zone.

Decided: NUL characters are stored and come back unchanged (SQLite text carries a length),
so the store does not strip them; text with a lone surrogate is not valid Unicode for
SQLite and is refused with a StoreError. Times come back as aware UTC datetimes equal to
the original instant; they are compared after converting to UTC, because Python treats a
time in a DST gap or fold as unequal to every time in another zone.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import T0, article

from newsdesk.errors import StoreError
from newsdesk.models import Article, SafeHtml, UpsertCounts
from newsdesk.store import open_store

_SPECIAL = st.sampled_from([
    "\x00", "😀", "👩‍👩‍👧", "🇨🇳", "中文", "𠮷", "\u202e", "\u200f", "\u2066", "עברית", "مرحبا",
    "\ufeff", "\u3000", "\r\n", '"', "'", "\\", "%", "?", "--", "; DROP TABLE articles;",
])
TEXT = st.lists(st.one_of(st.text(max_size=20), _SPECIAL), max_size=6).map("".join)
TIMES = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1),
                     timezones=st.timezones())

ARTICLES = st.builds(
    Article,
    source=TEXT, id=TEXT, outlet=TEXT, category=st.from_regex(r"[A-Za-z0-9-]{1,20}", fullmatch=True),
    title=TEXT, link=st.none() | TEXT, published_at=TIMES, body_html=TEXT.map(SafeHtml),
    summary=TEXT, author=st.none() | TEXT, updated_at=st.none() | TIMES, lead=st.none() | TEXT,
    fulltext_key=st.none() | TEXT, dated=st.booleans(), needs_fulltext=st.booleans(),
)


def _as_utc(item: Article) -> Article:
    return replace(item, published_at=item.published_at.astimezone(UTC),
                   updated_at=item.updated_at and item.updated_at.astimezone(UTC))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=ARTICLES, seen_at=TIMES)
def test_any_article_round_trips(item: Article, seen_at: datetime) -> None:
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "s.db") as store:
        assert store.upsert([item], seen_at) == UpsertCounts(new=1)
        stored = store.get_article(item.source, item.id)
        assert stored is not None
        assert stored.article == _as_utc(item)
        assert stored.article.published_at.tzinfo is UTC
        assert stored.first_seen_at == seen_at.astimezone(UTC)
        assert [s.article for s in store.iter_articles(source=item.source)] == [_as_utc(item)]
        # the same article again, in any zone, changes nothing
        assert store.upsert([item], seen_at) == UpsertCounts(unchanged=1)


def test_lone_surrogate_is_refused_with_the_article_named(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        with pytest.raises(StoreError, match=r"南方Plus: article 'a1': .*lone surrogate"):
            store.upsert([article("a1", title="bad \udc80 text")], T0)
        assert store.count_articles() == 0
