"""What every sanitized body must satisfy, checked the way a browser tokenizes HTML."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tags(HTMLParser):
    """Collects (tag, attributes) of every start tag, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def assert_harmless(html: str) -> None:
    """No script element, no event handler, no script-capable URL, no inline style."""
    assert "<script" not in html.lower()
    for tag, attrs in tags_of(html):
        assert tag not in {"script", "style", "iframe", "object", "embed", "form", "svg", "math"}
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style", tag
            lowered = "".join((value or "").split()).lower()
            assert not lowered.startswith(("javascript:", "vbscript:", "data:")), (tag, name, value)
