"""A loopback outlet that keeps publishing, and a newsdesk.toml pointing at it, for scheduler tests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feedmaker import Entry, rss2
from loopback import Outlet, Request, Response


class LiveFeed:
    """An RSS feed on an Outlet; `publish()` adds an item, `failing` makes it answer 500."""

    def __init__(self, outlet: Outlet, path: str, prefix: str) -> None:
        self.outlet, self.path, self.prefix = outlet, path, prefix
        self.entries: list[Entry] = []
        self.published_at: dict[str, float] = {}  # guid -> time.time() when it went up
        self.failing = False
        self.lock = threading.Lock()
        self.url = outlet.route(path, self._serve)

    def publish(self, count: int = 1) -> list[str]:
        """Add `count` new items (newest first in the feed); returns their guids."""
        added = []
        with self.lock:
            for _ in range(count):
                n = len(self.entries)
                guid = f"{self.prefix}-{n}"
                moment = datetime(2026, 11, 20, 8, 0, tzinfo=UTC) + timedelta(minutes=n)
                self.entries.insert(0, Entry(guid=guid, title=f"{self.prefix} 第{n}条", link=f"https://example.com/{guid}",
                                             published=moment, body=f"<p>{self.prefix} 正文 {n}</p>"))
                self.published_at[guid] = time.time()
                added.append(guid)
        return added

    def _serve(self, request: Request) -> Response:
        if self.failing:
            return Response(b"down for maintenance", 500)
        with self.lock:
            body = rss2(self.entries, title=self.prefix)  # every item: a window would drop what a killed run missed
        return Response(body, 200, {"Content-Type": "application/rss+xml"})


def write_config(root: Path, feeds: list[LiveFeed], *, interval: str = "0.5s", extra: str = "") -> Path:
    """A newsdesk.toml for `feeds` with short intervals, loopback allowed."""
    sources = "".join(f'\n[[sources]]\nname = "{f.prefix}"\nurl = "{f.url}"\ninterval = "{interval}"\n'
                      f'category = "{f.prefix}"\n' for f in feeds)
    text = (f'[site]\ntitle = "live"\noutput = "public"\ntimezone = "UTC"\nlive_days = 3650\n\n'
            f'[store]\npath = "store/news.db"\n\n[fetch]\ntimeout = 5\nretries = 0\nallow_private = true\n\n'
            f'[run]\njitter = 0.1\nbackoff_max = "2s"\n{extra}\n{sources}')
    path = root / "newsdesk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def newsdesk(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
             **kwargs: object) -> subprocess.Popen[str]:
    """Start `python -m newsdesk ARGS` as a subprocess (stdout and stderr piped)."""
    return subprocess.Popen([sys.executable, "-m", "newsdesk", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
                            **kwargs)  # type: ignore[call-overload]


def wait_for(check: Callable[[], object], timeout_s: float = 30.0, every_s: float = 0.05) -> object:
    """Poll `check` until it returns something truthy; fails the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"condition not met within {timeout_s} s")


def article_pages(output: Path) -> dict[str, Path]:
    """guid -> its page, for every article page in the site."""
    return {p.stem: p for p in output.glob("*/[0-9][0-9][0-9][0-9]/*/*/*.html")}
