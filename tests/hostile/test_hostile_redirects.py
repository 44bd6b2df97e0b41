"""Redirects from outlets: a public feed host may not send newsdesk to a private address."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_world import fetch_all, load, write_config

import faults
import feedmaker
from faults import FaultyOutlet

FEED = feedmaker.rss2(feedmaker.entries("r", 2))


@pytest.fixture
def localhost_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the name 'localhost' stand in for a public outlet host; 127.0.0.1 stays private."""
    from newsdesk.fetch import client

    real = client.check_host

    async def pretend(host: str, port: int) -> None:
        if host != "localhost":
            await real(host, port)

    monkeypatch.setattr(client, "check_host", pretend)


def test_public_feed_redirecting_to_a_private_address_fails(faulty: FaultyOutlet, tmp_path: Path,
                                                            localhost_is_public: None) -> None:
    faulty.add("/secret", faults.ok(FEED))
    start = faulty.add("/start", faults.redirect(faulty.url("/secret"))).replace("127.0.0.1", "localhost")
    good = faulty.add("/good", faults.ok(feedmaker.rss2(feedmaker.entries("g", 1))))
    config = load(write_config(tmp_path, [("moved", start), ("good", good)]))
    run = fetch_all(config)
    assert (run.reports["moved"].status, run.reports["moved"].error) == \
        ("failed", "refusing private address 127.0.0.1")
    assert faulty.hits["/secret"] == 0
    assert run.reports["good"].new == 1


def test_private_feed_may_redirect_inside_its_network(faulty: FaultyOutlet, tmp_path: Path) -> None:
    """A feed the config places on a private address (an intranet outlet) keeps working."""
    faulty.add("/new-home", faults.ok(FEED))
    start = faulty.add("/old-home", faults.redirect("/new-home", 301))
    run = fetch_all(load(write_config(tmp_path, [("intranet", start)])))
    assert (run.reports["intranet"].status, run.reports["intranet"].new) == ("ok", 2)
