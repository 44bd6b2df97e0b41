"""`fetch` and `build` at once, and two `build`s at once: refused clearly or done, never corrupt."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import faults
import feedmaker
from faults import FaultyOutlet


def folder_with_feeds(tmp_path: Path, outlet: FaultyOutlet, sources: int = 4, per_source: int = 40) -> Path:
    lines = ["[site]", 'title = "c"', 'base_url = "https://news.example.com"', 'output = "public"',
             "live_days = 100000", "[fetch]", "timeout = 10", "retries = 0"]
    for n in range(sources):
        body = feedmaker.rss2(feedmaker.entries(f"c{n}", per_source, outlet=f"并发{n}"))
        lines += ["[[sources]]", f'name = "并发{n}"', 'kind = "feed"',
                  f'url = "{outlet.add(f"/c{n}.xml", faults.ok(body))}"']
    (tmp_path / "newsdesk.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def start(folder: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "newsdesk", "--config", str(folder / "newsdesk.toml"), *args],
                            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def outcome(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=120)
    return process.returncode, err


def assert_done_or_refused(code: int, err: str) -> None:
    """Exit 0, or exit 1 with one clear line naming who holds the store."""
    if code != 0:
        assert code == 1, (code, err)
        lines = [line for line in err.splitlines() if line.startswith("newsdesk: ")]
        assert len(lines) == 1 and "in use by pid " in lines[0], err
        assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("pair", [("fetch", "build"), ("build", "build"), ("fetch", "fetch"),
                                  ("build", "export")])
def test_two_commands_at_once_never_corrupt(pair: tuple[str, str], faulty: FaultyOutlet, tmp_path: Path) -> None:
    folder = folder_with_feeds(tmp_path, faulty)
    if "fetch" not in pair:
        assert outcome(start(folder, "fetch"))[0] == 0
    args = {"fetch": ["fetch"], "build": ["build"], "export": ["export", "jekyll", "jekyll"]}
    for _ in range(2):
        first, second = start(folder, *args[pair[0]]), start(folder, *args[pair[1]])
        results = [outcome(first), outcome(second)]
        for code, err in results:
            assert_done_or_refused(code, err)
        assert any(code == 0 for code, _ in results), results
    with sqlite3.connect(folder / ".newsdesk" / "newsdesk.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # one more uncontended run of each finishes the work (the racing fetch may have been
    # the refused one every time)
    for name in ("fetch", "build"):
        final = outcome(start(folder, name))
        assert final[0] == 0, final
    with sqlite3.connect(folder / ".newsdesk" / "newsdesk.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute("SELECT source, id FROM articles").fetchall()
    assert len(rows) == len(set(rows)) == 160
    assert not list(folder.rglob("*.tmp"))
