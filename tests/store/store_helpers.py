"""Shared test data for the store tests: a base time and an article factory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from newsdesk.models import Article, SafeHtml

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def article(article_id: str = "a1", minutes: int = 0, **changes: Any) -> Article:
    """A plain article published `minutes` after T0; keyword arguments override fields."""
    base = Article(
        source="南方Plus", id=article_id, outlet="南方Plus", category="nanfangPlus",
        title=f"标题 {article_id}", link=f"https://example.com/{article_id}",
        published_at=T0 + timedelta(minutes=minutes), body_html=SafeHtml("<p>正文</p>"),
        summary="摘要",
    )
    return replace(base, **changes)
