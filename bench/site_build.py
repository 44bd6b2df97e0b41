"""Site build benchmark: full build (1 and 2 workers), incremental build after +100 articles, peak memory.

usage: python bench/site_build.py [N ...]   (default 1000 10000; try 100000)
The corpus is written by one process, then each build runs in a fresh process so its
peak RSS (ru_maxrss) is that build's own; worker processes are reported separately.
CPU is user+system time of the build process and its workers together.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdesk.config import SiteConfig
from newsdesk.models import Article, SafeHtml
from newsdesk.site.build import build_site
from newsdesk.store import open_store

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BODY = SafeHtml("<p>" + "清远供电局公共服务评价稳居榜首，市场消息与数据。" * 40 + "</p>")
OUTLETS = 300


def articles(start: int, count: int, prefix: str = "A") -> list[Article]:
    """Articles start..start+count, one every 3 minutes, round-robin over the outlets."""
    return [Article(source=f"outlet{i % OUTLETS}", id=f"{prefix}{i:07d}", outlet=f"媒体{i % OUTLETS}",
                    category=f"outlet{i % OUTLETS}", title=f"第{i}条新闻：市场消息", link=f"https://example.com/{i}",
                    published_at=T0 + timedelta(minutes=3 * i), body_html=BODY) for i in range(start, start + count)]


def make_corpus(n: int, root: Path) -> None:
    """The store of n articles."""
    with open_store(root / "bench.db") as store:
        for start in range(0, n, 5000):
            store.upsert(articles(start, min(5000, n - start)), T0)


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def one(n: int, workers: int, root: Path) -> dict[str, float]:
    """Full build with `workers`, then +100 articles (right after the newest) and an incremental build."""
    with open_store(root / "bench.db") as store:
        site = SiteConfig(output=root / f"public{workers}", workers=workers, latest_poll_s=60)
        started, cpu = time.perf_counter(), _cpu()
        build_site(store, site, full=True)
        full_s, full_cpu = time.perf_counter() - started, _cpu() - cpu
        # news arrives after the newest article: the +100 continue the corpus's timeline
        store.upsert(articles(n, 100, prefix=f"W{workers}-"), T0 + timedelta(days=1))
        started = time.perf_counter()
        report = build_site(store, site)
        incr_s = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker
    return {"articles": n, "workers": workers, "full_s": round(full_s, 2), "full_cpu_s": round(full_cpu, 1),
            "incremental_s": round(incr_s, 2), "incremental_written": report.written,
            "peak_rss_mb": round(own), "worker_rss_mb": round(child)}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--corpus":
        make_corpus(int(sys.argv[2]), Path(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        n, workers = int(sys.argv[2]), int(sys.argv[3])
        print(json.dumps(one(n, workers, Path(sys.argv[4]))))
        return
    if any(a in ("-h", "--help") for a in sys.argv[1:]) or not all(a.isdigit() for a in sys.argv[1:]):
        print(__doc__)
        return
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    print("| articles | bodies MB | workers | full build s | pages/s | CPU s | incremental (+100) s "
          "| files rewritten | peak RSS MB (main / largest worker) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, __file__, "--corpus", str(n), tmp], check=True)
            bodies_mb = n * len(BODY.encode("utf-8")) / 1e6
            for workers in (1, 2):
                done = subprocess.run([sys.executable, __file__, "--one", str(n), str(workers), tmp],
                                      capture_output=True, text=True, check=True)
                r = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"| {n:,} | {bodies_mb:.0f} | {workers} | {r['full_s']} | {n / r['full_s']:,.0f} "
                      f"| {r['full_cpu_s']} | {r['incremental_s']} | {r['incremental_written']} "
                      f"| {r['peak_rss_mb']} / {r['worker_rss_mb']} |", flush=True)


if __name__ == "__main__":
    main()
