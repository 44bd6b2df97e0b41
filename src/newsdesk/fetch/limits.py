"""Concurrency slots, retry delays and Retry-After parsing for the fetch stage."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRY_AFTER_CAP_S = 60.0
"""Never wait longer than this for one Retry-After, whatever the deadline allows."""


class Slots:
    """A global limit on requests in flight plus a smaller one per host."""

    def __init__(self, concurrency: int, per_host: int) -> None:
        self._global = asyncio.Semaphore(concurrency)
        self._per_host_limit = per_host
        self._per_host: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one per-host slot, then one global slot, for the body of the `async with`."""
        host_slots = self._per_host.get(host)
        if host_slots is None:
            host_slots = self._per_host[host] = asyncio.Semaphore(self._per_host_limit)
        # Host first: waiting on a busy host must not keep a global slot from other hosts.
        async with host_slots, self._global:
            yield


def backoff_delay(attempt: int, backoff_s: float) -> float:
    """Exponential delay before retry number `attempt` (1-based), with up to 50 % jitter."""
    base: float = backoff_s * 2.0 ** (attempt - 1)
    # Jitter keeps many sources that failed together from retrying in lockstep.
    return base + random.uniform(0, base / 2)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or HTTP date); None when unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())
