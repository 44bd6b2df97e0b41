"""Test articles for the site build: three outlets, titles that need every kind of escaping."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from newsdesk.models import Article, SafeHtml

T0 = datetime(2021, 12, 29, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
SEEN = datetime(2021, 12, 30, 0, 0, tzinfo=UTC)

OUTLETS = (
    ("南方Plus", "nanfangPlus"),
    ("东财滚动", "emnews"),
    ("21世纪经济报道", "21shijijingjibaodao"),
)

# each one a trap: quotes, markup characters, entities, emoji, a script tag in a title
TITLES = (
    '“量化”新规 <出台> & 市场 🚀',
    'He said "hi" & <b>bold</b> 🐉',
    "<script>alert('x')</script>标题",
    "A&amp;B 不是 A&B",
    "13连冠！清远供电局公共服务评价稳居榜首",
)
BODY = SafeHtml('<p><strong>速读</strong></p><p>正文 <a href="https://example.com/x">链接</a></p>'
                '<img src="https://example.com/a.png" alt="图">')


def article(article_id: str, minutes: int, outlet: int = 0, **changes: Any) -> Article:
    """An article of OUTLETS[outlet] published `minutes` after T0."""
    name, slug = OUTLETS[outlet]
    base = Article(
        source=name, id=article_id, outlet=name, category=slug,
        title=f"{TITLES[minutes % len(TITLES)]} #{article_id}",
        link=f"https://example.com/{slug}/{article_id}",
        published_at=T0 + timedelta(minutes=minutes), body_html=BODY, summary="摘要 & <要点>",
    )
    return replace(base, **changes)


def sample_articles() -> list[Article]:
    """60 articles, 20 per outlet, interleaved a minute apart; the rolling ones carry a lead."""
    articles = []
    for minute in range(60):
        outlet = minute % 3
        lead = "央行宣布 <降准> & 放量" if outlet == 1 else None
        articles.append(article(f"NW{minute:04d}", minute, outlet, lead=lead))
    return articles
