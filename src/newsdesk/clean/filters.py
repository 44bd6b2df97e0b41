"""Include/exclude rules: which cleaned articles a source keeps ([filters] and per source)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from newsdesk.clean.text import plain_text
from newsdesk.config import FilterConfig, FilterRule
from newsdesk.models import Article

Matcher = Callable[[str], bool]


def _matcher(rule: FilterRule) -> Matcher:
    if rule.regex:
        return re.compile(rule.pattern).search  # type: ignore[return-value]
    needle = rule.pattern.casefold()
    return lambda text: needle in text.casefold()


def _fields(article: Article) -> dict[str, str]:
    body = plain_text(article.body_html) or article.summary
    return {"title": article.title, "body": " ".join(p for p in (article.lead or "", body) if p),
            "outlet": article.outlet, "link": article.link or ""}


@dataclass(frozen=True, slots=True)
class _Compiled:
    field: str
    text: str  # the rule as written, for the log
    matches: Matcher

    def hit(self, fields: dict[str, str]) -> bool:
        if self.field == "any":
            return any(self.matches(value) for value in fields.values())
        return self.matches(fields[self.field])


def _compile(rules: Sequence[FilterRule]) -> tuple[_Compiled, ...]:
    return tuple(_Compiled(r.field, ("re:" if r.regex else "") + r.pattern, _matcher(r)) for r in rules)


class ArticleFilter:
    """The global rules and one source's rules together; each set must let an article through."""

    def __init__(self, *configs: FilterConfig) -> None:
        self._sets = [(_compile(c.include), _compile(c.exclude)) for c in configs if c]

    def __bool__(self) -> bool:
        return bool(self._sets)

    def rejects(self, article: Article) -> str | None:
        """Why `article` is filtered out ("exclude title '广告'"), or None when it is kept."""
        if not self._sets:
            return None
        fields = _fields(article)
        for include, exclude in self._sets:
            for rule in exclude:
                if rule.hit(fields):
                    return f"exclude {rule.field} {rule.text!r}"
            if include and not any(rule.hit(fields) for rule in include):
                return "no include rule matched"
        return None

    def split(self, articles: Sequence[Article]) -> tuple[list[Article], list[tuple[Article, str]]]:
        """Articles kept, and those dropped with the reason for each."""
        kept: list[Article] = []
        dropped: list[tuple[Article, str]] = []
        for article in articles:
            reason = self.rejects(article)
            if reason is None:
                kept.append(article)
            else:
                dropped.append((article, reason))
        return kept, dropped
