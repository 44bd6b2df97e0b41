"""Shared fixtures: a loopback outlet server, the shared corpus, sample configs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from faults import FaultyOutlet  # noqa: E402
from loopback import Outlet  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus" / "finews"


@pytest.fixture
def outlet() -> Iterator[Outlet]:
    """A loopback HTTP server on 127.0.0.1 that tests fill with routes."""
    server = Outlet().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def corpus() -> Path:
    """../shared/corpus/finews, or a visible skip where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture
def faulty() -> Iterator[FaultyOutlet]:
    """A fault-injecting outlet on 127.0.0.1; hanging or dripping faults end with the test."""
    server = FaultyOutlet()
    try:
        yield server
    finally:
        server.stop()
