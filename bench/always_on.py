"""Benchmarks for `newsdesk run` (BENCHMARKS.md): freshness, memory over many cycles, git repository size.

Run: `python bench/always_on.py [--interval 10] [--samples 12] [--cycles 1000]`.
Everything is served on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from livewire import LiveFeed, article_pages, newsdesk, wait_for, write_config  # noqa: E402
from loopback import Outlet  # noqa: E402

from newsdesk.config import load_config, parse_config  # noqa: E402
from newsdesk.models import Article, SafeHtml  # noqa: E402
from newsdesk.publish import publish  # noqa: E402
from newsdesk.schedule import run_cycle  # noqa: E402
from newsdesk.site.build import build_site  # noqa: E402
from newsdesk.store import open_store  # noqa: E402


def freshness(interval_s: float, samples: int) -> list[float]:
    """Seconds from an outlet publishing to the article page existing, under `newsdesk run`."""
    outlet = Outlet().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            feeds = [LiveFeed(outlet, f"/f{n}.xml", f"f{n}") for n in range(5)]
            for feed in feeds:
                feed.publish(20)
            config = write_config(root, feeds, interval=f"{interval_s}s")
            proc = newsdesk("--config", str(config), "run", "--tick", "0.2")
            try:
                output = root / "public"
                wait_for(lambda: len(article_pages(output)) == 100, 120)
                delays = []
                for _ in range(samples):
                    time.sleep(random.uniform(0, interval_s))  # any phase of the poll interval
                    feed = random.choice(feeds)
                    (guid,) = feed.publish(1)
                    wait_for(lambda: guid in article_pages(output), interval_s * 4 + 30, every_s=0.01)
                    delays.append(time.time() - feed.published_at[guid])
                return delays
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.communicate(timeout=30)
    finally:
        outlet.stop()


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory(cycles: int) -> list[tuple[int, float]]:
    """Resident memory of one process running `cycles` scheduler cycles (a new article every 10th)."""
    outlet = Outlet().start()
    points = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            feeds = [LiveFeed(outlet, f"/f{n}.xml", f"f{n}") for n in range(5)]
            for feed in feeds:
                feed.publish(20)
            config = load_config(write_config(root, feeds))
            with open_store(config.store.path) as store:
                for cycle in range(1, cycles + 1):
                    if cycle % 10 == 0:
                        feeds[cycle % 5].publish(1)
                    run_cycle(config, store, sources=config.sources, force_build=cycle == 1, publish=True)
                    outlet.requests.clear()  # the test server's own request log is not newsdesk's memory
                    if cycle in (1, 10, 100) or cycle % (cycles // 5 or 1) == 0:
                        points.append((cycle, _rss_mib()))
    finally:
        outlet.stop()
    return points


def _article(n: int) -> Article:
    return Article(source="wire", id=f"a{n}", outlet="wire", category="wire", title=f"第{n}条 快讯 市场动态",
                   link=f"https://example.com/{n}", published_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=n),
                   body_html=SafeHtml("<p>" + f"正文 {n} 沪指上涨，成交放量。" * 40 + "</p>"))


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def repository(cycles: int, keep: str) -> tuple[int, int, int, int]:
    """(local repo, remote after gc, output folder, commits) after `cycles` publishes with 2 new articles each."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        remote = root / "remote.git"
        subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
        text = (f'[site]\noutput = "public"\ntimezone = "UTC"\n[store]\npath = "s.db"\n'
                f'[publish]\ntarget = "git"\nremote = "{remote}"\nkeep_history = "{keep}"\n'
                '[[sources]]\nname = "wire"\nurl = "http://127.0.0.1/x"\n')
        config = parse_config(text, root / "newsdesk.toml")
        with open_store(config.store.path) as store:
            store.upsert([_article(n) for n in range(300)], datetime.now(UTC))
            for cycle in range(cycles):
                store.upsert([_article(300 + 2 * cycle), _article(301 + 2 * cycle)], datetime.now(UTC))
                build_site(store, config.site)
                publish(config, (2, 0))
        subprocess.run(["git", f"--git-dir={remote}", "gc", "-q", "--prune=now"], check=True)
        commits = int(subprocess.run(["git", f"--git-dir={remote}", "rev-list", "--count", "gh-pages"],
                                     capture_output=True, text=True, check=True).stdout)
        return _du(config.publish.repo), _du(remote), _du(config.site.output), commits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--samples", type=int, default=12)
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--git-cycles", type=int, default=50)
    parser.add_argument("--skip", action="append", default=[], choices=["freshness", "memory", "git"])
    args = parser.parse_args()
    random.seed(6)
    if "freshness" not in args.skip:
        delays = freshness(args.interval, args.samples)
        cuts = statistics.quantiles(delays, n=20, method="inclusive")
        print(f"freshness, {args.interval:g} s interval, {len(delays)} articles: p50 {statistics.median(delays):.2f} s,"
              f" p95 {cuts[18]:.2f} s, max {max(delays):.2f} s")
    if "memory" not in args.skip:
        started = time.monotonic()
        points = memory(args.cycles)
        print(f"memory over {args.cycles} cycles ({time.monotonic() - started:.0f} s): "
              + ", ".join(f"cycle {c}: {m:.1f} MiB" for c, m in points)
              + f"; peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB")
    if "git" not in args.skip:
        for keep in ("full", "squash"):
            local, remote, output, commits = repository(args.git_cycles, keep)
            print(f"git {keep}, {args.git_cycles} cycles: local repo {local / 2**20:.2f} MiB, remote after gc"
                  f" {remote / 2**20:.2f} MiB, {commits} commits; site {output / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
