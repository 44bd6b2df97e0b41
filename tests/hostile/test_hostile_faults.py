"""Every fault of the FaultyOutlet through the real pipeline: bounded, reported, harmless to the rest.

Each case runs `pipeline.fetch` over two sources on one loopback outlet, a healthy one
and a faulty one, and checks: the fetch ends within a generous bound, the faulty source
is failed with the exact one-line reason (or, for faults that are survivable, stored
correctly), the healthy source stores all its entries, and a second run stores nothing
twice.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_world import assert_no_duplicates, fetch_all, load, stored_ids, write_config

import faults
import feedmaker
from faults import FaultyOutlet

GOOD = feedmaker.rss2(feedmaker.entries("good", 3, outlet="好"))
FEED = feedmaker.rss2(feedmaker.entries("bad", 4, outlet="坏"))


@dataclass(frozen=True)
class Case:
    fault: Callable[[], faults.Fault]
    reason: str | None  # the exact error; None when the source must succeed
    bound_s: float = 15.0  # generous: the fetch timeout is 2 s, retries 1
    stored: int = 0  # articles of the faulty source stored after the first run


GBK_LIE = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>' \
          '<item><guid>gbk-1</guid><title>沪指收涨</title><description>正文</description></item>' \
          '</channel></rss>'

CASES = {
    "hang-before-headers": Case(lambda: faults.hang(), "timed out after 2 s"),
    "drip-bytes": Case(lambda: faults.drip(FEED, every_s=0.05), "timed out after 2 s"),
    "reset-mid-body": Case(lambda: faults.reset_mid_body(FEED), "connection reset by peer (after 2 attempts)"),
    "content-length-too-long": Case(lambda: faults.wrong_length(FEED, len(FEED) + 500),
                                    "connection closed before the whole body arrived (after 2 attempts)"),
    "truncated-gzip": Case(lambda: faults.truncated_gzip(FEED), "gzip body cut short"),
    "gzip-bomb": Case(lambda: faults.bomb("gzip"), "response larger than 10 MB"),
    "deflate-bomb": Case(lambda: faults.bomb("deflate"), "response larger than 10 MB"),
    "100-mb-undeclared": Case(lambda: faults.endless(100 * faults.MB), "response larger than 10 MB"),
    "100-mb-declared": Case(lambda: faults.endless(100 * faults.MB, declare=True), "response larger than 10 MB"),
    "429-retry-after-long": Case(lambda: faults.status(429, "3600"), "rate limited (429), retry after 3600 s"),
    "503-retry-after-long": Case(lambda: faults.status(503, "86400"),
                                 "HTTP 503 Service Unavailable, retry after 86400 s"),
    "503-retry-after-short": Case(lambda: faults.in_turn(faults.status(503, "1"), faults.ok(FEED)), None,
                                  stored=4),
    "redirect-loop": Case(lambda: faults.redirect("/bad"), "too many redirects (more than 5)"),
    "changing-etag": Case(lambda: faults.changing_etag(FEED), None, stored=4),
    "invalid-utf8": Case(lambda: faults.ok(FEED.replace("第1条".encode(), b"\xff\xfe\xfa")), None, stored=4),
    "charset-lies": Case(lambda: faults.ok(GBK_LIE.encode("gbk"), "application/rss+xml; charset=utf-8"), None,
                         stored=1),
}


@pytest.mark.parametrize("name", list(CASES))
def test_fault_costs_only_its_source(name: str, faulty: FaultyOutlet, tmp_path: Path) -> None:
    case = CASES[name]
    good = faulty.add("/good", faults.ok(GOOD))
    bad = faulty.add("/bad", case.fault())
    config = load(write_config(tmp_path, [("good", good), ("bad", bad)]))
    tracemalloc.start()
    try:
        run = fetch_all(config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"{name}: {run.elapsed_s:.2f} s, peak {peak / 1e6:.1f} MB, {run.reports['bad'].error}")
    assert run.elapsed_s < case.bound_s
    assert peak < 64 * faults.MB  # the body cap is 10 MB; nothing may hold a bomb's worth
    assert (run.reports["good"].status, run.reports["good"].new) == ("ok", 3)
    bad_report = run.reports["bad"]
    if case.reason is None:
        assert (bad_report.status, bad_report.error, bad_report.new) == ("ok", None, case.stored)
    else:
        assert (bad_report.status, bad_report.error) == ("failed", case.reason)
    assert len([r for r in stored_ids(config) if r[0] == "bad"]) == case.stored

    again = fetch_all(config)
    assert again.reports["good"].status in ("ok", "not_modified")
    assert again.reports["good"].new == 0
    assert again.reports["bad"].new == 0
    assert len(stored_ids(config)) == 3 + case.stored
    assert_no_duplicates(config)


def test_lying_charset_and_invalid_utf8_store_readable_text(faulty: FaultyOutlet, tmp_path: Path) -> None:
    """The XML prolog's encoding is wrong for GBK bytes, and another feed has bytes no codec reads."""
    broken = FEED.replace("第1条".encode(), b"\xff\xfe\xfa")
    urls = [faulty.add("/gbk", faults.ok(GBK_LIE.encode("gbk"), "application/rss+xml; charset=utf-8")),
            faulty.add("/broken", faults.ok(broken))]
    config = load(write_config(tmp_path, [("gbk", urls[0]), ("broken", urls[1])]))
    run = fetch_all(config)
    assert [run.reports[s].status for s in ("gbk", "broken")] == ["ok", "ok"]
    from newsdesk.store import open_store

    with open_store(config.store.path) as store:
        assert store.get_article("gbk", "gbk-1").article.title == "沪指收涨"  # type: ignore[union-attr]
        titles = sorted(s.article.title for s in store.iter_articles(source="broken"))
    assert len(titles) == 4
    assert all("\udcff" not in t and "\x00" not in t for t in titles)  # no lone surrogates reach the store
    assert sum("\ufffd" in t for t in titles) == 1  # the broken bytes show as replacement characters


