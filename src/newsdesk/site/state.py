"""The build state kept in the output folder: what each file was built from, and the article refs planned from.

`.newsdesk-build.db` is a small SQLite file beside the pages. Its `files` table is the
build manifest (each output file with the key of its inputs), and `meta` says whether
the last build finished (`clean`), which store change number it built and with which
templates and settings (`salt`). Its `refs` table holds one light row per stored article (no body)
with its page path and day, so a build after a fetch asks "the outlets and days these
articles touch" of an index instead of re-reading and re-planning every article, and
a 100,000-article plan never has to sit in memory at once.
"""

from __future__ import annotations

import bisect
import logging
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsdesk.errors import OutputError

log = logging.getLogger(__name__)

STATE_FILE = ".newsdesk-build.db"
LEGACY_MANIFEST = ".newsdesk-manifest.json"  # the JSON manifest of earlier versions, replaced by STATE_FILE
_FORMAT = "8"  # bump when the tables change: an older state file is then rebuilt from the store
_PER_QUERY = 500  # keys per IN (...) list

_REF_INDEXES = (  # (name, definition): dropped while a full re-plan inserts every ref, then made again
    ("refs_by_category", "refs (category, published, source, id) WHERE owner = 1"),
    ("refs_by_day", "refs (day, published, source, id) WHERE owner = 1"),
    ("refs_by_time", "refs (published, source, id) WHERE owner = 1"),
    ("refs_by_path", "refs (path)"),
    ("refs_by_story", "refs (story) WHERE story != ''"),
)
_SCHEMA = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE files (path TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID",
    # one row per stored article; `owner` = 1 for the article that owns its page path
    # (the first stored when two map to one path), 0 otherwise or when its outlet's paths are unsafe
    """
    CREATE TABLE refs (
        source      TEXT    NOT NULL,
        id          TEXT    NOT NULL,
        outlet      TEXT    NOT NULL,
        category    TEXT    NOT NULL,
        title       TEXT    NOT NULL,
        published   TEXT    NOT NULL,
        revision    INTEGER NOT NULL,
        path        TEXT    NOT NULL,
        day         TEXT    NOT NULL,
        first_seen  TEXT    NOT NULL,
        owner       INTEGER NOT NULL,
        story       TEXT    NOT NULL,  -- "source\x1fid" of its story's first article, '' without one
        PRIMARY KEY (source, id)
    ) WITHOUT ROWID
    """,
    *(f"CREATE INDEX {name} ON {definition}" for name, definition in _REF_INDEXES),
    # feed entries as made last time, by article version and page: a feed update reuses all but
    # the new ones instead of re-reading 50 bodies (cleared whenever the settings or the store change)
    """
    CREATE TABLE entries (
        source     TEXT    NOT NULL,
        id         TEXT    NOT NULL,
        revision   INTEGER NOT NULL,
        path       TEXT    NOT NULL,
        entry      TEXT    NOT NULL,  -- updated, <entry> and JSON Feed item, U+001F between
        category   TEXT    NOT NULL,
        published  TEXT    NOT NULL,
        PRIMARY KEY (source, id)
    )
    """,  # a rowid table: its ~3 KB rows overflowed a WITHOUT ROWID table's pages (~5 KB of file each)
    "CREATE INDEX entries_by_category ON entries (category, published, source, id)",
    # compiled templates (Jinja bytecode, checked against each template's source by Jinja itself)
    "CREATE TABLE templates (key TEXT PRIMARY KEY, code BLOB NOT NULL)",
)

# what the planner reads back; `RefRow` in this order
REF_COLUMNS = "source, id, outlet, category, title, published, revision, path"
_NEIGHBOUR_WINDOW = 16  # an update's changes are nearly always among an outlet's newest articles
RefRow = tuple[str, str, str, str, str, str, int, str]


def time_key(moment: datetime) -> str:
    """A UTC time as fixed-width text, so text order is time order (the store's own format)."""
    # isoformat pads the year to four digits, as the store does (strftime's %Y does not below 1000);
    # a UTC time's isoformat ends in "+00:00"
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def parse_time(text: str) -> datetime:
    """The inverse of `time_key`."""
    return datetime.fromisoformat(text)


