"""The SQLite schema as numbered migrations; each one runs in its own transaction.

A migration is a tuple of single SQL statements rather than a script, because
`sqlite3.executescript` commits any open transaction first and so could not be
rolled back as one piece. Never edit a released migration: append a new one.

Times are UTC text `YYYY-MM-DDTHH:MM:SS.ffffffZ` (fixed width, so text order is
time order); flags are 0/1 integers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: after it runs, `PRAGMA user_version` is `version`."""

    version: int
    name: str
    statements: tuple[str, ...]


_INITIAL = (
    """
    CREATE TABLE articles (
        source          TEXT    NOT NULL,
        id              TEXT    NOT NULL,
        outlet          TEXT    NOT NULL,
        category        TEXT    NOT NULL,
        title           TEXT    NOT NULL,
        link            TEXT,
        published_at    TEXT    NOT NULL,
        updated_at      TEXT,
        author          TEXT,
        summary         TEXT    NOT NULL,
        body_html       TEXT    NOT NULL,
        lead            TEXT,
        fulltext_key    TEXT,
        dated           INTEGER NOT NULL CHECK (dated IN (0, 1)),
        needs_fulltext  INTEGER NOT NULL CHECK (needs_fulltext IN (0, 1)),
        content_hash    TEXT    NOT NULL,
        first_seen_at   TEXT    NOT NULL,
        changed_at      TEXT    NOT NULL,
        revision        INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (source, id)
    )
    """,
    # the three ways pages list articles: everything, one outlet page, one source
    "CREATE INDEX articles_by_time ON articles (published_at, source, id)",
    "CREATE INDEX articles_by_category ON articles (category, published_at, source, id)",
    "CREATE INDEX articles_by_source ON articles (source, published_at, id)",
    """
    CREATE TABLE categories (
        slug         TEXT NOT NULL PRIMARY KEY,
        outlet       TEXT NOT NULL UNIQUE,
        assigned_at  TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE sources (
        name                  TEXT    NOT NULL PRIMARY KEY,
        etag                  TEXT,
        last_modified         TEXT,
        last_attempt_at       TEXT,
        last_success_at       TEXT,
        last_error            TEXT,
        last_error_at         TEXT,
        failing_since         TEXT,
        consecutive_failures  INTEGER NOT NULL DEFAULT 0
    )
    """,
    """
    CREATE TABLE fetch_log (
        id           INTEGER PRIMARY KEY,
        source       TEXT    NOT NULL REFERENCES sources (name) ON DELETE CASCADE,
        started_at   TEXT    NOT NULL,
        elapsed_s    REAL    NOT NULL,
        status       TEXT    NOT NULL CHECK (status IN ('ok', 'not_modified', 'failed')),
        http_status  INTEGER,
        new          INTEGER NOT NULL DEFAULT 0,
        updated      INTEGER NOT NULL DEFAULT 0,
        unchanged    INTEGER NOT NULL DEFAULT 0,
        failed       INTEGER NOT NULL DEFAULT 0,
        error        TEXT,
        warnings     TEXT    NOT NULL DEFAULT '[]'
    )
    """,
    "CREATE INDEX fetch_log_by_source ON fetch_log (source, id)",
)

