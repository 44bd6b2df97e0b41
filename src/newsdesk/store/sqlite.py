"""The SQLite store: one file, WAL mode, every write one transaction; all SQL lives here."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from newsdesk.errors import StoreError
from newsdesk.models import (
    Alias,
    Article,
    ArticleHead,
    CategoryInfo,
    Fingerprint,
    SafeHtml,
    SourceHealth,
    SourceReport,
    SourceState,
    StoredArticle,
    StoryMember,
    StoryPlacement,
    UpsertCounts,
    Validators,
)
from newsdesk.store.migrations import LATEST, MIGRATIONS

BUSY_TIMEOUT_S = 10.0
APPLICATION_ID = 0x6E657773  # "news": tells a newsdesk store from other SQLite files
FETCH_LOG_KEEP = 2000  # rows of fetch history kept per source
_BATCH = 500  # rows per fetchmany while streaming
MIN_SHARED_BANDS = 2  # LSH bands a near-duplicate candidate shares (as dedupe.MIN_SHARED_BANDS)
MAX_CANDIDATES = 50  # near-duplicate candidates compared per article, most shared bands first

# the order of these columns is part of the content hash: append, never reorder
_ARTICLE_COLUMNS = ("source", "id", "outlet", "category", "title", "link", "published_at",
                    "updated_at", "author", "summary", "body_html", "lead", "fulltext_key",
                    "dated", "needs_fulltext")
_PUBLISHED = _ARTICLE_COLUMNS.index("published_at")
_STORED_COLUMNS = ", ".join((*_ARTICLE_COLUMNS, "first_seen_at", "changed_at", "revision"))
_SOURCE_COLUMNS = ("etag, last_modified, last_attempt_at, last_success_at, last_error, "
                   "last_error_at, failing_since, consecutive_failures")

Row = tuple[Any, ...]


def _time_text(moment: datetime, what: str) -> str:
    """An aware datetime as fixed-width UTC text; raises StoreError for naive ones."""
    if moment.utcoffset() is None:
        raise StoreError(f"{what}: time {moment.isoformat()} has no timezone")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError as exc:
        raise StoreError(f"{what}: time {moment.isoformat()} is out of range") from exc
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _opt_time_text(moment: datetime | None, what: str) -> str | None:
    return None if moment is None else _time_text(moment, what)


def _parse_time(text: str | None) -> datetime | None:
    return None if text is None else _time(text)


def _median(values: list[float]) -> float:
    """statistics.median of a non-empty list (that module imports fractions and decimal: ~2 ms a build)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _time(text: str) -> datetime:
    # the store writes UTC ending in "Z", which fromisoformat reads as UTC itself: 7x faster than
    # taking the Z off and putting UTC back (three times per article read, 100,000s of reads a build)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _article_row(article: Article) -> Row:
    """The article's column values, in `_ARTICLE_COLUMNS` order."""
    what = f"{article.source}: article {article.id!r}"
    row = (article.source, article.id, article.outlet, article.category, article.title,
            article.link, _time_text(article.published_at, what),
            _opt_time_text(article.updated_at, what), article.author, article.summary,
            str(article.body_html), article.lead, article.fulltext_key, int(article.dated),
            int(article.needs_fulltext))
    for value in row:
        # SQLite text is UTF-8; NUL is fine, a lone surrogate is not (clean never makes one)
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise StoreError(f"{what}: text holds a lone surrogate and cannot be stored") from exc
    return row


_HEAD_COLUMNS = "source, id, outlet, category, title, published_at, first_seen_at, changed_at, revision"


def _head(row: Row) -> ArticleHead:
    source, article_id, outlet, category, title, published_at, first_seen_at, changed_at, revision = row
    return ArticleHead(source=source, id=article_id, outlet=outlet, category=category, title=title,
                       published_at=_time(published_at), first_seen_at=_time(first_seen_at),
                       changed_at=_time(changed_at), revision=revision)


