"""A fault-injecting loopback outlet: each path misbehaves in one named way, on purpose.

Built on the raw TCP server of the fetch tests (tests/fetch/fetch_rawserver.py), so a
fault can break HTTP itself (hang before the status line, lie about Content-Length,
reset the connection) as well as answer badly-but-validly (429, loops, bombs).

    outlet = FaultyOutlet()
    good = outlet.add("/good.xml", ok(feed_bytes))
    bad = outlet.add("/bad.xml", hang())
    ...
    outlet.stop()

A fault is a function `(conn, request, outlet) -> None` that writes whatever it likes;
`outlet.hits[path]` counts the requests each path got.
"""

from __future__ import annotations

import functools
import gzip
import socket
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "fetch"))

from fetch_rawserver import RawServer, reset

MB = 1024 * 1024


@dataclass(frozen=True)
class RawRequest:
    """The request line and headers a fault may look at."""

    method: str
    path: str
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


Fault = Callable[[socket.socket, RawRequest, "FaultyOutlet"], None]


def _parse_head(head: bytes) -> RawRequest:
    lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    method, path, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return RawRequest(method, path, headers)


class FaultyOutlet:
    """A loopback server on 127.0.0.1 whose paths are faults; unknown paths get 404."""

    def __init__(self) -> None:
        self.faults: dict[str, Fault] = {}
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.server = RawServer(self._dispatch)

    @property
    def stopping(self) -> threading.Event:
        return self.server.stopping

    def url(self, path: str) -> str:
        return self.server.url(path)

    def add(self, path: str, fault: Fault) -> str:
        """Serve `fault` at `path`; returns its URL."""
        self.faults[path] = fault
        return self.url(path)

    def _dispatch(self, conn: socket.socket, head: bytes, server: RawServer) -> None:
        request = _parse_head(head)
        path = request.path.split("?", 1)[0]
        with self._lock:
            self.hits[path] += 1
        fault = self.faults.get(path)
        if fault is None:
            send(conn, 404, {}, b"not found")
            return
        fault(conn, request, self)

    def stop(self) -> None:
        self.server.stop()


# ------------------------------------------------------------------ writing answers


