"""The `Store` protocol every backend (SQLite now, PostgreSQL later) implements."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from newsdesk.models import (
    Article,
    ArticleHead,
    CategoryInfo,
    SourceHealth,
    SourceReport,
    SourceState,
    StoredArticle,
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

    def get_article(self, source: str, article_id: str) -> StoredArticle | None:
        """One article by its key, or None."""
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

    def close(self) -> None:
        """Release the connection; safe to call twice."""
        ...