def _next_seq(conn: sqlite3.Connection) -> int:
    """The next change number, inside the caller's write transaction (the seq index makes MAX cheap)."""
    return int(conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM articles").fetchone()[0])


def _content_hash(row: Row) -> str:
    """A digest of every stored article field; equal digests mean nothing changed."""
    # json escapes everything outside ASCII, so NULs and odd code points hash safely
    return hashlib.sha256(json.dumps(["v1", *row]).encode("ascii")).hexdigest()


def _stored(row: Row) -> StoredArticle:
    (source, article_id, outlet, category, title, link, published_at, updated_at, author,
     summary, body_html, lead, fulltext_key, dated, needs_fulltext,
     first_seen_at, changed_at, revision) = row
    article = Article(source=source, id=article_id, outlet=outlet, category=category, title=title,
                      link=link, published_at=_time(published_at), body_html=SafeHtml(body_html),
                      summary=summary, author=author, updated_at=_parse_time(updated_at),
                      lead=lead, fulltext_key=fulltext_key, dated=bool(dated),
                      needs_fulltext=bool(needs_fulltext))
    return StoredArticle(article=article, first_seen_at=_time(first_seen_at),
                         changed_at=_time(changed_at), revision=revision)


_FINGERPRINT_COLUMNS = "source, id, outlet, published_at, link_key, text_key, signature"


def _fingerprint(row: Row) -> Fingerprint:
    source, article_id, outlet, published_at, link_key, text_key, signature = row
    return Fingerprint(source=source, id=article_id, outlet=outlet, published_at=_time(published_at),
                       link_key=link_key, text_key=text_key, signature=bytes(signature))


def _short_hash(text: str, size: int) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:size]


_KEYS_PER_QUERY = 400  # parameters per query stay under SQLite's oldest limit of 999