def send_head(conn: socket.socket, status: int, headers: dict[str, str]) -> None:
    """Write a status line and headers; the connection closes after each answer."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Whatever')}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def send(conn: socket.socket, status: int, headers: dict[str, str], body: bytes) -> None:
    """A complete, honest answer."""
    send_head(conn, status, {"Content-Length": str(len(body)), **headers})
    conn.sendall(body)


_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified", 404: "Not Found",
            429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


# ------------------------------------------------------------------ faults


def ok(body: bytes, content_type: str = "application/rss+xml", headers: dict[str, str] | None = None) -> Fault:
    """A well-behaved answer (for the healthy outlets beside the faulty ones)."""
    def fault(conn: socket.socket, request: RawRequest, outlet: FaultyOutlet) -> None:
        send(conn, 200, {"Content-Type": content_type, **(headers or {})}, body)
    return fault


def hang(seconds: float = 3600.0) -> Fault:
    """Accept the request, then never send a status line (until the outlet stops)."""
    def fault(conn: socket.socket, request: RawRequest, outlet: FaultyOutlet) -> None:
        outlet.stopping.wait(seconds)
    return fault


def drip(body: bytes, every_s: float = 0.25, size: int = 1) -> Fault:
    """Honest headers, then the body `size` bytes every `every_s` seconds."""
    def fault(conn: socket.socket, request: RawRequest, outlet: FaultyOutlet) -> None:
        send_head(conn, 200, {"Content-Type": "application/rss+xml", "Content-Length": str(len(body))})
        for start in range(0, len(body), size):
            if outlet.stopping.wait(every_s):
                return
            conn.sendall(body[start:start + size])
    return fault


def reset_mid_body(body: bytes) -> Fault:
    """Promise the whole body, send half of it, then reset the connection."""
    def fault(conn: socket.socket, request: RawRequest, outlet: FaultyOutlet) -> None:
        send_head(conn, 200, {"Content-Type": "application/rss+xml", "Content-Length": str(len(body))})
        conn.sendall(body[:len(body) // 2])
        time.sleep(0.05)
        reset(conn)
    return fault


def wrong_length(body: bytes, claimed: int) -> Fault:
    """Declare `claimed` bytes of Content-Length, send `body`, and close."""
    def fault(conn: socket.socket, request: RawRequest, outlet: FaultyOutlet) -> None:
        send_head(conn, 200, {"Content-Type": "application/rss+xml", "Content-Length": str(claimed)})
        conn.sendall(body)
    return fault


def truncated_gzip(body: bytes) -> Fault:
    """A gzip body cut off before its end, with an honest length for what is sent."""
    packed = gzip.compress(body)
    cut = packed[:len(packed) * 2 // 3]

    def fault(conn: socket.socket, request: RawRequest, outlet: FaultyOutlet) -> None:
        send(conn, 200, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}, cut)
    return fault


@functools.cache
def bomb_bytes(coding: str, expanded: int) -> bytes:
    """`expanded` bytes of 'A' compressed with gzip or deflate (about 1000:1), made once."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS)
    block = b"A" * MB
    parts = [packer.compress(block) for _ in range(expanded // MB)]
    return b"".join(parts) + packer.flush()


def bomb(coding: str = "gzip", expanded: int = 256 * MB) -> Fault:
    """A small compressed body (about 250 KB) that inflates to `expanded` bytes."""
    packed = bomb_bytes(coding, expanded)  # made now, so that serving it takes no time

    def fault(conn: socket.socket, request: RawRequest, outlet: FaultyOutlet) -> None:
        send(conn, 200, {"Content-Type": "application/rss+xml", "Content-Encoding": coding}, packed)
    return fault


def endless(size: int = 100 * MB, *, declare: bool = False, chunk: int = 64 * 1024) -> Fault:
    """Stream `size` bytes of XML-ish filler; with `declare`, say so in Content-Length up front."""
    piece = (b"<item><title>x</title></item>" * (chunk // 29 + 1))[:chunk]

    def fault(conn: socket.socket, request: RawRequest, outlet: FaultyOutlet) -> None:
        headers = {"Content-Type": "application/rss+xml"}
        if declare:
            headers["Content-Length"] = str(size)
        send_head(conn, 200, headers)  # without a length the body ends when we close
        sent = 0
        while sent < size and not outlet.stopping.is_set():
            conn.sendall(piece)
            sent += len(piece)
    return fault


def status(code: int, retry_after: str | None = None, body: bytes = b"busy") -> Fault:
    """An error status, optionally with Retry-After."""
    headers = {"Content-Type": "text/plain"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after

    def fault(conn: socket.socket, request: RawRequest, outlet: FaultyOutlet) -> None:
        send(conn, code, headers, body)
    return fault


def redirect(location: str, code: int = 302) -> Fault:
    """Send the client to `location` (a path on this outlet, or any URL)."""
    def fault(conn: socket.socket, request: RawRequest, outlet: FaultyOutlet) -> None:
        target = outlet.url(location) if location.startswith("/") else location
        send(conn, code, {"Location": target}, b"")
    return fault


def changing_etag(body: bytes) -> Fault:
    """The same body under a new ETag every time, and never a 304."""
    def fault(conn: socket.socket, request: RawRequest, outlet: FaultyOutlet) -> None:
        send(conn, 200, {"Content-Type": "application/rss+xml", "ETag": f'"{time.monotonic_ns()}"'}, body)
    return fault


def in_turn(*faults: Fault) -> Fault:
    """The first request gets `faults[0]`, the next `faults[1]`...; the last one repeats."""
    queue: Iterator[Fault] = iter(faults)
    last = [faults[-1]]
    lock = threading.Lock()

    def fault(conn: socket.socket, request: RawRequest, outlet: FaultyOutlet) -> None:
        with lock:
            last[0] = next(queue, last[0])
            chosen = last[0]
        chosen(conn, request, outlet)
    return fault
