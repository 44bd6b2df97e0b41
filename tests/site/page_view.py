"""Read a built page with the standard HTML parser: title, h1, links, lang, text."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class Link:
    href: str
    text: str
    classes: str


class PageView(HTMLParser):
    """The parts of a page the tests look at (entities already decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.title = ""
        self.h1 = ""
        self.links: list[Link] = []
        self.blockquotes: list[str] = []
        self.tags: list[str] = []
        self._open: list[str] = []
        self._link: Link | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag == "html":
            self.lang = values.get("lang")
        if tag == "a":
            self._link = Link(values.get("href", ""), "", values.get("class", ""))
        if tag in ("title", "h1", "blockquote"):
            self._open.append(tag)
            if tag == "blockquote":
                self.blockquotes.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            self.links.append(self._link)
            self._link = None
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link.text += data
        if "title" in self._open:
            self.title += data
        if "h1" in self._open:
            self.h1 += data
        if "blockquote" in self._open:
            self.blockquotes[-1] += data

    def hrefs(self, css_class: str | None = None) -> list[str]:
        """Link targets in page order, optionally only those with `css_class`."""
        return [link.href for link in self.links
                if css_class is None or css_class in link.classes.split()]


def view(path: Path) -> PageView:
    page = PageView()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page
