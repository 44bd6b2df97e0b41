"""The fetch stage's small parts: address checks, Retry-After, backoff, sizes, body reader."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
from datetime import UTC, datetime

import pytest

from newsdesk.fetch.addresses import AddressRefused, check_address, check_host, is_public
from newsdesk.fetch.body import BadBody, BodyReader, BodyTooLarge
from newsdesk.fetch.limits import Slots, backoff_delay, parse_retry_after
from newsdesk.fetch.reasons import http_status, human_size


@pytest.mark.parametrize(("address", "public"), [
    ("127.0.0.1", False), ("127.8.9.10", False), ("10.1.2.3", False), ("172.16.0.1", False),
    ("192.168.1.1", False), ("169.254.169.254", False), ("0.0.0.0", False), ("100.64.0.1", False),
    ("224.0.0.1", False), ("239.255.255.250", False), ("255.255.255.255", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fd00:ec2::254", False), ("ff02::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),
    ("8.8.8.8", True), ("1.1.1.1", True), ("2606:4700:4700::1111", True), ("::ffff:8.8.8.8", True),
])
def test_is_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_check_address_names_the_host() -> None:
    with pytest.raises(AddressRefused, match=r"^refusing private address 10\.0\.0\.1 \(intranet\)$"):
        check_address("10.0.0.1", "intranet")


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "localhost", "169.254.169.254"])
def test_check_host_refuses_local_hosts(host: str) -> None:
    with pytest.raises(AddressRefused):
        asyncio.run(check_host(host, 80))


def test_check_host_passes_public_literal() -> None:
    asyncio.run(check_host("93.184.216.34", 80))  # a literal: no lookup, no network


@pytest.mark.parametrize(("value", "seconds"), [
    ("1", 1.0), (" 120 ", 120.0), ("0", 0.0), (None, None), ("soon", None), ("-5", None),
    ("Wed, 01 Jan 2025 00:01:00 GMT", 60.0), ("Tue, 31 Dec 2024 00:00:00 GMT", 0.0),
])
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_retry_after(value, now) == seconds


@pytest.mark.parametrize("attempt", [1, 2, 3, 4])
def test_backoff_grows_with_bounded_jitter(attempt: int) -> None:
    base = 0.5 * 2 ** (attempt - 1)
    for _ in range(50):
        assert base <= backoff_delay(attempt, 0.5) <= base * 1.5


def test_slots_limit_per_host_and_globally() -> None:
    async def run() -> tuple[int, int]:
        slots = Slots(concurrency=3, per_host=2)
        running = {"a": 0, "b": 0, "all": 0}
        most = {"a": 0, "all": 0}

        async def work(host: str) -> None:
            async with slots.slot(host):
                running[host] += 1
                running["all"] += 1
                most["a"] = max(most["a"], running["a"])
                most["all"] = max(most["all"], running["all"])
                await asyncio.sleep(0.01)
                running[host] -= 1
                running["all"] -= 1

        await asyncio.gather(*(work(h) for h in "aaaaabbbbb"))
        return most["a"], most["all"]

    assert asyncio.run(run()) == (2, 3)


@pytest.mark.parametrize(("size", "text"), [
    (10_000_000, "10 MB"), (1_500_000, "1.5 MB"), (2048, "2.05 KB"), (999, "999 bytes"),
    (3_000_000_000, "3 GB"),
])
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize(("code", "phrase", "text"), [
    (404, "", "HTTP 404 Not Found"), (500, "Oops", "HTTP 500 Internal Server Error"),
    (599, "Custom", "HTTP 599 Custom"), (599, "", "HTTP 599"),
])
def test_http_status(code: int, phrase: str, text: str) -> None:
    assert http_status(code, phrase) == text


def test_body_reader_feeds_gzip_byte_by_byte() -> None:
    data = "新闻".encode() * 1000
    reader = BodyReader("gzip", 10_000)
    for byte in gzip.compress(data):
        reader.feed(bytes([byte]))
    assert reader.finish() == data


def test_body_reader_cap_counts_decompressed_bytes() -> None:
    reader = BodyReader("gzip", 5_000)
    with pytest.raises(BodyTooLarge):
        reader.feed(gzip.compress(bytes(5_001)))


def test_body_reader_empty_compressed_body_is_empty() -> None:
    assert BodyReader("gzip", 100).finish() == b""


def test_body_reader_refuses_stacked_encodings() -> None:
    with pytest.raises(BadBody, match="unsupported Content-Encoding gzip, gzip"):
        BodyReader("gzip, gzip", 100)
