"""Site build benchmark: full build (1 and 2 workers) and incremental build after +100 articles.

usage: python bench/site_build.py [N ...]   (default 1000 10000; try 100000)
Each size runs in a fresh process so peak RSS (ru_maxrss) is that build's own.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdesk.config import SiteConfig
from newsdesk.models import Article, SafeHtml
from newsdesk.site.build import build_site
from newsdesk.store import open_store

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BODY = SafeHtml("<p>" + "清远供电局公共服务评价稳居榜首，市场消息与数据。" * 40 + "</p>")


def articles(start: int, count: int) -> list[Article]:
    return [Article(source=f"outlet{i % 300}", id=f"A{i:07d}", outlet=f"媒体{i % 300}", category=f"outlet{i % 300}",
                    title=f"第{i}条新闻：市场消息", link=f"https://example.com/{i}",
                    published_at=T0 + timedelta(minutes=3 * i), body_html=BODY) for i in range(start, start + count)]


def one(n: int, workers: int, root: Path) -> dict[str, float]:
    store_path = root / "bench.db"
    with open_store(store_path) as store:
        if store.count_articles() == 0:
            for start in range(0, n, 5000):
                store.upsert(articles(start, min(5000, n - start)), T0)
        site = SiteConfig(output=root / f"public{workers}", workers=workers, latest_poll_s=60)
        started = time.perf_counter()
        build_site(store, site, full=True)
        full_s = time.perf_counter() - started
        store.upsert(articles(n + 1_000_000 * workers, 100), T0 + timedelta(days=1))
        started = time.perf_counter()
        report = build_site(store, site)
        incr_s = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"articles": n, "workers": workers, "full_s": round(full_s, 2), "incremental_s": round(incr_s, 2),
            "incremental_written": report.written, "peak_rss_mb": round(rss_mb)}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        n, workers = int(sys.argv[2]), int(sys.argv[3])
        print(json.dumps(one(n, workers, Path(sys.argv[4]))))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print("| articles | workers | full build s | incremental (+100) s | files rewritten | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            for workers in (1, 2):
                done = subprocess.run([sys.executable, __file__, "--one", str(n), str(workers), tmp],
                                      capture_output=True, text=True, check=True)
                r = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"| {n:,} | {workers} | {r['full_s']} | {r['incremental_s']} | {r['incremental_written']} "
                      f"| {r['peak_rss_mb']} |", flush=True)


if __name__ == "__main__":
    main()
