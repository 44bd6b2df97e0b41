"""The real mirror's article bodies (../shared corpus) sanitize safely and stably."""

from __future__ import annotations

from pathlib import Path

from clean_checks import assert_harmless

from newsdesk.clean import plain_text, sanitize_html


def _body(post: Path) -> str:
    text = post.read_text(encoding="utf-8").lstrip()
    parts = text.split("---", 2)
    return parts[2] if len(parts) == 3 else text


def test_corpus_bodies_sanitize_harmlessly_and_idempotently(corpus: Path) -> None:
    posts = sorted((corpus / "posts").glob("*.md"))
    assert posts
    for post in posts:
        body = _body(post)
        once = sanitize_html(body, base_url="http://finance.eastmoney.com/a/1.html")
        assert_harmless(once)
        assert sanitize_html(once, base_url="http://finance.eastmoney.com/a/1.html") == once, post.name
        assert "\u3000\u3000" not in once
        assert "style=" not in once
        # the text a reader sees is still there
        if "<p>" in body:
            assert plain_text(once)
