"""Site fixtures: a real SQLite store in a temp folder filled from three outlets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from site_articles import SEEN, sample_articles

from newsdesk.config import SiteConfig
from newsdesk.store import SqliteStore, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with open_store(tmp_path / "state" / "newsdesk.db") as opened:
        yield opened


@pytest.fixture
def filled(store: SqliteStore) -> SqliteStore:
    """The store holding `sample_articles()`."""
    store.upsert(sample_articles(), SEEN)
    return store


@pytest.fixture
def site(tmp_path: Path) -> SiteConfig:
    return SiteConfig(title="金融消息 & <新闻>", base_url="https://news.example.com/",
                      timezone="Asia/Shanghai", output=tmp_path / "public")
