"""One-line, user-actionable reasons for what went wrong with a request."""

from __future__ import annotations

import errno
import re
import socket
from http import HTTPStatus

import httpx

_ERRNO_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by peer",
    errno.ECONNABORTED: "connection aborted",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "no route to host",
    errno.ETIMEDOUT: "timed out",
    errno.EPIPE: "connection closed by peer",
}
_ERRNO_PREFIX = re.compile(r"^\[Errno -?\d+\]\s*")


def human_size(n: int) -> str:
    """10_000_000 -> '10 MB', 1500 -> '1.5 KB'."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def seconds(value: float) -> str:
    """20.0 -> '20 s', 1.5 -> '1.5 s'."""
    return f"{value:g} s"


def http_status(code: int, phrase: str = "") -> str:
    """'HTTP 404 Not Found', using the standard phrase when the server sent none or an odd one."""
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        pass
    return f"HTTP {code} {phrase}".rstrip()


def transport_error(exc: httpx.TransportError, host: str, connect_timeout_s: float,
                    timeout_s: float) -> str:
    """A reason for an httpx network error: refused, reset, timed out, cut short..."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"cannot connect: timed out after {seconds(connect_timeout_s)}"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {seconds(timeout_s)}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "unsupported URL scheme (only http and https)"
    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc).lower()
        if "complete message body" in text:
            return "connection closed before the whole body arrived"
        if "without sending a response" in text:
            return "server closed the connection without answering"
        return f"server broke the HTTP protocol: {exc}"
    cause = _os_error(exc)
    if isinstance(cause, socket.gaierror):
        return f"cannot resolve host {host}"
    detail = _ERRNO_REASONS.get(cause.errno or 0) if cause is not None else None
    if detail is None:
        detail = _ERRNO_PREFIX.sub("", str(cause if cause is not None else exc)) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {detail}"
    return detail


def _os_error(exc: BaseException) -> OSError | None:
    """The innermost OSError with an errno behind `exc` (httpx wraps httpcore wraps anyio)."""
    found: OSError | None = None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            found = current
        current = current.__cause__ or current.__context__
    return found
