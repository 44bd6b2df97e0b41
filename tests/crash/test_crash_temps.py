"""Temp files a kill -9 leaves between mkstemp and rename are swept by the next finished run."""

from __future__ import annotations

from pathlib import Path

from newsdesk.site.write import remove_stale, write_atomic


def test_orphan_temp_files_go_and_nothing_else_does(tmp_path: Path) -> None:
    write_atomic(tmp_path / "index.html", b"page")
    orphans = [tmp_path / ".index.html.k3j_x9ab.tmp", tmp_path / "2026" / "11" / ".1.html.abcdefgh.tmp"]
    keep = [tmp_path / ".well-known" / "x.txt", tmp_path / "notes.tmp", tmp_path / ".index.html.toolong99.tmp"]
    for path in orphans + keep:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half a page")
    assert remove_stale(tmp_path, []) == 0
    assert [p.exists() for p in orphans] == [False, False]
    assert all(p.exists() for p in keep)
    assert (tmp_path / "index.html").read_bytes() == b"page"
