"""Huge feeds, huge entries and duplicate ids, through `python -m newsdesk fetch` with its peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_world import assert_no_duplicates, load, stored_ids, write_config

import faults
import feedmaker
from faults import FaultyOutlet

# runs the CLI in this interpreter, then reports the process's own peak RSS (KiB on Linux)
PEAK_RSS = ("import resource, sys\nfrom newsdesk.cli import main\ncode = main(sys.argv[1:])\n"
            "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
            "sys.exit(code)\n")


def fetch_measured(config_path: Path) -> tuple[dict[str, dict[str, object]], float, float]:
    """`newsdesk fetch --json` in a subprocess: reports by source, seconds, peak RSS in MB."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, "--config", str(config_path), "fetch", "--json"],
                          capture_output=True, text=True, timeout=280, check=False)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    peak = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK_KB"))
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {r["source"]: r for r in reports}, elapsed, peak / 1024


def minimal_rss(count: int, prefix: str) -> bytes:
    entries = "".join(f"<item><guid>{prefix}{i}</guid><title>标题{i}</title><link>https://e.example/{prefix}/{i}</link>"
                      f"<pubDate>Fri, 20 Nov 2026 09:30:00 +0800</pubDate><description>正文{i}</description></item>"
                      for i in range(count))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{entries}'
            "</channel></rss>").encode()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_feed_of_100000_entries_is_bounded(faulty: FaultyOutlet, tmp_path: Path) -> None:
    body = minimal_rss(100_000, "h")
    urls = [faulty.add("/huge", faults.ok(body)), faulty.add("/good", faults.ok(feedmaker.rss2(feedmaker.entries("g", 3))))]
    config_path = write_config(tmp_path, [("huge", urls[0]), ("good", urls[1])], max_bytes=100_000_000, timeout=60)
    reports, elapsed, peak_mb = fetch_measured(config_path)
    print(f"100,000 entries ({len(body) / 1e6:.0f} MB): {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB")
    assert (reports["huge"]["status"], reports["huge"]["new"]) == ("ok", 100_000)
    assert (reports["good"]["status"], reports["good"]["new"]) == ("ok", 3)
    assert elapsed < 240 and peak_mb < 2048
    assert_no_duplicates(load(config_path))


def test_a_huge_single_entry_is_capped_by_the_body_limit(faulty: FaultyOutlet, tmp_path: Path) -> None:
    """One entry of 8 MB of text fits under the default 10 MB cap; it is stored, the run is bounded."""
    body = ("<p>" + "沪指" * 1_300_000 + "</p>")
    entry = feedmaker.Entry("one", "巨大", "https://e.example/one", feedmaker.entries("x", 1)[0].published, body)
    huge = feedmaker.rss2([entry])
    assert 7_000_000 < len(huge) < 10_000_000
    config_path = write_config(tmp_path, [("one", faulty.add("/one", faults.ok(huge)))], timeout=30)
    reports, elapsed, peak_mb = fetch_measured(config_path)
    print(f"one entry of {len(huge) / 1e6:.1f} MB: {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB")
    assert (reports["one"]["status"], reports["one"]["new"]) == ("ok", 1)
    assert elapsed < 120 and peak_mb < 1024


def test_duplicate_ids_in_one_feed_store_the_first_once(faulty: FaultyOutlet, tmp_path: Path) -> None:
    items = feedmaker.entries("d", 3)
    twin = feedmaker.Entry(items[0].guid, "同一个id的另一条", "https://e.example/twin", items[0].published, "<p>x</p>")
    url = faulty.add("/dup", faults.ok(feedmaker.rss2([items[0], twin, items[1], items[2], items[1]])))
    config_path = write_config(tmp_path, [("dup", url)])
    reports, _, _ = fetch_measured(config_path)
    assert (reports["dup"]["status"], reports["dup"]["new"]) == ("ok", 3)
    assert reports["dup"]["warnings"] == ["item 2: duplicate id 'd-0' in one response, kept the first",
                                          "item 5: duplicate id 'd-1' in one response, kept the first"]
    config = load(config_path)
    assert stored_ids(config) == [("dup", "d-0"), ("dup", "d-1"), ("dup", "d-2")]
    from newsdesk.store import open_store

    with open_store(config.store.path) as store:
        kept = store.get_article("dup", "d-0")
    assert kept is not None and kept.article.link == items[0].link  # the first, not its twin
