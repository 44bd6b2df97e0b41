"""Peak memory of indexing one month of search segments, each run in a fresh process.

usage: python bench/search_memory.py [N ...]   (default 14400: one month of the 100,000-article bench site)
       python bench/search_memory.py --corpus zipf [N ...]

N articles one every 3 minutes in January 2024 (bench/site_build.py's corpus: 14,400 is
its month), plus one article in February so January is an older month. The month's
segments, as `search.segments_of` cuts them, are indexed and written one after another
(as a worker would) straight from their texts, without a store. Reported: RSS before
indexing (texts loaded), peak RSS (ru_maxrss) and their difference, and the segments.
`--corpus zipf` uses bench/search_corpus.py's varied Chinese sentences instead of
site_build.py's one repeated sentence.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdesk.site import search
from newsdesk.site.plan import ArticleRef as Ref  # the refs a build indexes

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BODY = "<p>" + "清远供电局公共服务评价稳居榜首，市场消息与数据。" * 40 + "</p>"


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def one(n: int, corpus: str, out: Path) -> dict[str, object]:
    """Index the month of n articles in this process; figures in MB."""
    bodies: dict[str, str] = {}
    refs: list[Ref] = []
    if corpus == "zipf":
        sys.path.insert(0, str(Path(__file__).parent))
        from search_corpus import Writer

        writer = Writer(4)
    for i in range(n):
        aid = f"A{i:07d}"
        refs.append(Ref(source=f"outlet{i % 300}", id=aid, outlet=f"媒体{i % 300}", category=f"outlet{i % 300}",
                        title=writer.title() if corpus == "zipf" else f"第{i}条新闻：市场消息",
                        published_at=T0 + timedelta(minutes=3 * i * 14_400 // max(n, 1)), revision=1,
                        path=f"outlet{i % 300}/{aid}.html"))
        bodies[aid] = writer.body() if corpus == "zipf" else BODY
    refs.append(Ref(source="late", id="late", outlet="late", category="late", title="二月", published_at=datetime(2024, 2, 15, tzinfo=UTC),
                    revision=1, path="late/late.html"))
    by_segment = search.segments_of(refs, UTC)
    months = sorted(s for s in by_segment if s.startswith("2024-01"))
    before = _rss_mb()
    started = time.perf_counter()
    for segment in months:
        members = sorted(by_segment[segment], key=lambda r: (r.published_at, r.source, r.id), reverse=True)
        texts = tuple((r.title, None, bodies[r.id]) for r in members)
        rows = tuple((r.path, r.title, r.outlet, f"{r.published_at:%Y-%m-%d %H:%M}") for r in members)
        search.write_segment(search.SegmentJob(out, f"{segment}.bench", texts, rows))
        del texts, rows
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"articles": n, "corpus": corpus, "segments": len(months),
            "largest_segment": max(len(by_segment[s]) for s in months),
            "rss_before_mb": round(before), "peak_rss_mb": round(peak), "indexing_mb": round(peak - before),
            "seconds": round(seconds, 1)}


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--one"]:
        print(json.dumps(one(int(args[1]), args[2], Path(args[3]))))
        return
    if any(a in ("-h", "--help") for a in args):
        print(__doc__)
        return
    corpus = "site"
    if args[:1] == ["--corpus"]:
        corpus, args = args[1], args[2:]
    sizes = [int(a) for a in args] or [14_400]
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            done = subprocess.run([sys.executable, __file__, "--one", str(n), corpus, tmp],
                                  check=True, capture_output=True, text=True)
        print(done.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
