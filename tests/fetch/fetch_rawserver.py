"""A raw TCP server on 127.0.0.1 for outlets that break HTTP in ways http.server cannot.

Each connection runs `script(conn, head, server)` in its own thread, after the request
head (up to the blank line) has been read; the script writes whatever it likes.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable

Script = Callable[[socket.socket, bytes, "RawServer"], None]


class RawServer:
    """Accepts connections and hands each one to `script`; counts requests and concurrency."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.heads: list[bytes] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            with self._lock:
                self.heads.append(head)
            self.script(conn, head, self)
        except OSError:
            pass  # the client gave up on us, which is often the point of the test
        finally:
            conn.close()

    def stop(self) -> None:
        self.stopping.set()
        self._listener.close()
        with self._lock:
            for conn in self._conns:
                try:
                    conn.close()
                except OSError:
                    pass


def reset(conn: socket.socket) -> None:
    """Close `conn` with a TCP RST instead of a FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
