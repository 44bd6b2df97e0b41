"""Atom and JSON Feed for the site and each outlet, sitemap, robots, latest.json, and themes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest
from site_articles import OUTLETS

from newsdesk.config import SiteConfig
from newsdesk.site.build import build_site
from newsdesk.store import SqliteStore

ATOM = "{http://www.w3.org/2005/Atom}"
FIXTURES = Path(__file__).parent / "fixtures"
FEEDS = ["feed"] + [f"category/{slug}" for _, slug in OUTLETS]


def check_rfc4287(root: ET.Element) -> None:
    """The elements RFC 4287 requires: atom:id, atom:title, atom:updated on feed and entries."""
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert root.find(f"{ATOM}author") is not None or all(
        e.find(f"{ATOM}author") is not None for e in root.findall(f"{ATOM}entry"))
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        alternates = [link for link in entry.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"]
        assert len(alternates) == 1 and alternates[0].get("href", "").startswith("https://")


@pytest.mark.parametrize("name", FEEDS)
def test_atom_feeds_are_valid_with_absolute_links(filled: SqliteStore, site: SiteConfig, name: str) -> None:
    build_site(filled, site)
    raw = (site.output / f"{name}.xml").read_bytes()
    check_rfc4287(ET.fromstring(raw))
    parsed = feedparser.parse(raw)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.entries and all(e.link.startswith("https://news.example.com/") for e in parsed.entries)
    self_link = [link for link in parsed.feed.links if link.rel == "self"][0]
    assert self_link.href == f"https://news.example.com/{name}.xml"
    if name != "feed":  # an outlet's feed holds only that outlet
        assert len({e.tags[0].term for e in parsed.entries}) == 1


@pytest.mark.parametrize("name", FEEDS)
def test_json_feeds_have_the_required_fields(filled: SqliteStore, site: SiteConfig, name: str) -> None:
    build_site(filled, site)
    feed = json.loads((site.output / f"{name}.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["feed_url"] == f"https://news.example.com/{name}.json"
    assert feed["items"]
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert item["content_html"] and item["url"].startswith("https://news.example.com/")


def test_sitemap_robots_and_latest(filled: SqliteStore, site: SiteConfig) -> None:
    build_site(filled, site)
    index = ET.parse(site.output / "sitemap.xml").getroot()
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locations = []
    for part in index.findall(f"{ns}sitemap/{ns}loc"):
        path = part.text.removeprefix("https://news.example.com/")  # type: ignore[union-attr]
        locations += [loc.text for loc in ET.parse(site.output / path).getroot().findall(f"{ns}url/{ns}loc")]
    assert sum(1 for loc in locations if "/NW" in str(loc)) == 60
    assert "https://news.example.com/archive/index.html" in locations
    assert "Sitemap: https://news.example.com/sitemap.xml" in (site.output / "robots.txt").read_text()
    latest = json.loads((site.output / "latest.json").read_text(encoding="utf-8"))
    assert latest["count"] == 60 and latest["newest"]["url"].endswith("/NW0059.html")


def test_sitemap_lists_the_full_numbered_pages_not_the_newest(filled: SqliteStore, site: SiteConfig) -> None:
    site = replace(site, per_page=7)  # 20 articles an outlet: pages 1 and 2 full, page 3 the newest
    build_site(filled, site)
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    listed = {str(loc.text) for loc in ET.parse(site.output / "sitemaps/pages.xml").getroot().findall(f"{ns}url/{ns}loc")}
    numbered = {loc for loc in listed if "/category/nanfangPlus/page/" in loc}
    assert numbered == {f"https://news.example.com/category/nanfangPlus/page/{n}.html" for n in (1, 2)}
    assert "https://news.example.com/category/nanfangPlus.html" in listed
    newest = (site.output / "category/nanfangPlus/page/3.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="/category/nanfangPlus.html">' in newest
    assert '<meta name="robots" content="noindex">' in newest


def test_theme_overrides_a_template_and_the_stylesheet(filled: SqliteStore, site: SiteConfig) -> None:
    themed = replace(site, theme=FIXTURES / "theme_plain")
    build_site(filled, themed)
    home = (site.output / "index.html").read_text(encoding="utf-8")
    assert '<p class="themed">主题首页' in home
    assert (site.output / "static/style.css").read_text() == "body { color: rebeccapurple; }\n"
    assert (site.output / "static/live.js").is_file()  # files the theme leaves alone stay built-in
    assert "下一篇" in next(site.output.glob("nanfangplus/2021/12/29/NW0000.html")).read_text(encoding="utf-8")
    build_site(filled, site)  # back to the built-in look: the theme's pages are re-rendered
    assert "themed" not in (site.output / "index.html").read_text(encoding="utf-8")