class BuildState:
    """The state file of one output folder; every method raises OutputError on a database failure."""

    def __init__(self, output: Path) -> None:
        self.path = output / STATE_FILE
        self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        for attempt in (1, 2):
            conn: sqlite3.Connection | None = None
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA busy_timeout = 10000")
                conn.execute("PRAGMA journal_mode = DELETE")  # no -wal/-shm files left beside the pages
                conn.execute("PRAGMA synchronous = FULL")  # a committed manifest survives a power cut
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if not tables:
                    conn.execute("BEGIN IMMEDIATE")
                    for statement in _SCHEMA:
                        conn.execute(statement)
                    conn.execute("INSERT INTO meta VALUES ('format', ?)", (_FORMAT,))
                    conn.execute("COMMIT")
                    return conn
                found = conn.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
                if found is not None and found[0] == _FORMAT:
                    return conn
                conn.close()
                reason = "from another version of newsdesk"
            except sqlite3.DatabaseError as exc:
                reason = f"unreadable ({exc})"
                if conn is not None:
                    conn.close()
            if attempt == 2:
                break
            # the state is only a cache of what the store and the folder say: start it afresh
            log.warning("%s: build state %s; starting a new one (the next build re-checks every page)",
                        self.path, reason)
            for suffix in ("", "-journal"):
                try:
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                except OSError as exc:
                    raise OutputError(f"{self.path}: cannot replace the build state: {exc.strerror or exc}") from exc
        raise OutputError(f"{self.path}: cannot open the build state: {reason}")

    def close(self) -> None:
        """Close the file (a transaction still open is rolled back)."""
        self._conn.close()

    def _error(self, exc: sqlite3.Error) -> OutputError:
        return OutputError(f"{self.path}: build state: {exc}")

    def _all(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _run(self, sql: str, params: Sequence[object] = ()) -> None:
        try:
            self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        try:
            self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    # ------------------------------------------------------------ transactions

    def begin(self) -> None:
        """Start the build's transaction: ref changes and pending marks commit together."""
        self._run("BEGIN IMMEDIATE")

    def commit(self) -> None:
        """Make everything since `begin` durable."""
        self._run("COMMIT")

    def rollback(self) -> None:
        """Forget everything since `begin` (nothing was committed)."""
        if self._conn.in_transaction:
            self._run("ROLLBACK")

    # ------------------------------------------------------------ meta

    def get(self, name: str) -> str | None:
        """A recorded setting: the salt, the store change number built, whether the last build finished."""
        row = self._all("SELECT value FROM meta WHERE name = ?", (name,))
        return row[0][0] if row else None

    def put(self, name: str, value: str) -> None:
        """Record a setting (inside the caller's transaction, if any)."""
        self._run("INSERT INTO meta VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                  (name, value))

    def template_code(self, key: str) -> bytes | None:
        """Cached compiled code of a template."""
        rows = self._all("SELECT code FROM templates WHERE key = ?", (key,))
        return bytes(rows[0][0]) if rows else None

    def put_template_code(self, key: str, code: bytes) -> None:
        """Cache compiled code of a template."""
        self._run("INSERT OR REPLACE INTO templates VALUES (?, ?)", (key, code))

    # ------------------------------------------------------------ files (the manifest)

    def keys(self, paths: Collection[str]) -> dict[str, str]:
        """The recorded key of each of `paths` that a build recorded."""
        found: dict[str, str] = {}
        listed = list(paths)
        for start in range(0, len(listed), _PER_QUERY):
            chunk = listed[start:start + _PER_QUERY]
            marks = ",".join("?" * len(chunk))
            found.update(self._all(f"SELECT path, key FROM files WHERE path IN ({marks})", chunk))
        return found

    def keys_under(self, prefix: str) -> dict[str, str]:
        """Every recorded file whose path starts with `prefix`, with its key."""
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return dict(self._all("SELECT path, key FROM files WHERE path >= ? AND path < ?", (prefix, upper)))

    def files(self) -> Iterator[str]:
        """Every recorded file."""
        for (path,) in self._all("SELECT path FROM files"):
            yield path

    def file_count(self) -> int:
        """How many files the state records."""
        return int(self._all("SELECT COUNT(*) FROM files")[0][0])

    def set_keys(self, keys: Iterable[tuple[str, str]]) -> None:
        """Record files with the keys of the inputs they were built from."""
        self._many("INSERT INTO files VALUES (?, ?) ON CONFLICT (path) DO UPDATE SET key = excluded.key", keys)

    def forget(self, paths: Iterable[str]) -> None:
        """Drop files no build produces any more."""
        self._many("DELETE FROM files WHERE path = ?", ((p,) for p in paths))

    # ------------------------------------------------------------ refs

    def clear_refs(self, *, keep_entries: bool = False) -> None:
        """Forget every ref, and every cached feed entry unless `keep_entries` (a full re-plan inserts
        the refs again, then calls `index_refs`: the refs' indexes are dropped meanwhile, as making them
        once is ~2.5x cheaper than keeping them up to date through 100,000 inserts)."""
        for name, _ in _REF_INDEXES:
            self._run(f"DROP INDEX IF EXISTS {name}")
        self._run("DELETE FROM refs")
        if not keep_entries:
            self._run("DELETE FROM entries")

    def index_refs(self) -> None:
        """Make the refs' indexes again after `clear_refs` and the inserts (in the same transaction)."""
        for name, definition in _REF_INDEXES:
            self._run(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")

    def drop_unmatched_entries(self) -> None:
        """Drop cached entries whose article is gone or is no longer where and what it was when cached
        (after a full re-plan that kept them)."""
        self._run("DELETE FROM entries WHERE NOT EXISTS (SELECT 1 FROM refs r WHERE r.source = entries.source"
                  " AND r.id = entries.id AND r.revision = entries.revision AND r.path = entries.path"
                  " AND r.category = entries.category AND r.published = entries.published)")

    def entries(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str, str]]:
        """Cached feed entries: key -> (revision, page path, entry text)."""
        return {key: (row[2], row[3], row[4]) for key, row in self._by_key("entries", "revision, path, entry", keys).items()}

    def put_entries(self, rows: Iterable[tuple[str, str, int, str, str, str, str]]) -> None:
        """Cache feed entries: (source, id, revision, path, entry text, category, published)."""
        self._many("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def drop_entries(self, keys: Iterable[tuple[str, str]]) -> None:
        """Forget the cached feed entries of these articles."""
        self._many("DELETE FROM entries WHERE source = ? AND id = ?", keys)

    def save_entries(self, rows: Sequence[tuple[str, str, int, str, str, str, str]]) -> None:
        """put_entries in a transaction of its own: a cache keyed by article version and page, so it may
        be written before the build's final commit (the build and its worker each write their own)."""
        self.begin()
        try:
            self.put_entries(rows)
            self.commit()
        except BaseException:
            self.rollback()
            raise

    def prune_entries(self, floors: Iterable[tuple[str, str, str, str]]) -> None:
        """Drop cached entries of an outlet older than its feed's oldest (category, published, source, id).

        Every feed entry of the site's feed is also among its outlet's newest, so these are in no feed.
        """
        self._many("DELETE FROM entries WHERE category = ? AND (published, source, id) < (?, ?, ?)", floors)

    def _by_key(self, table: str, columns: str, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        """Rows of `table` (whose first two columns are source, id) for many keys, a query per source and 500."""
        found: dict[tuple[str, str], Any] = {}
        by_source: dict[str, list[str]] = {}
        for source, article_id in keys:
            by_source.setdefault(source, []).append(article_id)
        for source, ids in by_source.items():
            for start in range(0, len(ids), _PER_QUERY):
                chunk = ids[start:start + _PER_QUERY]
                marks = ",".join("?" * len(chunk))
                for row in self._all(f"SELECT source, id, {columns} FROM {table}"
                                     f" WHERE source = ? AND id IN ({marks})", [source, *chunk]):
                    found[(row[0], row[1])] = row
        return found

    def _old(self, keys: Collection[tuple[str, str]], extra: str) -> dict[tuple[str, str], Any]:
        return self._by_key("refs", f"outlet, category, title, published, revision, path, {extra}", keys)

    def old_refs(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], tuple[RefRow, str, int, str]]:
        """The recorded ref of each key, with its day, owner flag and story."""
        return {key: (tuple(row[:8]), row[8], row[9], row[10])
                for key, row in self._old(keys, "day, owner, story").items()}

    def put_refs(self, rows: Iterable[tuple[str, str, str, str, str, str, int, str, str, str, int, str]]) -> None:
        """Insert or replace refs: REF_COLUMNS, then day, first_seen, owner and story."""
        self._many("INSERT OR REPLACE INTO refs (source, id, outlet, category, title, published, revision,"
                   " path, day, first_seen, owner, story) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def story_of(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The recorded story of each key that has one."""
        return {key: row[8] for key, row in self._old(keys, "story").items() if row[8]}

    def story_members(self, story: str) -> list[tuple[str, str]]:
        """Every article recorded in a story."""
        return [(r[0], r[1]) for r in self._all("SELECT source, id FROM refs WHERE story = ?", (story,))]

    def claimants(self, path: str) -> list[tuple[str, str, str, int]]:
        """Every article mapped to `path`: (first_seen, source, id, owner), first stored first."""
        return [tuple(r) for r in self._all(
            "SELECT first_seen, source, id, owner FROM refs WHERE path = ? ORDER BY first_seen, source, id",
            (path,))]

    def set_owner(self, source: str, article_id: str, owner: bool) -> None:
        """Record whether the article owns its path."""
        self._run("UPDATE refs SET owner = ? WHERE source = ? AND id = ?", (int(owner), source, article_id))

    def shared_paths(self) -> list[str]:
        """Paths more than one article maps to."""
        return [r[0] for r in self._all("SELECT path FROM refs WHERE path != '' GROUP BY path HAVING COUNT(*) > 1")]

    def members(self, category: str, offset: int = 0, count: int | None = None) -> list[RefRow]:
        """An outlet's page-owning refs oldest first, from position `offset` (of `count`, when known)."""
        if count is not None and offset * 2 > count:
            # the newest few of a long outlet: read from the newest end instead of skipping `offset` rows
            return self.newest_in(category, count - offset)[::-1]
        return self._all(f"SELECT {REF_COLUMNS} FROM refs WHERE category = ? AND owner = 1"
                         " ORDER BY published, source, id LIMIT -1 OFFSET ?", (category, offset))

    def newest_in(self, category: str, limit: int) -> list[RefRow]:
        """An outlet's newest `limit` refs, newest first."""
        return self._all(f"SELECT {REF_COLUMNS} FROM refs WHERE category = ? AND owner = 1"
                         " ORDER BY published DESC, source DESC, id DESC LIMIT ?", (category, limit))

    def newest(self, limit: int, offset: int = 0) -> list[RefRow]:
        """The site's newest refs, newest first."""
        return self._all(f"SELECT {REF_COLUMNS} FROM refs WHERE owner = 1"
                         " ORDER BY published DESC, source DESC, id DESC LIMIT ? OFFSET ?", (limit, offset))

    def oldest_from(self, offset: int, limit: int, total: int) -> list[str]:
        """Page paths of the `total` refs oldest first, from position `offset`."""
        if offset * 2 < total:
            return [r[0] for r in self._all("SELECT path FROM refs WHERE owner = 1"
                                            " ORDER BY published, source, id LIMIT ? OFFSET ?", (limit, offset))]
        # counted from the newest end: the chunk that changes is nearly always the newest
        skip = max(total - offset - limit, 0)
        rows = self._all("SELECT path FROM refs WHERE owner = 1 ORDER BY published DESC, source DESC, id DESC"
                         " LIMIT ? OFFSET ?", (total - offset - skip, skip))
        return [r[0] for r in reversed(rows)]

    def rank(self, published: str, source: str, article_id: str, total: int, category: str | None = None) -> int:
        """How many of the `total` page-owning refs (of `category`, or of the site) sort before this position."""
        if category is None:
            sql, params = "SELECT COUNT(*) FROM refs WHERE owner = 1", []
        else:
            sql, params = "SELECT COUNT(*) FROM refs WHERE category = ? AND owner = 1", [category]
        # counted from the newest end: changes are nearly always among the newest articles
        newer = int(self._all(f"{sql} AND (published, source, id) >= (?, ?, ?)",
                              [*params, published, source, article_id])[0][0])
        return total - newer

    def neighbours(self, category: str, published: str, source: str,
                   article_id: str) -> tuple[RefRow | None, RefRow | None]:
        """The refs just older and just newer than a position in an outlet."""
        older = self._all(f"SELECT {REF_COLUMNS} FROM refs WHERE category = ? AND owner = 1"
                          " AND (published, source, id) < (?, ?, ?)"
                          " ORDER BY published DESC, source DESC, id DESC LIMIT 1",
                          (category, published, source, article_id))
        newer = self._all(f"SELECT {REF_COLUMNS} FROM refs WHERE category = ? AND owner = 1"
                          " AND (published, source, id) > (?, ?, ?)"
                          " ORDER BY published, source, id LIMIT 1", (category, published, source, article_id))
        return (older[0] if older else None), (newer[0] if newer else None)

    def neighbours_of(self, positions: Iterable[tuple[str, str, str, str]]
                      ) -> dict[tuple[str, str, str, str], tuple[RefRow | None, RefRow | None]]:
        """neighbours() of many (category, published, source, id) positions: one read of each outlet's
        newest refs, one query pair only for a position older than that window."""
        by_category: dict[str, list[tuple[str, str, str, str]]] = {}
        for position in positions:
            by_category.setdefault(position[0], []).append(position)
        found: dict[tuple[str, str, str, str], tuple[RefRow | None, RefRow | None]] = {}
        for category, group in by_category.items():
            window = self.newest_in(category, _NEIGHBOUR_WINDOW)[::-1]  # oldest first
            whole = len(window) < _NEIGHBOUR_WINDOW  # the window is the whole outlet
            order = [(row[5], row[0], row[1]) for row in window]
            for position in group:
                at = (position[1], position[2], position[3])
                index = bisect.bisect_left(order, at)  # the first ref not older than the position
                if index == 0 and not whole:
                    found[position] = self.neighbours(*position)  # its older neighbour may lie before the window
                    continue
                after = index + 1 if index < len(order) and order[index] == at else index
                found[position] = (window[index - 1] if index else None,
                                   window[after] if after < len(window) else None)
        return found

    def ref(self, source: str, article_id: str) -> RefRow | None:
        """One page-owning ref."""
        rows = self._all(f"SELECT {REF_COLUMNS} FROM refs WHERE source = ? AND id = ? AND owner = 1",
                         (source, article_id))
        return rows[0] if rows else None

    def category_counts(self) -> dict[str, int]:
        """Page-owning refs per outlet."""
        return dict(self._all("SELECT category, COUNT(*) FROM refs WHERE owner = 1 GROUP BY category"))

    def day_counts(self) -> dict[str, int]:
        """Page-owning refs per day (`YYYY-MM-DD` in the site's zone)."""
        return dict(self._all("SELECT day, COUNT(*) FROM refs WHERE owner = 1 GROUP BY day"))

    def day_members(self, days: Collection[str]) -> list[RefRow]:
        """The page-owning refs of some days, oldest first."""
        found: list[RefRow] = []
        for day in sorted(days):
            found += self._all(f"SELECT {REF_COLUMNS} FROM refs WHERE day = ? AND owner = 1"
                               " ORDER BY published, source, id", (day,))
        return found

    def total(self) -> int:
        """How many articles own a page."""
        return int(self._all("SELECT COUNT(*) FROM refs WHERE owner = 1")[0][0])
