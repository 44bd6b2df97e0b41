"""Benchmark: `export jekyll` of 10,000 posts (first export, unchanged re-export), optionally `jekyll build`.

Run: `python bench/export_jekyll.py [--posts 10000] [--jekyll-posts 2000]`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdesk.config import SiteConfig
from newsdesk.jekyll.export import export_jekyll
from newsdesk.models import Article, SafeHtml
from newsdesk.store import open_store

OUTLETS = ["南方Plus", "21世纪经济报道", "央视新闻客户端", "证券时报", "东财滚动", "财联社", "第一财经", "中国基金报"]
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def articles(count: int) -> list[Article]:
    """`count` synthetic articles spread over 30 days, eight outlets."""
    result = []
    for n in range(count):
        outlet = OUTLETS[n % len(OUTLETS)]
        body = "".join(f"<p>第{p}段：{outlet}消息，沪深两市今日成交额{n % 997}亿元，板块轮动明显。</p>" for p in range(6))
        result.append(Article(
            source=outlet, id=f"NW{202600000000000000 + n}", outlet=outlet, category=f"c{n % len(OUTLETS)}",
            title=f"{outlet}：第{n}条“要闻” 指数收涨{n % 100 / 10:.1f}%", link=f"http://example.com/{n}.html",
            published_at=NOW - timedelta(minutes=4 * n), body_html=SafeHtml(body), summary=f"摘要{n}"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--jekyll-posts", type=int, default=0, help="also time `jekyll build` on this many")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-bench-jekyll-"))
    site = SiteConfig(title="bench", base_url="https://news.example.com", output=folder / "public")
    try:
        with open_store(folder / "store.db") as store:
            store.upsert(articles(args.posts), NOW)
            dest = folder / "jekyll"
            t0 = time.perf_counter()
            first = export_jekyll(store, site, dest, now=NOW)
            first_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = export_jekyll(store, site, dest, now=NOW)
            again_s = time.perf_counter() - t0
        live = len(list((dest / "_posts").glob("*.md")))
        print(json.dumps({"posts": args.posts, "export_s": round(first_s, 2), "files": first.written,
                          "posts_per_s": round(args.posts / first_s), "reexport_unchanged_s": round(again_s, 2),
                          "reexport_written": again.written, "live_posts": live}))
        if args.jekyll_posts and shutil.which("jekyll"):
            small = folder / "small"
            with open_store(folder / "small.db") as store:
                store.upsert(articles(args.jekyll_posts), NOW)
                export_jekyll(store, site, small, now=NOW)
            t0 = time.perf_counter()
            subprocess.run(["jekyll", "build", "--quiet", "-s", str(small), "-d", str(folder / "_site")],
                           check=True, capture_output=True)
            print(json.dumps({"jekyll_build_posts": args.jekyll_posts,
                              "jekyll_build_s": round(time.perf_counter() - t0, 2)}))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
