"""Fixtures for the fetch tests: raw misbehaving servers and quick settings."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from fetch_rawserver import RawServer, Script

from loopback import Outlet


@pytest.fixture
def raw() -> Iterator[Callable[[Script], RawServer]]:
    """Start raw TCP servers running a script per connection; all stop after the test."""
    servers: list[RawServer] = []

    def start(script: Script) -> RawServer:
        server = RawServer(script)
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def outlet() -> Iterator[Outlet]:
    """The shared loopback outlet, polling for shutdown often so that teardown is quick."""
    server = Outlet()
    server.thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.02},
                                     daemon=True)
    # A client hanging up on purpose is the point of many tests, not an error to print.
    server.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    server.start()
    try:
        yield server
    finally:
        server.stop()
