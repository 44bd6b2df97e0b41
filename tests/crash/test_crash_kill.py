"""kill -9 at random moments of `fetch`, `build` and `export jekyll`; a rerun must finish the work.

Outlets grow by a few entries every round, so every round has real work to interrupt:
new articles to store, new pages to write, new posts to export. Each command is started
as `python -m newsdesk ...` and SIGKILLed after a random share (fixed seeds) of the time a
whole run of it takes on this machine. Afterwards every command runs to
completion; the store must pass `PRAGMA integrity_check` and hold each served article
exactly once, and the site and export trees must equal, byte for byte, a clean run's
made from scratch against the same final feeds.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import feedmaker
from faults import FaultyOutlet, RawRequest, send
from newsdesk.site.state import STATE_FILE

SOURCES = 4
START, STEP = 12, 2  # entries per outlet at first, and how many each round adds
COMMANDS = (["fetch"], ["build"], ["export", "jekyll", "jekyll"])
KILLS = 54
MAX_ROUNDS = 40


class Newswire:
    """SOURCES outlets whose feeds hold `count` entries each; `grow` adds STEP to every one."""

    def __init__(self, outlet: FaultyOutlet) -> None:
        self.outlet, self.count, self._lock = outlet, START, threading.Lock()
        for n in range(SOURCES):
            outlet.add(f"/feed{n}.xml", self._fault(n))

    def _fault(self, n: int):  # type: ignore[no-untyped-def]
        def fault(conn, request: RawRequest, outlet: FaultyOutlet) -> None:  # type: ignore[no-untyped-def]
            with self._lock:
                count = self.count
            body = feedmaker.rss2(feedmaker.entries(f"s{n}", count, outlet=f"出口{n}"), title=f"出口{n}")
            send(conn, 200, {"Content-Type": "application/rss+xml"}, body)
        return fault

    def grow(self) -> None:
        with self._lock:
            self.count += STEP

    def served(self) -> set[tuple[str, str]]:
        return {(f"出口{n}", f"s{n}-{i}") for n in range(SOURCES) for i in range(self.count)}


def make_folder(folder: Path, outlet: FaultyOutlet) -> Path:
    folder.mkdir()
    lines = ["[site]", 'title = "crash"', 'base_url = "https://news.example.com"', 'output = "public"',
             "live_days = 100000", "status_page = false", "[fetch]", "timeout = 10", "retries = 0"]
    for n in range(SOURCES):
        lines += ["[[sources]]", f'name = "出口{n}"', 'kind = "feed"', f'url = "{outlet.url(f"/feed{n}.xml")}"']
    (folder / "newsdesk.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def command(folder: Path, args: list[str]) -> list[str]:
    return [sys.executable, "-m", "newsdesk", "--config", str(folder / "newsdesk.toml"), "-q", *args]


def run(folder: Path, args: list[str]) -> float:
    """Run one command to completion in `folder`; returns its wall time."""
    started = time.monotonic()
    done = subprocess.run(command(folder, args), cwd=folder, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return time.monotonic() - started


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` by relative path (temp files of an interrupted write included).

    The build state (a SQLite file that records how the pages were made, not a page) is
    compared as what it records, not as bytes: its page layout depends on the history of writes.
    """
    files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    if STATE_FILE in files:
        with sqlite3.connect(root / STATE_FILE) as conn:
            recorded = sorted(conn.execute("SELECT path, key FROM files").fetchall())
            clean = conn.execute("SELECT value FROM meta WHERE name = 'clean'").fetchone()
        files[STATE_FILE] = repr((recorded, clean)).encode()
    return files


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sigkill_anywhere_then_rerun_equals_a_clean_run(faulty: FaultyOutlet, tmp_path: Path) -> None:
    wire = Newswire(faulty)
    crashed = make_folder(tmp_path / "crashed", faulty)
    # how long a whole run takes here (start-up included); a run that ends before its kill
    # updates it, so the kills keep landing inside runs however fast or loaded the machine is
    whole = {args[0]: run(crashed, args) for args in COMMANDS}
    kills = rounds = 0
    while kills < KILLS and rounds < MAX_ROUNDS:
        wire.grow()
        for args in COMMANDS:
            name = args[0]
            delay = whole[name] * random.Random(f"{name}-{rounds}").uniform(0.2, 0.95)
            started = time.monotonic()
            process = subprocess.Popen(command(crashed, args), cwd=crashed, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            while process.poll() is None and time.monotonic() - started < delay:
                time.sleep(0.005)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            else:
                whole[name] = time.monotonic() - started
            process.wait(timeout=60)
        rounds += 1
    for args in COMMANDS:
        run(crashed, args)
    print(f"{kills} SIGKILLs in {rounds} rounds; last whole-run times {whole}")
    assert kills >= 50

    db = crashed / ".newsdesk" / "newsdesk.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute("SELECT source, id FROM articles").fetchall()
    assert len(rows) == len(set(rows))
    assert set(rows) == wire.served()

    reference = make_folder(tmp_path / "reference", faulty)
    for args in COMMANDS:
        run(reference, args)
    for part in ("public", "jekyll"):
        expected, got = tree(reference / part), tree(crashed / part)
        assert (sorted(set(got) - set(expected)), sorted(set(expected) - set(got))) == ([], []), part
        differing = [name for name in expected if expected[name] != got[name]]
        assert differing == [], (part, differing[:5])
