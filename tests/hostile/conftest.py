"""Fixtures for the hostile-world tests: a fault-injecting outlet that stops after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from faults import FaultyOutlet


@pytest.fixture
def faulty() -> Iterator[FaultyOutlet]:
    """A FaultyOutlet on 127.0.0.1; every hanging or dripping fault ends when the test does."""
    outlet = FaultyOutlet()
    try:
        yield outlet
    finally:
        outlet.stop()
