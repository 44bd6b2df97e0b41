"""Opening: creating and migrating, reopening, refusing foreign or newer files, concurrency."""

from __future__ import annotations

import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from store_helpers import T0, article

from newsdesk.errors import StoreError
from newsdesk.models import UpsertCounts
from newsdesk.store import SqliteStore, open_store
from newsdesk.store import sqlite as sqlite_store
from newsdesk.store.migrations import LATEST, MIGRATIONS, Migration

FIXTURES = Path(__file__).parent / "fixtures"


def _pragmas(path: Path) -> tuple[int, int, str]:
    conn = sqlite3.connect(path)
    try:
        return tuple(conn.execute(f"PRAGMA {name}").fetchone()[0]  # type: ignore[return-value]
                     for name in ("user_version", "application_id", "journal_mode"))
    finally:
        conn.close()


def test_migrations_are_numbered_one_to_latest() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST + 1))


def test_open_creates_folders_file_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "newsdesk.db"
    with open_store(path) as store:
        assert store.count_articles() == 0
    assert path.is_file()
    assert _pragmas(path) == (LATEST, sqlite_store.APPLICATION_ID, "wal")


def test_empty_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with open_store(path) as store:
        assert store.upsert([article()], T0) == UpsertCounts(new=1)


def test_reopen_keeps_data_and_schema(store_path: Path) -> None:
    with open_store(store_path) as store:
        store.upsert([article("a1"), article("a2")], T0)
        store.category_for("南方Plus", "nanfangPlus")
    with open_store(store_path) as store:
        assert store.count_articles() == 2
        assert store.category_for("南方Plus", "x") == "nanfangPlus"
    assert _pragmas(store_path)[0] == LATEST


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "not_a_database.db"
    shutil.copy(FIXTURES / "not_a_database.db", path)
    with pytest.raises(StoreError) as caught:
        open_store(path)
    assert str(caught.value) == f"{path}: not a newsdesk store (file is not a database)"
    assert path.read_bytes() == (FIXTURES / "not_a_database.db").read_bytes()


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE articles (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a newsdesk store"):
        open_store(path)


def test_newer_schema_is_refused(store_path: Path) -> None:
    open_store(store_path).close()
    conn = sqlite3.connect(store_path)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(StoreError, match=f"schema version {LATEST + 1} is newer .* upgrade newsdesk"):
        open_store(store_path)


def test_failed_migration_rolls_back_to_the_last_good_version(store_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    open_store(store_path).close()
    broken = Migration(LATEST + 1, "broken", ("CREATE TABLE half_done (x)", "THIS IS NOT SQL"))
    monkeypatch.setattr(sqlite_store, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(sqlite_store, "LATEST", LATEST + 1)
    with pytest.raises(StoreError, match="cannot migrate"):
        open_store(store_path)
    conn = sqlite3.connect(store_path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    assert "half_done" not in tables
    assert _pragmas(store_path)[0] == LATEST


def test_folder_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot create its folder"):
        open_store(tmp_path / "file" / "newsdesk.db")


def test_close_twice_and_use_after_close(store_path: Path) -> None:
    store = open_store(store_path)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.upsert([article()], T0)


def test_a_writer_thread_and_a_reader_on_two_connections(store_path: Path) -> None:
    writer_store, reader_store = open_store(store_path), open_store(store_path)

    def write() -> None:
        for batch in range(40):
            writer_store.upsert([article(f"w{batch}-{i}", batch) for i in range(25)], T0)
            writer_store.category_for(f"outlet {batch}", "same")

    counts = []
    try:
        with ThreadPoolExecutor(1) as pool:
            writing = pool.submit(write)
            while not writing.done():
                counts.append(reader_store.count_articles())
                list(reader_store.iter_articles(limit=50))
                reader_store.categories()
            writing.result(timeout=60)  # re-raises whatever the writer hit
        assert counts == sorted(counts)  # each read saw a committed state, never a half batch
        assert all(c % 25 == 0 for c in counts)
        assert reader_store.count_articles() == 1000
        assert len({c.slug for c in reader_store.categories()}) == 41
    finally:
        writer_store.close()
        reader_store.close()


def test_two_writers_wait_for_each_other(store_path: Path) -> None:
    stores = [open_store(store_path), open_store(store_path)]

    def write(store: SqliteStore, name: str) -> None:
        for batch in range(30):
            store.upsert([article(f"{name}{batch}-{i}", source=name) for i in range(10)],
                         T0 + timedelta(seconds=batch))

    try:
        with ThreadPoolExecutor(2) as pool:
            for writing in [pool.submit(write, s, n) for s, n in zip(stores, "AB", strict=True)]:
                writing.result(timeout=60)
        assert stores[0].count_articles(source="A") == stores[1].count_articles(source="B") == 300
    finally:
        for store in stores:
            store.close()


def test_one_store_shared_by_threads(store: SqliteStore) -> None:
    def write(name: str) -> None:
        for batch in range(20):
            store.upsert([article(f"{name}{batch}", source=name)], T0)
            store.source_state(name)

    with ThreadPoolExecutor(4) as pool:
        for writing in [pool.submit(write, n) for n in "ABCD"]:
            writing.result(timeout=60)
    assert store.count_articles() == 80
