"""An in-memory store of articles for search index tests: just what the index reads (get_texts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from newsdesk.models import Article, StoredArticle
from newsdesk.site import search
from newsdesk.site.plan import ArticleRef

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2022, 1, 31, 16, 0, tzinfo=UTC)  # Tuesday 1 February 2022, 00:00 in Shanghai
PAGE = b"<!DOCTYPE html><title>search</title>\n"


class MemoryShelf:
    """Articles by id with their revisions; remembers whose bodies the index read, in order."""

    def __init__(self) -> None:
        self.articles: dict[str, tuple[Article, int]] = {}
        self.read: list[str] = []

    def get_articles(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredArticle]:
        found = {}
        for source, article_id in keys:
            self.read.append(article_id)
            if article_id in self.articles:
                article, revision = self.articles[article_id]
                found[(source, article_id)] = StoredArticle(article, T0, T0, revision)
        return found

    def get_texts(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str | None, str]]:
        return {key: (stored.article.title, stored.article.lead, stored.article.body_html)
                for key, stored in self.get_articles(keys).items()}

    def refs(self) -> list[ArticleRef]:
        return [ArticleRef(source=a.source, id=a.id, outlet=a.outlet, category=a.category, title=a.title,
                           published_at=a.published_at, revision=revision, path=f"nanfangPlus/{a.id}.html")
                for a, revision in self.articles.values()]

    def day(self, article_id: str) -> str:
        return search.day_of(self.articles[article_id][0].published_at, TZ)
