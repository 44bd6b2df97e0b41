"""A loopback HTTP server standing in for outlets; tests register routes on it.

Each route is a function `(request) -> Response | None`; a handler may also write
to `request.wfile` itself (misbehaving on purpose) and return None.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Response:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["Request"], "Response | None"]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    handler: BaseHTTPRequestHandler

    @property
    def wfile(self):  # type: ignore[no-untyped-def]
        return self.handler.wfile

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class Outlet:
    """A threaded server on 127.0.0.1 with a route table and a request log."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        outlet = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path
                request = Request("GET", path, dict(self.headers.items()), self)
                with outlet._lock:
                    outlet.requests.append(request)
                handler = outlet.routes.get(path) or outlet.routes.get(path.split("?", 1)[0])
                if handler is None:
                    response: Response | None = Response(b"not found", 404)
                else:
                    try:
                        response = handler(request)
                    except (BrokenPipeError, ConnectionResetError):
                        return
                if response is None:
                    self.close_connection = True
                    return
                try:
                    self.send_response(response.status)
                    headers = {"Content-Length": str(len(response.body)), **response.headers}
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, handler: Handler) -> str:
        """Register `handler` for `path`; returns the full URL."""
        self.routes[path] = handler
        return self.url(path)

    def serve(self, path: str, body: bytes | str, status: int = 200, content_type: str = "application/xml",
              headers: dict[str, str] | None = None) -> str:
        """Serve a fixed body at `path`; returns the full URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        all_headers = {"Content-Type": content_type, **(headers or {})}
        return self.route(path, lambda request: Response(data, status, all_headers))

    def hits(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path.split("?", 1)[0]]

    def start(self) -> "Outlet":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
