"""A small static HTTP server for the built site (`newsdesk serve`, the demo)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from newsdesk.errors import UsageError


class _SiteHandler(SimpleHTTPRequestHandler):
    """Serves files of one folder; answers unknown paths with the site's 404 page."""

    # the base class declares it as an instance variable (typeshed), so no ClassVar here
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,  # noqa: RUF012
                      ".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8",
                      ".json": "application/json; charset=utf-8", ".css": "text/css; charset=utf-8",
                      ".js": "text/javascript; charset=utf-8", ".txt": "text/plain; charset=utf-8"}

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per request would drown the demo's own output

    def send_head(self):  # type: ignore[no-untyped-def]  # typeshed leaves it untyped
        # dot files are bookkeeping (the build state, temp files), never pages
        if any(part.startswith(".") for part in self.path.split("?", 1)[0].split("/")):
            self.send_error(404)
            return None
        return super().send_head()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)


def make_server(folder: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server for `folder` bound to host:port; raises UsageError when the port is taken."""
    handler = partial(_SiteHandler, directory=str(folder))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror} (choose another --port)") from exc
    server.daemon_threads = True
    return server


def server_url(server: ThreadingHTTPServer) -> str:
    """The http:// address a server listens on."""
    host, port = server.server_address[:2]
    name = host.decode() if isinstance(host, bytes) else host
    return f"http://{name}:{port}/"


def serve_in_thread(folder: Path, host: str, port: int) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start serving `folder` in a background thread; stop with `server.shutdown()`."""
    server = make_server(folder, host, port)
    thread = threading.Thread(target=server.serve_forever, name="newsdesk-serve", daemon=True)
    thread.start()
    return server, thread


def serve_forever(folder: Path, host: str, port: int, *, on_ready: Callable[[str], None]) -> None:
    """Serve `folder` until interrupted."""
    server = make_server(folder, host, port)
    on_ready(server_url(server))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