# de-duplication: exact keys and MinHash bands per article, its story, and the
# exact duplicates other outlets carried (stored once, remembered as aliases)
_STORIES = (
    """
    CREATE TABLE fingerprints (
        source        TEXT NOT NULL,
        id            TEXT NOT NULL,
        outlet        TEXT NOT NULL,
        published_at  TEXT NOT NULL,
        link_key      TEXT,
        text_key      TEXT,
        signature     BLOB NOT NULL,
        story_source  TEXT NOT NULL,
        story_id      TEXT NOT NULL,
        similarity    REAL NOT NULL DEFAULT 1.0,
        PRIMARY KEY (source, id),
        FOREIGN KEY (source, id) REFERENCES articles (source, id) ON DELETE CASCADE
    )
    """,
    "CREATE INDEX fingerprints_by_link ON fingerprints (link_key) WHERE link_key IS NOT NULL",
    "CREATE INDEX fingerprints_by_text ON fingerprints (text_key) WHERE text_key IS NOT NULL",
    "CREATE INDEX fingerprints_by_story ON fingerprints (story_source, story_id)",
    """
    CREATE TABLE fingerprint_bands (
        band          TEXT NOT NULL,
        source        TEXT NOT NULL,
        id            TEXT NOT NULL,
        PRIMARY KEY (band, source, id),
        FOREIGN KEY (source, id) REFERENCES fingerprints (source, id) ON DELETE CASCADE
    ) WITHOUT ROWID
    """,
    "CREATE INDEX fingerprint_bands_by_article ON fingerprint_bands (source, id)",
    """
    CREATE TABLE aliases (
        source     TEXT NOT NULL,
        id         TEXT NOT NULL,
        outlet     TEXT NOT NULL,
        category   TEXT NOT NULL,
        title      TEXT NOT NULL,
        link       TEXT,
        of_source  TEXT NOT NULL,
        of_id      TEXT NOT NULL,
        seen_at    TEXT NOT NULL,
        PRIMARY KEY (source, id),
        FOREIGN KEY (of_source, of_id) REFERENCES articles (source, id) ON DELETE CASCADE
    )
    """,
    "CREATE INDEX aliases_by_target ON aliases (of_source, of_id)",
    "ALTER TABLE fetch_log ADD COLUMN filtered INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE fetch_log ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0",
)

# a change counter: every write that alters what a page of an article shows stamps the
# article with the next number, so a site build asks for "changed since N" instead of
# re-reading every article (rows from before this migration carry 0)
_CHANGES = (
    "ALTER TABLE articles ADD COLUMN seq INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX articles_by_seq ON articles (seq)",
)

# articles per source and per category, kept by triggers: the status page and every site build
# asked for them with a GROUP BY over the whole table (~3 ms each at 10,000 articles, ten times that
# at 100,000); a row whose count reaches 0 goes, so the names listed are those with articles
_COUNTS = (
    "CREATE TABLE source_counts (source TEXT NOT NULL PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE category_counts (category TEXT NOT NULL PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT INTO source_counts (source, n) SELECT source, COUNT(*) FROM articles GROUP BY source",
    "INSERT INTO category_counts (category, n) SELECT category, COUNT(*) FROM articles GROUP BY category",
    """
    CREATE TRIGGER articles_count_insert AFTER INSERT ON articles BEGIN
        INSERT INTO source_counts (source, n) VALUES (NEW.source, 1)
            ON CONFLICT (source) DO UPDATE SET n = n + 1;
        INSERT INTO category_counts (category, n) VALUES (NEW.category, 1)
            ON CONFLICT (category) DO UPDATE SET n = n + 1;
    END
    """,
    """
    CREATE TRIGGER articles_count_delete AFTER DELETE ON articles BEGIN
        UPDATE source_counts SET n = n - 1 WHERE source = OLD.source;
        DELETE FROM source_counts WHERE source = OLD.source AND n <= 0;
        UPDATE category_counts SET n = n - 1 WHERE category = OLD.category;
        DELETE FROM category_counts WHERE category = OLD.category AND n <= 0;
    END
    """,
    """
    CREATE TRIGGER articles_count_move AFTER UPDATE OF source, category ON articles
    WHEN OLD.source IS NOT NEW.source OR OLD.category IS NOT NEW.category BEGIN
        UPDATE source_counts SET n = n - 1 WHERE source = OLD.source;
        DELETE FROM source_counts WHERE source = OLD.source AND n <= 0;
        INSERT INTO source_counts (source, n) VALUES (NEW.source, 1)
            ON CONFLICT (source) DO UPDATE SET n = n + 1;
        UPDATE category_counts SET n = n - 1 WHERE category = OLD.category;
        DELETE FROM category_counts WHERE category = OLD.category AND n <= 0;
        INSERT INTO category_counts (category, n) VALUES (NEW.category, 1)
            ON CONFLICT (category) DO UPDATE SET n = n + 1;
    END
    """,
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _INITIAL),
    Migration(2, "stories, fingerprints and aliases", _STORIES),
    Migration(3, "change counter", _CHANGES),
    Migration(4, "article counts", _COUNTS),
)

LATEST = MIGRATIONS[-1].version
