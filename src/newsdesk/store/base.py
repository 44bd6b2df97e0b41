"""The `Store` protocol every backend (SQLite now, PostgreSQL later) implements."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from newsdesk.models import (
    Alias,
    Article,
    ArticleHead,
    CategoryInfo,
    Fingerprint,
    SourceHealth,
    SourceReport,
    SourceState,
    StoredArticle,
    StoryMember,
    StoryPlacement,
    UpsertCounts,
    Validators,
)


class Store(Protocol):
    """Where articles and fetch history live. Every write is one transaction."""

    def upsert(self, articles: Sequence[Article], seen_at: datetime) -> UpsertCounts:
        """Insert new articles, update changed ones, leave identical ones untouched.

        Articles are unique per (source, id); an unchanged article writes nothing.
        Raises StoreError.
        """
        ...

    def record_fetch(self, report: SourceReport, validators: Validators | None) -> None:
        """Log one fetch of a source; on success keep its validators for the next conditional GET."""
        ...

    def source_state(self, source: str) -> SourceState:
        """What is known about one source (an empty state if never fetched)."""
        ...

    def source_states(self) -> list[SourceState]:
        """Every source that was ever fetched or has articles, by name."""
        ...

    def iter_articles(self, *, source: str | None = None, category: str | None = None,
                      since: datetime | None = None, limit: int | None = None,
                      newest_first: bool = True) -> Iterator[StoredArticle]:
        """Stream articles ordered by published time (ties by source, id), filtered as asked."""
        ...

    def iter_heads(self) -> Iterator[ArticleHead]:
        """Stream every article without its body, newest first (ties by source, id descending)."""
        ...

    def story_keys(self, keys: Sequence[tuple[str, str]] | None = None) -> dict[tuple[str, str], tuple[str, str]]:
        """The story key of each of `keys` (of every article when None) that has a fingerprint."""
        ...

    def change_seq(self) -> int:
        """The newest change number (0 for an empty store); every article write raises it."""
        ...

    def changed_heads(self, after: int, upto: int) -> list[ArticleHead]:
        """Articles whose change number is in (after, upto], without bodies."""
        ...

    def get_article(self, source: str, article_id: str) -> StoredArticle | None:
        """One article by its key, or None."""
        ...

    def get_articles(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredArticle]:
        """The stored ones of many articles by (source, id), in few queries; missing keys are left out."""
        ...

    def get_texts(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str | None, str]]:
        """Title, lead and body HTML of many articles by (source, id), what search indexes; missing keys left out."""
        ...

    def count_articles(self, *, source: str | None = None, category: str | None = None) -> int:
        """How many articles match."""
        ...

    def categories(self) -> list[CategoryInfo]:
        """Every category with its outlet name, article count and newest time, by slug."""
        ...

    def category_for(self, outlet: str, proposed: str) -> str:
        """The outlet's slug: the stored one if assigned before, else `proposed`, made unique.

        Once assigned a slug never changes; a different outlet whose proposed slug is
        taken gets a deterministic suffix (a short hash of its name).
        """
        ...

    def source_health(self, since: datetime) -> dict[str, SourceHealth]:
        """Per source: new articles, fetches and the median fetch time since `since`."""
        ...

    # stories (dedupe.py): exact duplicates stored once as aliases, near-duplicates grouped

    def has_article(self, source: str, article_id: str) -> bool:
        """Whether (source, id) is stored as an article."""
        ...

    def alias_target(self, source: str, article_id: str) -> tuple[str, str] | None:
        """The article an exact duplicate points to, or None when (source, id) is no alias."""
        ...

    def get_fingerprint(self, source: str, article_id: str) -> Fingerprint | None:
        """The stored fingerprint of one article, or None."""
        ...

    def find_exact(self, link_key: str | None, text_key: str | None,
                   exclude: tuple[str, str]) -> tuple[str, str] | None:
        """The first stored article with this link key or text key, other than `exclude`."""
        ...

    def near_candidates(self, band_keys: Sequence[str], since: datetime, exclude: tuple[str, str],
                        outlet: str) -> list[tuple[Fingerprint, tuple[str, str]]]:
        """Other outlets' fingerprints sharing an LSH band, published since `since`, with their stories."""
        ...

    def story_of(self, source: str, article_id: str) -> tuple[str, str] | None:
        """The story key of a stored article, or None when it has no fingerprint yet."""
        ...

    def save_stories(self, placements: Sequence[StoryPlacement], aliases: Sequence[Alias],
                     seen_at: datetime) -> None:
        """Record fingerprints with their stories and exact duplicates as aliases, after `upsert`."""
        ...

    def story_groups(self) -> dict[tuple[str, str], tuple[str, str]]:
        """Article -> story key, for every article whose story has another article."""
        ...

    def story_members(self, source: str, article_id: str) -> list[StoryMember]:
        """Every other report of this article's story: near-duplicate articles and exact aliases."""
        ...

    def all_story_members(self) -> dict[tuple[str, str], list[StoryMember]]:
        """Story key -> every report of it (articles and aliases), for stories with more than one."""
        ...

    def close(self) -> None:
        """Release the connection; safe to call twice."""
        ...
