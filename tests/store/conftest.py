"""Store fixtures: a fresh SQLite store in a temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk.store import SqliteStore, open_store


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "newsdesk.db"


@pytest.fixture
def store(store_path: Path) -> Iterator[SqliteStore]:
    with open_store(store_path) as opened:
        yield opened
