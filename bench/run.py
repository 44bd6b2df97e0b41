"""Benchmarks for BENCHMARKS.md: fetch+store throughput and site build time, side by side.

Run: `make bench` (or `python bench/run.py`). Everything is served on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import feedmaker  # noqa: E402
from loopback import Outlet  # noqa: E402

from newsdesk import pipeline  # noqa: E402
from newsdesk.config import load_config  # noqa: E402
from newsdesk.demo.newswire import Newswire, write_demo_config  # noqa: E402
from newsdesk.store import open_store  # noqa: E402

KINDS = ["rss2", "atom10", "jsonfeed", "rss1"]


def feeds_config(folder: Path, outlet: Outlet, feeds: int, per_feed: int, concurrency: int) -> Path:
    lines = ['[site]', 'title = "bench"', 'output = "public"', "[fetch]", f"concurrency = {concurrency}",
             f"per_host = {concurrency}"]
    for n in range(feeds):
        kind = KINDS[n % len(KINDS)]
        body = feedmaker.FORMATS[kind](feedmaker.entries(f"b{n}", per_feed, outlet=f"源{n}"), title=f"源{n}")
        url = outlet.serve(f"/bench/{n}", body)
        lines += ["[[sources]]", f'name = "源{n}"', f'url = "{url}"']
    path = folder / "newsdesk.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bench_fetch(feeds: int, per_feed: int, concurrency: int) -> dict[str, object]:
    outlet = Outlet().start()
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    try:
        config = load_config(feeds_config(folder, outlet, feeds, per_feed, concurrency))
        with open_store(config.store.path) as store:
            t0 = time.perf_counter()
            reports = pipeline.fetch(config, store)
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            pipeline.fetch(config, store)
            second = time.perf_counter() - t0
            stored = store.count_articles()
            t0 = time.perf_counter()
            built = pipeline.build(config, store)
            build_s = time.perf_counter() - t0
        assert sum(r.new for r in reports) == feeds * per_feed == stored
        return {"case": f"{feeds} feeds x {per_feed}, concurrency {concurrency}", "articles": stored,
                "fetch_store_s": round(first, 3), "articles_per_s": round(stored / first, 1),
                "refetch_unchanged_s": round(second, 3), "build_s": round(build_s, 3),
                "files": built.written}
    finally:
        outlet.stop()
        shutil.rmtree(folder, ignore_errors=True)


def bench_demo_build() -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-bench-demo-"))
    wire = Newswire().start()
    try:
        config = load_config(write_demo_config(folder, wire))
        with open_store(config.store.path) as store:
            pipeline.fetch(config, store)
            t0 = time.perf_counter()
            full = pipeline.build(config, store)
            full_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = pipeline.build(config, store)
            again_s = time.perf_counter() - t0
        return {"case": "demo site", "articles": full.articles, "build_s": round(full_s, 3),
                "files": full.written, "rebuild_unchanged_s": round(again_s, 3),
                "rebuild_written": again.written}
    finally:
        wire.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-feed", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps({"date": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
                      "machine": f"{platform.machine()} {platform.processor() or ''}".strip()}))
    for concurrency in (1, 16):
        print(json.dumps(bench_fetch(20, args.per_feed, concurrency), ensure_ascii=False))
    print(json.dumps(bench_demo_build(), ensure_ascii=False))


if __name__ == "__main__":
    main()
