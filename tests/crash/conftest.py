"""Fixtures for the crash and concurrency tests: the fault-injecting outlet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from faults import FaultyOutlet


@pytest.fixture
def faulty() -> Iterator[FaultyOutlet]:
    """A FaultyOutlet on 127.0.0.1, stopped after the test."""
    outlet = FaultyOutlet()
    try:
        yield outlet
    finally:
        outlet.stop()
