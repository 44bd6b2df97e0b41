"""A loopback HTTP server playing the demo's made-up outlets as they publish over time.

Nothing runs on a timer: on every request the newswire reads its clock and
publishes whatever stories have come due since, so it is deterministic given the
seed and the clock readings.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self

from newsdesk.demo.outlets import (
    OUTLETS,
    DemoOutlet,
    OutletSpec,
    render_article,
    render_feed,
    render_index,
)
from newsdesk.demo.stories import Story, write_story
from newsdesk.errors import UsageError

SITE_TITLE = "newsdesk 演示"
BACKLOG_SPAN_S = 48 * 3600  # the backlog covers about the last two days
_ARTICLE_RE = re.compile(r"^/([a-z0-9]+)/articles/(\d+)\.html$")


@dataclass(frozen=True, slots=True)
class _Page:
    """One rendered answer, with the validators conditional requests compare."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str]


class Newswire:
    """Loopback HTTP server playing made-up outlets that publish over time."""

    def __init__(self, *, seed: int = 2024, start: datetime | None = None,
                 publish_every_s: float = 5.0, backlog: int = 12,
                 clock: Callable[[], float] = time.monotonic, feed_size: int = 40) -> None:
        if publish_every_s <= 0:
            raise ValueError(f"publish_every_s must be positive, got {publish_every_s!r}")
        if backlog < 0 or feed_size < 1:
            raise ValueError(f"backlog must be >= 0 and feed_size >= 1, got {backlog}, {feed_size}")
        start = start or datetime.now(UTC)
        # a naive start is read as UTC; feeds need whole seconds
        self._start = (start if start.tzinfo else start.replace(tzinfo=UTC)) \
            .replace(microsecond=0)
        self._seed = seed
        self._every_s = publish_every_s
        self._backlog = backlog
        self._clock = clock
        self._t0 = clock()
        self._specs = OUTLETS
        self._window = max(feed_size, backlog)
        self._lock = threading.Lock()
        self._stories: dict[str, deque[Story]] = {
            spec.key: deque(self._backlog_of(index, spec), maxlen=self._window)
            for index, spec in enumerate(self._specs)
        }
        self._versions = {spec.key: 0 for spec in self._specs}
        self._pages: dict[str, tuple[int, _Page]] = {}
        self._live = 0  # stories published since start, round-robin over the outlets
        self._ticks = 0  # clock ticks already turned into stories
        self._last_offset_s = 0  # seconds after start of the newest live story
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ stories

    def _backlog_of(self, index: int, spec: OutletSpec) -> list[Story]:
        spacing = BACKLOG_SPAN_S / max(self._backlog, 1)
        stories = []
        for seq in range(self._backlog):
            # jitter stays under one spacing, so the backlog is in order and before start
            jitter = (hash_fraction(self._seed, spec.key, seq) * 0.8 * spacing) + index * 37
            offset = -spacing * (self._backlog - seq) + min(jitter, spacing - 1)
            when = self._start + timedelta(seconds=math.floor(offset))
            stories.append(write_story(self._seed, spec.key, seq, spec.beats, when))
        return stories

    def _publish_one(self, offset_s: float) -> None:
        """Publish the next story in round-robin order, dated `offset_s` after start."""
        spec = self._specs[self._live % len(self._specs)]
        seq = self._backlog + self._live // len(self._specs)
        # never date a story before the previous one, even when publish_now ran ahead
        offset = max(math.floor(offset_s), self._last_offset_s + 1)
        self._last_offset_s = offset
        when = self._start + timedelta(seconds=offset)
        self._stories[spec.key].append(write_story(self._seed, spec.key, seq, spec.beats, when))
        self._versions[spec.key] += 1
        self._live += 1

    def _catch_up(self) -> float:
        """Publish every story the clock has made due; returns seconds since start."""
        elapsed = self._clock() - self._t0
        due = int(elapsed // self._every_s)
        if due > self._ticks:
            # after a long pause only the stories that still fit in the feeds are made
            skipped = max(0, due - self._ticks - self._window * len(self._specs))
            self._live += skipped
            for tick in range(self._ticks + skipped + 1, due + 1):
                self._publish_one(tick * self._every_s)
            self._ticks = due
        return elapsed

    def publish_now(self, count: int = 1) -> None:
        """Make the next `count` stories appear at once, in round-robin order."""
        with self._lock:
            elapsed = self._catch_up()
            for _ in range(count):
                self._publish_one(elapsed)

    def published(self) -> int:
        """How many stories have been published in total, backlog included."""
        with self._lock:
            self._catch_up()
            return self._backlog * len(self._specs) + self._live

    def stories(self, name: str) -> list[Story]:
        """The stories outlet `name` currently lists, newest first; raises KeyError."""
        spec = self._spec_named(name)
        with self._lock:
            self._catch_up()
            return sorted(self._stories[spec.key], key=lambda s: s.published_at, reverse=True)

    def _spec_named(self, name: str) -> OutletSpec:
        for spec in self._specs:
            if spec.name == name:
                return spec
        raise KeyError(name)

    # ------------------------------------------------------------ serving

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Self:
        """Listen on loopback `host`:`port` (0 picks a free port) in a background thread."""
        if self._server is not None:
            raise RuntimeError("newswire already started")
        host = "127.0.0.1" if host == "localhost" else host
        try:
            loopback = ipaddress.ip_address(host).is_loopback and ":" not in host
        except ValueError:
            loopback = False
        if not loopback:
            raise UsageError(f"demo newswire: listens only on 127.0.0.1, not {host!r}")
        try:
            server = ThreadingHTTPServer((host, port), _handler_for(self))
        except OSError as exc:
            raise UsageError(f"demo newswire: cannot listen on {host}:{port}: {exc.strerror}") \
                from exc
        server.daemon_threads = True
        self._server = server
        # a short poll keeps stop() quick; the loop is idle between requests anyway
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="newsdesk-newswire", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: shut the loop down, close the socket, join the thread."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        self._server = self._thread = None

    @property
    def running(self) -> bool:
        """Whether the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Self:
        return self if self._server is not None else self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`; raises RuntimeError before start()."""
        if self._server is None:
            raise RuntimeError("newswire not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def outlets(self) -> list[DemoOutlet]:
        """Every outlet with its feed URL; raises RuntimeError before start()."""
        base = self.base_url
        return [DemoOutlet(name=spec.name, kind="feed", format=spec.format, path=spec.path,
                           url=base + spec.path, encoding=spec.encoding) for spec in self._specs]

    def _feed_page(self, spec: OutletSpec) -> _Page:
        """The outlet's current feed, rendered once per change."""
        with self._lock:
            self._catch_up()
            version = self._versions[spec.key]
            cached = self._pages.get(spec.key)
            if cached is not None and cached[0] == version:
                return cached[1]
            stories = list(self._stories[spec.key])
        body, content_type = render_feed(spec, stories, self.base_url)
        latest = max((s.published_at for s in stories), default=self._start)
        page = _Page(body, content_type, f'"{hashlib.sha1(body).hexdigest()[:20]}"', latest)
        with self._lock:
            self._pages[spec.key] = (version, page)
        return page

    def answer(self, path: str, headers: dict[str, str]) -> _Answer:
        """What the newswire sends for a GET of `path` with request `headers`."""
        path = path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            return _Answer(200, render_index(self._specs, self.base_url),
                           {"Content-Type": "text/html; charset=utf-8"})
        for spec in self._specs:
            if path == spec.path:
                return _conditional(self._feed_page(spec), headers)
        match = _ARTICLE_RE.match(path)
        if match:
            story = self._find_story(match.group(1), int(match.group(2)))
            if story is not None:
                spec = next(s for s in self._specs if s.key == story.outlet)
                # the outlet's own page carries the hostile demo markup raw: forbid scripts
                return _Answer(200, render_article(spec, story), {
                    "Content-Type": "text/html; charset=utf-8",
                    "Content-Security-Policy": "script-src 'none'"})
        return _Answer(404, b"not found\n", {"Content-Type": "text/plain; charset=utf-8"})

    def _find_story(self, key: str, seq: int) -> Story | None:
        with self._lock:
            self._catch_up()
            return next((s for s in self._stories.get(key, ()) if s.seq == seq), None)


def hash_fraction(seed: int, key: str, seq: int) -> float:
    """A stable number in [0, 1) for (seed, key, seq); Python's hash() is salted per run."""
    digest = hashlib.sha1(f"{seed}:{key}:{seq}".encode()).digest()
    return int.from_bytes(digest[:6], "big") / 2**48


def _http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def _is_fresh(page: _Page, headers: dict[str, str]) -> bool:
    """True when the client's copy is current (RFC 9110: If-None-Match wins over dates)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if "if-none-match" in lowered:
        tags = [t.strip() for t in lowered["if-none-match"].split(",")]
        return "*" in tags or any(t.removeprefix("W/") == page.etag for t in tags)
    since = lowered.get("if-modified-since")
    if since:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False  # an unreadable date means a full answer
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        return page.last_modified <= when
    return False


def _conditional(page: _Page, headers: dict[str, str]) -> _Answer:
    validators = {"ETag": page.etag, "Last-Modified": _http_date(page.last_modified),
                  "Cache-Control": "no-cache"}
    if _is_fresh(page, headers):
        return _Answer(304, b"", validators)
    return _Answer(200, page.body, {"Content-Type": page.content_type, **validators})


def _handler_for(wire: Newswire) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 5  # idle keep-alive connections end on their own after stop()
        server_version = "newsdesk-demo-newswire"

        def log_message(self, format: str, *args: object) -> None:
            pass  # the demo's terminal belongs to the CLI

        def _reply(self, with_body: bool) -> None:
            answer = wire.answer(self.path, dict(self.headers.items()))
            try:
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                if answer.status != 304:
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if with_body and answer.status != 304:
                    self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client left; nothing to tell it

        def do_GET(self) -> None:
            self._reply(with_body=True)

        def do_HEAD(self) -> None:
            self._reply(with_body=False)

    return _Handler


# ------------------------------------------------------------ the demo's config


def _toml_string(text: str) -> str:
    # a JSON string with non-ASCII kept is also a valid TOML basic string
    return json.dumps(text, ensure_ascii=False)


def demo_config_text(wire: Newswire, *, site_port: int = 8000) -> str:
    """The demo's newsdesk.toml as text; raises RuntimeError when `wire` is not started."""
    lines = [
        "# newsdesk demo: every outlet below is made up and served by a loopback newswire",
        f"# at {wire.base_url}, which picks a new port on each run; `newsdesk demo` rewrites",
        "# this file every time it starts.",
        "",
        "[site]",
        f"title = {_toml_string(SITE_TITLE)}",
        f"base_url = {_toml_string(f'http://127.0.0.1:{site_port}')}",
        'timezone = "Asia/Shanghai"',
        'output = "public"',
        f"description = {_toml_string('演示站点：新闻由程序生成，纯属虚构。')}",
        "",
        "[store]",
        'path = ".newsdesk/newsdesk.db"',
        "",
        "[fetch]",
        "timeout = 5",
        "allow_private = true  # the demo's outlets and their article pages live on 127.0.0.1",
    ]
    for outlet in wire.outlets():
        lines += [
            "",
            "[[sources]]",
            f"name = {_toml_string(outlet.name)}",
            f"kind = {_toml_string(outlet.kind)}",
            f"url = {_toml_string(outlet.url)}",
            'interval = "5s"',
        ]
    return "\n".join(lines) + "\n"


def write_demo_config(folder: Path, wire: Newswire, *, site_port: int = 8000) -> Path:
    """Write newsdesk.toml for the demo into folder; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "newsdesk.toml"
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(demo_config_text(wire, site_port=site_port), encoding="utf-8")
    os.replace(temp, path)  # never leave a half-written config behind
    return path