def test_entries_that_change_ids_are_not_stored_twice(faulty: FaultyOutlet, tmp_path: Path) -> None:
    """The same four stories under new guids on every request (an outlet regenerating its feed)."""
    first = feedmaker.entries("run1", 4, outlet="坏")
    second = [feedmaker.Entry(guid=e.guid.replace("run1", "run2"), title=e.title, link=e.link,
                              published=e.published, body=e.body) for e in first]
    url = faulty.add("/feed", faults.in_turn(faults.ok(feedmaker.rss2(first)), faults.ok(feedmaker.rss2(second))))
    config = load(write_config(tmp_path, [("bad", url)]))
    assert fetch_all(config).reports["bad"].new == 4
    again = fetch_all(config).reports["bad"]
    assert again.status == "ok" and again.new == 0
    from newsdesk.store import open_store

    with open_store(config.store.path) as store:
        assert store.count_articles(source="bad") == 4
    assert_no_duplicates(config)


def test_full_text_redirect_to_private_address_is_refused(faulty: FaultyOutlet, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """An item link on a 'public' name that redirects to loopback: refused, the summary kept."""
    from newsdesk.fetch import client
    from newsdesk.fetch.client import Fetcher

    real_check, real_init = client.check_host, Fetcher.__init__

    async def pretend(host: str, port: int) -> None:
        if host != "localhost":  # stands in for a public host name
            await real_check(host, port)

    def init(self: Fetcher, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        self._check_peer = False  # the peer really is loopback here; the hop check is under test

    monkeypatch.setattr(client, "check_host", pretend)
    monkeypatch.setattr(Fetcher, "__init__", init)
    faulty.add("/secret", faults.ok(b"<p>cloud credentials</p>", "text/html"))
    faulty.add("/story", faults.redirect("/secret"))
    story = faulty.url("/story").replace("127.0.0.1", "localhost")
    entry = feedmaker.Entry("s-1", "标题", story, feedmaker.entries("x", 1)[0].published, "<p>摘要</p>")
    url = faulty.add("/feed", faults.ok(feedmaker.rss2([entry])))
    config = load(write_config(tmp_path, [("src", url)], extra_source_keys={"src": {"fulltext": True}}))
    report = fetch_all(config).reports["src"]
    assert (report.status, report.new) == ("ok", 1)
    assert report.warnings == (("full text of s-1: refusing private address 127.0.0.1 "
                                "(kept the summary, will retry)"),)
    assert faulty.hits["/story"] == 1 and faulty.hits["/secret"] == 0


def _late(body: bytes, delay_s: float) -> faults.Fault:
    def fault(conn, request, outlet):  # type: ignore[no-untyped-def]
        if not outlet.stopping.wait(delay_s):
            faults.send(conn, 200, {"Content-Type": "application/rss+xml"}, body)
    return fault


@pytest.mark.slow
def test_a_feed_slow_to_parse_does_not_time_out_the_others(faulty: FaultyOutlet, tmp_path: Path) -> None:
    """20,000 entries take seconds to parse; another outlet answering in 0.5 s must not time out meanwhile."""
    entries = "".join(f"<item><guid>g{i}</guid><title>标题{i}</title><link>https://e.example/{i}</link>"
                      f"<pubDate>Fri, 20 Nov 2026 09:30:00 +0800</pubDate><description>正文{i}</description></item>"
                      for i in range(20_000))
    big = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{entries}' \
          "</channel></rss>"
    urls = [faulty.add("/big", faults.ok(big.encode())), faulty.add("/late", _late(GOOD, 0.5))]
    config = load(write_config(tmp_path, [("big", urls[0]), ("late", urls[1])], max_bytes=50_000_000))
    run = fetch_all(config)
    print(f"20,000-entry feed beside a 0.5 s outlet: {run.elapsed_s:.1f} s")
    assert (run.reports["big"].status, run.reports["big"].new) == ("ok", 20_000)
    assert (run.reports["late"].status, run.reports["late"].error, run.reports["late"].new) == ("ok", None, 3)
