"""[site] search = false: no search page, index, script or search box; turning it off removes the old index."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from site_articles import SEEN, article
from test_site_incremental import full_tree, tree

from newsdesk.config import SiteConfig
from newsdesk.site.build import build_site
from newsdesk.store import SqliteStore


def _html_with_search_form(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.html") if b'role="search"' in p.read_bytes())


def test_search_off_leaves_search_out_and_removes_an_earlier_index(filled: SqliteStore, site: SiteConfig,
                                                                   tmp_path: Path) -> None:
    output = site.output
    build_site(filled, site)
    assert (output / "search.html").is_file() and (output / "search" / "index.json").is_file()
    assert (output / "static" / "search.js").is_file()
    assert "404.html" in _html_with_search_form(output)
    segments = [p for p in (output / "search").iterdir() if p.is_dir()]
    assert segments, "the index has segment folders"
    (output / "search" / "notes.txt").write_text("mine", encoding="utf-8")  # not the build's: must stay

    off = replace(site, search=False)
    report = build_site(filled, off)
    assert not (output / "search.html").exists()
    assert not (output / "static" / "search.js").exists()
    assert not (output / "search" / "index.json").exists()
    assert not any(p.exists() for p in segments)
    assert (output / "search" / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert _html_with_search_form(output) == []
    assert report.articles == 60

    # later updates with search off stay off and equal one fresh build of the same settings
    filled.upsert([article("NW9000", 90, 1), article("NW9001", 91, 2)], SEEN)
    build_site(filled, off)
    (output / "search" / "notes.txt").unlink()
    (output / "search").rmdir()
    assert tree(output) == full_tree(filled, off, tmp_path / "fresh")
    assert not (tmp_path / "fresh" / "search").exists()

    # and back on: the whole index again, as a fresh build with search on writes it
    build_site(filled, site)
    assert tree(output) == full_tree(filled, site, tmp_path / "fresh-on")
    assert "404.html" in _html_with_search_form(output)