class SqliteStore:
    """The `Store` on one SQLite file; safe to share between threads of one process."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = connection
        # one connection, many threads: sqlite serialises calls, the lock keeps
        # each transaction's statements together
        self._lock = threading.Lock()

    # ------------------------------------------------------------ plumbing

    def _error(self, exc: sqlite3.Error) -> StoreError:
        reason = str(exc)
        if "locked" in reason or "busy" in reason:
            reason = f"database is locked (another process kept it busy for over {BUSY_TIMEOUT_S:g} s)"
        return StoreError(f"{self.path}: {reason}")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.path}: the store is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; IMMEDIATE so a second writer waits on the busy timeout."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc) from exc
                raise

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        with self._lock:
            try:
                return self._connection().execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    # ------------------------------------------------------------ articles

    def upsert(self, articles: Sequence[Article], seen_at: datetime) -> UpsertCounts:
        """Insert new articles, update changed ones, leave identical ones untouched; raises StoreError."""
        seen = _time_text(seen_at, "upsert")
        # a key repeated within one batch counts once, the last version wins
        batch = {(a.source, a.id): _article_row(a) for a in articles}
        dated = {(a.source, a.id): a.dated for a in articles}
        new = updated = unchanged = 0
        columns = ", ".join(_ARTICLE_COLUMNS)
        marks = ", ".join("?" * (len(_ARTICLE_COLUMNS) + 4))
        assignments = ", ".join(f"{c} = ?" for c in _ARTICLE_COLUMNS[2:])
        with self._write() as conn:
            for key, row in batch.items():
                found = conn.execute(
                    "SELECT content_hash, published_at FROM articles WHERE source = ? AND id = ?",
                    key).fetchone()
                if found is None:
                    conn.execute(
                        f"INSERT INTO articles ({columns}, content_hash, first_seen_at, changed_at,"
                        f" revision, seq) VALUES ({marks}, ?)",
                        (*row, _content_hash(row), seen, seen, 1, _next_seq(conn)))
                    new += 1
                    continue
                if not dated[key]:
                    # no outlet time: published_at is only when we fetched it, keep the first
                    row = (*row[:_PUBLISHED], found[1], *row[_PUBLISHED + 1:])
                digest = _content_hash(row)
                if digest == found[0]:
                    unchanged += 1
                    continue
                conn.execute(
                    f"UPDATE articles SET {assignments}, content_hash = ?, changed_at = ?,"
                    " revision = revision + 1, seq = ? WHERE source = ? AND id = ?",
                    (*row[2:], digest, seen, _next_seq(conn), *key))
                updated += 1
        return UpsertCounts(new=new, updated=updated, unchanged=unchanged)

    def get_article(self, source: str, article_id: str) -> StoredArticle | None:
        """One article by its key, or None; raises StoreError."""
        rows = self._read(f"SELECT {_STORED_COLUMNS} FROM articles WHERE source = ? AND id = ?",
                          (source, article_id))
        return _stored(rows[0]) if rows else None

    def _rows_by_key(self, select: str, keys: Sequence[tuple[str, str]]) -> Iterator[Row]:
        """Rows of `select ... WHERE` for many (source, id) keys: a query per source and 400 keys."""
        by_source: dict[str, list[str]] = {}
        for source, article_id in dict.fromkeys(keys):
            by_source.setdefault(source, []).append(article_id)
        # `source = ? AND id IN (...)` walks the primary key; a row-value IN scanned the whole table
        for source, ids in by_source.items():
            for start in range(0, len(ids), _KEYS_PER_QUERY):
                chunk = ids[start:start + _KEYS_PER_QUERY]
                yield from self._read(f"{select} source = ? AND id IN ({','.join('?' * len(chunk))})",
                                      [source, *chunk])

    def get_articles(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredArticle]:
        """The stored ones of many articles by (source, id); a query per source and 400 keys, not per key."""
        found: dict[tuple[str, str], StoredArticle] = {}
        for row in self._rows_by_key(f"SELECT {_STORED_COLUMNS} FROM articles WHERE", keys):
            stored = _stored(row)
            found[(stored.article.source, stored.article.id)] = stored
        return found

    def get_texts(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str | None, str]]:
        """Title, lead and body HTML of many articles by (source, id): rows as they are, no Article made."""
        return {(source, article_id): (title, lead, body)
                for source, article_id, title, lead, body in self._rows_by_key(
                    "SELECT source, id, title, lead, body_html FROM articles WHERE", keys)}

    def count_articles(self, *, source: str | None = None, category: str | None = None) -> int:
        """How many articles match; raises StoreError."""
        where, params = self._filters(source, category, None)
        return int(self._read(f"SELECT COUNT(*) FROM articles{where}", params)[0][0])

    @staticmethod
    def _filters(source: str | None, category: str | None,
                 since: datetime | None) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if source is not None:
            clauses.append("source = ?")
            params.append(source)
        if category is not None:
            clauses.append("category = ?")
            params.append(category)
        if since is not None:
            clauses.append("published_at >= ?")
            params.append(_time_text(since, "since"))
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def iter_articles(self, *, source: str | None = None, category: str | None = None,
                      since: datetime | None = None, limit: int | None = None,
                      newest_first: bool = True) -> Iterator[StoredArticle]:
        """Stream articles by published time (ties by source, id), filtered; raises StoreError."""
        where, params = self._filters(source, category, since)
        order = "DESC" if newest_first else "ASC"
        sql = (f"SELECT {_STORED_COLUMNS} FROM articles{where}"
               f" ORDER BY published_at {order}, source {order}, id {order}")
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(limit, 0))
        with self._lock:
            try:
                cursor = self._connection().execute(sql, params)
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
        try:
            while True:
                # the lock is held per batch only, so the caller may write between batches
                with self._lock:
                    try:
                        rows = cursor.fetchmany(_BATCH)
                    except sqlite3.Error as exc:
                        raise self._error(exc) from exc
                if not rows:
                    return
                for row in rows:
                    yield _stored(row)
        finally:
            # an abandoned iterator must not hold its read snapshot open
            with self._lock:
                if self._conn is not None:  # closing the store already freed the cursor
                    cursor.close()

    def iter_heads(self) -> Iterator[ArticleHead]:
        """Stream every article without its body, newest first; raises StoreError."""
        # no body, summary or lead: a 100,000-article site plans its pages from these alone
        sql = f"SELECT {_HEAD_COLUMNS} FROM articles ORDER BY published_at DESC, source DESC, id DESC"
        with self._lock:
            try:
                cursor = self._connection().execute(sql)
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
        try:
            while True:
                with self._lock:
                    try:
                        rows = cursor.fetchmany(_BATCH * 4)
                    except sqlite3.Error as exc:
                        raise self._error(exc) from exc
                if not rows:
                    return
                for row in rows:
                    yield _head(row)
        finally:
            with self._lock:
                if self._conn is not None:
                    cursor.close()

    def change_seq(self) -> int:
        """The newest change number: every article write stamps the article with a higher one."""
        return int(self._read("SELECT COALESCE(MAX(seq), 0) FROM articles")[0][0])

    def changed_heads(self, after: int, upto: int) -> list[ArticleHead]:
        """Articles stamped after change number `after` and up to `upto`, without bodies; raises StoreError."""
        rows = self._read(f"SELECT {_HEAD_COLUMNS} FROM articles WHERE seq > ? AND seq <= ?", (after, upto))
        return [_head(row) for row in rows]

    # ------------------------------------------------------------ stories (see dedupe.py)

    def has_article(self, source: str, article_id: str) -> bool:
        """Whether (source, id) is stored as an article; raises StoreError."""
        return bool(self._read("SELECT 1 FROM articles WHERE source = ? AND id = ?", (source, article_id)))

    def alias_target(self, source: str, article_id: str) -> tuple[str, str] | None:
        """The article an exact duplicate points to, or None when (source, id) is no alias."""
        rows = self._read("SELECT of_source, of_id FROM aliases WHERE source = ? AND id = ?",
                          (source, article_id))
        return (rows[0][0], rows[0][1]) if rows else None

    def get_fingerprint(self, source: str, article_id: str) -> Fingerprint | None:
        """The stored fingerprint of one article, or None; raises StoreError."""
        rows = self._read(f"SELECT {_FINGERPRINT_COLUMNS} FROM fingerprints WHERE source = ? AND id = ?",
                          (source, article_id))
        return _fingerprint(rows[0]) if rows else None

    def find_exact(self, link_key: str | None, text_key: str | None,
                   exclude: tuple[str, str]) -> tuple[str, str] | None:
        """The first stored article with this link key or text key, other than `exclude`."""
        for column, value in (("link_key", link_key), ("text_key", text_key)):
            if value is None:
                continue
            rows = self._read(
                f"SELECT source, id FROM fingerprints WHERE {column} = ? AND NOT (source = ? AND id = ?)"
                " ORDER BY published_at, source, id LIMIT 1", (value, *exclude))
            if rows:
                return (rows[0][0], rows[0][1])
        return None

    def near_candidates(self, band_keys: Sequence[str], since: datetime, exclude: tuple[str, str],
                        outlet: str) -> list[tuple[Fingerprint, tuple[str, str]]]:
        """Other outlets' fingerprints sharing an LSH band, published since `since`, with their stories."""
        if not band_keys:
            return []
        marks = ", ".join("?" * len(band_keys))
        # one shared band is mostly chance; the best few by shared bands hold any true match
        rows = self._read(
            f"SELECT {', '.join('f.' + c for c in _FINGERPRINT_COLUMNS.split(', '))},"
            " f.story_source, f.story_id FROM (SELECT source, id, COUNT(*) AS shared FROM fingerprint_bands"
            f" WHERE band IN ({marks}) GROUP BY source, id HAVING shared >= ?) b"
            " JOIN fingerprints f ON f.source = b.source AND f.id = b.id"
            " WHERE f.published_at >= ? AND NOT (f.source = ? AND f.id = ?) AND f.outlet <> ?"
            " ORDER BY b.shared DESC, f.published_at DESC LIMIT ?",
            (*band_keys, MIN_SHARED_BANDS, _time_text(since, "near_candidates"), *exclude, outlet,
             MAX_CANDIDATES))
        return [(_fingerprint(r[:-2]), (r[-2], r[-1])) for r in rows]

    def story_of(self, source: str, article_id: str) -> tuple[str, str] | None:
        """The story key of a stored article, or None when it has no fingerprint yet."""
        rows = self._read("SELECT story_source, story_id FROM fingerprints WHERE source = ? AND id = ?",
                          (source, article_id))
        return (rows[0][0], rows[0][1]) if rows else None

    def story_keys(self, keys: Sequence[tuple[str, str]] | None = None) -> dict[tuple[str, str], tuple[str, str]]:
        """The story key of each of `keys` (of every article when None) that has a fingerprint."""
        select = "SELECT source, id, story_source, story_id FROM fingerprints"
        rows = self._read(select) if keys is None else self._rows_by_key(f"{select} WHERE", keys)
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}

    def save_stories(self, placements: Sequence[StoryPlacement], aliases: Sequence[Alias],
                     seen_at: datetime) -> None:
        """Record fingerprints with their stories, and exact duplicates as aliases; one transaction.

        Call after `upsert`: every placement and alias target must be a stored article.
        """
        seen = _time_text(seen_at, "save_stories")
        with self._write() as conn:
            for p in placements:
                fp = p.fingerprint
                conn.execute(
                    f"INSERT INTO fingerprints ({_FINGERPRINT_COLUMNS}, story_source, story_id, similarity)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO UPDATE SET"
                    " outlet = excluded.outlet, published_at = excluded.published_at,"
                    " link_key = excluded.link_key, text_key = excluded.text_key,"
                    " signature = excluded.signature, story_source = excluded.story_source,"
                    " story_id = excluded.story_id, similarity = excluded.similarity",
                    (fp.source, fp.id, fp.outlet, _time_text(fp.published_at, fp.id), fp.link_key,
                     fp.text_key, fp.signature, p.story_source, p.story_id, p.similarity))
                # its story (and so the "also reported by" of every member) may have changed
                conn.execute("UPDATE articles SET seq = ? WHERE source = ? AND id = ?",
                             (_next_seq(conn), fp.source, fp.id))
                conn.execute("DELETE FROM fingerprint_bands WHERE source = ? AND id = ?", (fp.source, fp.id))
                conn.executemany("INSERT OR IGNORE INTO fingerprint_bands (band, source, id) VALUES (?, ?, ?)",
                                 [(band, fp.source, fp.id) for band in p.bands])
            for a in aliases:
                conn.execute(
                    "INSERT INTO aliases (source, id, outlet, category, title, link, of_source, of_id, seen_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO UPDATE SET"
                    " outlet = excluded.outlet, category = excluded.category, title = excluded.title,"
                    " link = excluded.link",
                    (a.source, a.id, a.outlet, a.category, a.title, a.link, a.of_source, a.of_id, seen))
                # the target's page lists its aliases
                conn.execute("UPDATE articles SET seq = ? WHERE source = ? AND id = ?",
                             (_next_seq(conn), a.of_source, a.of_id))

    def story_groups(self) -> dict[tuple[str, str], tuple[str, str]]:
        """Article -> story key, for every article whose story has another article; raises StoreError."""
        rows = self._read(
            "SELECT source, id, story_source, story_id FROM fingerprints WHERE (story_source, story_id) IN"
            " (SELECT story_source, story_id FROM fingerprints GROUP BY story_source, story_id"
            " HAVING COUNT(*) > 1)")
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}

    def story_members(self, source: str, article_id: str) -> list[StoryMember]:
        """Every other report of this article's story: near-duplicate articles and exact aliases."""
        story = self.story_of(source, article_id) or (source, article_id)
        rows = self._read(
            """
            WITH members AS (
                SELECT source, id FROM fingerprints WHERE story_source = ? AND story_id = ?
                UNION SELECT ?, ?
            )
            SELECT a.source, a.id, a.outlet, a.category, a.title, a.link, a.published_at, 0
            FROM articles a JOIN members m ON a.source = m.source AND a.id = m.id
            UNION ALL
            SELECT x.source, x.id, x.outlet, x.category, x.title, x.link, a.published_at, 1
            FROM aliases x JOIN members m ON x.of_source = m.source AND x.of_id = m.id
            JOIN articles a ON a.source = x.of_source AND a.id = x.of_id
            ORDER BY 7, 1, 2
            """, (*story, source, article_id))
        return [StoryMember(source=r[0], id=r[1], outlet=r[2], category=r[3], title=r[4], link=r[5],
                            published_at=_time(r[6]), exact=bool(r[7]))
                for r in rows if (r[0], r[1]) != (source, article_id)]

    def all_story_members(self) -> dict[tuple[str, str], list[StoryMember]]:
        """Story key -> every report of it (articles and aliases), for stories with more than one."""
        rows = self._read(
            """
            WITH shared AS (
                SELECT story_source, story_id FROM fingerprints GROUP BY story_source, story_id
                HAVING COUNT(*) > 1
                UNION SELECT f.story_source, f.story_id FROM aliases x
                JOIN fingerprints f ON f.source = x.of_source AND f.id = x.of_id
            )
            SELECT f.story_source, f.story_id, a.source, a.id, a.outlet, a.category, a.title, a.link,
                   a.published_at, 0
            FROM fingerprints f JOIN shared s ON f.story_source = s.story_source AND f.story_id = s.story_id
            JOIN articles a ON a.source = f.source AND a.id = f.id
            UNION ALL
            SELECT f.story_source, f.story_id, x.source, x.id, x.outlet, x.category, x.title, x.link,
                   a.published_at, 1
            FROM aliases x JOIN fingerprints f ON f.source = x.of_source AND f.id = x.of_id
            JOIN articles a ON a.source = x.of_source AND a.id = x.of_id
            ORDER BY 1, 2, 9, 3, 4
            """)
        stories: dict[tuple[str, str], list[StoryMember]] = {}
        for r in rows:
            stories.setdefault((r[0], r[1]), []).append(StoryMember(
                source=r[2], id=r[3], outlet=r[4], category=r[5], title=r[6], link=r[7],
                published_at=_time(r[8]), exact=bool(r[9])))
        return stories

    def count_aliases(self) -> int:
        """How many exact duplicates are remembered as aliases; raises StoreError."""
        return int(self._read("SELECT COUNT(*) FROM aliases")[0][0])

    # ------------------------------------------------------------ categories

    def categories(self) -> list[CategoryInfo]:
        """Every category with its outlet name, article count and newest time, by slug."""
        rows = self._read(
            """
            SELECT counted.category, n,
                   (SELECT MAX(published_at) FROM articles a WHERE a.category = counted.category),
                   COALESCE((SELECT outlet FROM categories c WHERE c.slug = counted.category),
                            (SELECT outlet FROM articles a WHERE a.category = counted.category
                             ORDER BY published_at DESC, source DESC, id DESC LIMIT 1))
            FROM category_counts counted
            UNION ALL
            SELECT slug, 0, NULL, outlet FROM categories
            WHERE slug NOT IN (SELECT category FROM category_counts)
            ORDER BY 1
            """)
        return [CategoryInfo(slug=slug, outlet=outlet, article_count=n, latest_at=_parse_time(latest))
                for slug, n, latest, outlet in rows]

    def category_for(self, outlet: str, proposed: str) -> str:
        """The outlet's slug: the stored one if assigned before, else `proposed`, made unique."""
        now = _time_text(datetime.now(UTC), "category_for")
        with self._write() as conn:
            found = conn.execute("SELECT slug FROM categories WHERE outlet = ?", (outlet,)).fetchone()
            if found is not None:
                return str(found[0])
            size = 6
            slug = proposed
            # a slug differing only in case is taken too: it would clash on
            # case-insensitive file systems
            while conn.execute(
                    "SELECT 1 FROM categories WHERE slug = ? COLLATE NOCASE"
                    " UNION ALL SELECT 1 FROM articles WHERE category = ? AND outlet <> ?",
                    (slug, slug, outlet)).fetchone() is not None:
                slug = f"{proposed}-{_short_hash(outlet, size)}"
                size += 2  # only if even the hashed slug is taken (never in practice)
                if size > 40:
                    raise StoreError(f"{self.path}: no free category slug for {outlet!r}")
            conn.execute("INSERT INTO categories (slug, outlet, assigned_at) VALUES (?, ?, ?)",
                         (slug, outlet, now))
            return slug

    # ------------------------------------------------------------ sources

    def record_fetch(self, report: SourceReport, validators: Validators | None) -> None:
        """Log one fetch of a source; on success keep its validators for the next conditional GET."""
        started = _time_text(report.started_at, report.source)
        with self._write() as conn:
            conn.execute("INSERT INTO sources (name) VALUES (?) ON CONFLICT (name) DO NOTHING",
                         (report.source,))
            if report.status == "failed":
                conn.execute(
                    "UPDATE sources SET last_attempt_at = ?, last_error = ?, last_error_at = ?,"
                    " consecutive_failures = consecutive_failures + 1,"
                    " failing_since = COALESCE(failing_since, ?) WHERE name = ?",
                    (started, report.error or "failed", started, started, report.source))
            else:
                conn.execute(
                    "UPDATE sources SET last_attempt_at = ?, last_success_at = ?,"
                    " consecutive_failures = 0, failing_since = NULL WHERE name = ?",
                    (started, started, report.source))
                if validators is not None:
                    conn.execute("UPDATE sources SET etag = ?, last_modified = ? WHERE name = ?",
                                 (validators.etag, validators.last_modified, report.source))
            conn.execute(
                "INSERT INTO fetch_log (source, started_at, elapsed_s, status, http_status, new,"
                " updated, unchanged, failed, error, warnings, filtered, duplicates)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (report.source, started, report.elapsed_s, report.status, report.http_status,
                 report.new, report.updated, report.unchanged, report.failed, report.error,
                 json.dumps(list(report.warnings), ensure_ascii=False), report.filtered,
                 report.duplicates))
            # the log would otherwise grow by one row per source every few minutes, forever
            conn.execute(
                "DELETE FROM fetch_log WHERE source = ? AND id <= (SELECT id FROM fetch_log"
                " WHERE source = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (report.source, report.source, FETCH_LOG_KEEP))

    def recent_fetches(self, source: str, limit: int = 20) -> list[SourceReport]:
        """The latest logged fetches of one source, newest first; raises StoreError."""
        rows = self._read(
            "SELECT started_at, elapsed_s, status, http_status, new, updated, unchanged, failed,"
            " error, warnings, filtered, duplicates FROM fetch_log WHERE source = ? ORDER BY id DESC LIMIT ?",
            (source, limit))
        return [SourceReport(source=source, started_at=_time(r[0]), elapsed_s=r[1], status=r[2],
                             http_status=r[3], new=r[4], updated=r[5], unchanged=r[6], failed=r[7],
                             error=r[8], warnings=tuple(json.loads(r[9])), filtered=r[10],
                             duplicates=r[11])
                for r in rows]

    @staticmethod
    def _state(name: str, row: Row | None, article_count: int) -> SourceState:
        if row is None:
            return SourceState(source=name, article_count=article_count)
        (etag, last_modified, attempt, success, error, error_at, failing_since, failures) = row
        return SourceState(
            source=name, validators=Validators(etag=etag, last_modified=last_modified),
            last_attempt_at=_parse_time(attempt), last_success_at=_parse_time(success),
            last_error=error, last_error_at=_parse_time(error_at),
            failing_since=_parse_time(failing_since), consecutive_failures=failures,
            article_count=article_count)

    def source_state(self, source: str) -> SourceState:
        """What is known about one source (an empty state if never fetched); raises StoreError."""
        rows = self._read(f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE name = ?", (source,))
        return self._state(source, rows[0] if rows else None, self.count_articles(source=source))

    def source_states(self) -> list[SourceState]:
        """Every source that was ever fetched or has articles, by name; raises StoreError."""
        rows = self._read(
            f"""
            WITH names AS (SELECT name FROM sources UNION SELECT source FROM source_counts)
            SELECT names.name, s.name IS NOT NULL, {_SOURCE_COLUMNS}, COALESCE(counts.n, 0)
            FROM names
            LEFT JOIN sources s ON s.name = names.name
            LEFT JOIN source_counts counts ON counts.source = names.name
            ORDER BY names.name
            """)
        return [self._state(r[0], tuple(r[2:-1]) if r[1] else None, r[-1]) for r in rows]

    def source_health(self, since: datetime) -> dict[str, SourceHealth]:
        """Per source: new articles, fetches and the median fetch time since `since`; raises StoreError."""
        rows = self._read("SELECT source, status, elapsed_s, new FROM fetch_log WHERE started_at >= ?"
                          " ORDER BY source", (_time_text(since, "since"),))
        gathered: dict[str, tuple[int, int, list[float]]] = {}
        for source, status, elapsed_s, new in rows:
            count, fetches, times = gathered.get(source, (0, 0, []))
            if status != "failed":
                times.append(float(elapsed_s))
            gathered[source] = (count + int(new), fetches + 1, times)
        return {source: SourceHealth(source=source, new_articles=count, fetches=fetches,
                                     median_fetch_s=_median(times) if times else None)
                for source, (count, fetches, times) in gathered.items()}

    def snapshot(self, path: Path) -> SqliteStore:
        """A copy of this store at `path` without conditional-GET validators (for dry runs); raises StoreError."""
        with self._lock:
            try:
                target = sqlite3.connect(path)
                try:
                    self._connection().backup(target)
                    target.execute("UPDATE sources SET etag = NULL, last_modified = NULL")
                    target.commit()
                finally:
                    target.close()
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
        return open_store(path)

    # ------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Release the connection; safe to call twice."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


# ---------------------------------------------------------------- opening


def open_store(path: Path) -> SqliteStore:
    """Open (creating folders and the file) and migrate; raises StoreError."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create its folder: {exc.strerror or exc}") from exc
    try:
        # isolation_level=None: we write BEGIN/COMMIT ourselves, so migrations and
        # upserts are exactly one transaction each
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open: {exc}") from exc
    try:
        _configure(conn, path)
        _migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return SqliteStore(path, conn)


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise StoreError(f"{path}: not a newsdesk store (file is not a database)") from exc
        raise StoreError(f"{path}: cannot open: {exc}") from exc


def _pragma(conn: sqlite3.Connection, name: str) -> int:
    return int(conn.execute(f"PRAGMA {name}").fetchone()[0])


def _check_version(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version, after making sure the file is ours and not from a newer newsdesk."""
    version = _pragma(conn, "user_version")
    app_id = _pragma(conn, "application_id")
    if app_id != APPLICATION_ID:
        tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
        if version != 0 or app_id != 0 or tables:
            raise StoreError(f"{path}: not a newsdesk store (a database of another program)")
    if version > LATEST:
        raise StoreError(f"{path}: store schema version {version} is newer than this newsdesk"
                         f" knows ({LATEST}); upgrade newsdesk")
    return version


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Apply every migration the file lacks, each in its own transaction."""
    try:
        if _check_version(conn, path) == LATEST:
            return
        for migration in MIGRATIONS:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # read again inside the lock: another process may have migrated meanwhile
                if _check_version(conn, path) >= migration.version:
                    conn.execute("COMMIT")
                    continue
                for statement in migration.statements:
                    conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {migration.version}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot migrate the store to schema version {LATEST}: {exc}") from exc
