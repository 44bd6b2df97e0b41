"""A build killed while writing a search segment leaves files no index or manifest names; the next build removes them."""

from __future__ import annotations

from pathlib import Path

import faults
import feedmaker
from faults import FaultyOutlet
from newsdesk.cli import main


def test_orphan_search_segments_go_and_user_files_stay(faulty: FaultyOutlet, tmp_path: Path) -> None:
    url = faulty.add("/f.xml", faults.ok(feedmaker.rss2(feedmaker.entries("o", 5))))
    config = tmp_path / "newsdesk.toml"
    config.write_text("[site]\noutput = \"public\"\nlive_days = 100000\n[[sources]]\nname = \"源\"\n"
                      f"kind = \"feed\"\nurl = \"{url}\"\n", encoding="utf-8")
    assert main(["--config", str(config), "fetch"]) == 0
    assert main(["--config", str(config), "build"]) == 0
    search = tmp_path / "public" / "search"
    live = sorted(p.relative_to(search).as_posix() for p in search.rglob("*.json"))
    orphan = search / "2026-11-19.0123456789ab" / "b0.json"
    orphan.parent.mkdir()
    orphan.write_bytes(b"{}")
    mine = search / "notes.txt"
    mine.write_text("kept")
    assert main(["--config", str(config), "build"]) == 0
    assert not orphan.exists() and not orphan.parent.exists()
    assert mine.read_text() == "kept"
    assert sorted(p.relative_to(search).as_posix() for p in search.rglob("*.json")) == live
