"""De-duplication quality and cost for BENCHMARKS.md.

Quality: precision and recall of near-duplicate detection on the labelled pairs in
tests/dedupe/fixtures/pairs.json, at several thresholds (the shipped one marked).
Cost: fingerprinting one article, and planning + storing batches into a store that
already holds many articles inside the comparison window (the LSH query path).

Run: `python bench/dedupe_pairs.py [--stored 5000] [--batch 100]`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdesk import dedupe, pipeline
from newsdesk.models import Article, SafeHtml
from newsdesk.store import open_store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
PAIRS = json.loads((ROOT / "tests/dedupe/fixtures/pairs.json").read_text(encoding="utf-8"))
NOW = datetime.now(UTC).replace(microsecond=0)


def _article(key: str, outlet: str, title: str, text: str, minutes: int = 0) -> Article:
    return Article(source="bench", id=key, outlet=outlet, category="c", title=title,
                   link=f"https://{outlet}.example.com/{key}.html", published_at=NOW - timedelta(minutes=minutes),
                   body_html=SafeHtml(f"<p>{text}</p>"))


def quality() -> list[tuple[float, float, float]]:
    """(threshold, precision, recall) rows over the labelled pairs."""
    arts = PAIRS["articles"]
    prints = {k: dedupe.fingerprint(_article(k, a["outlet"], a["title"], a["text"])) for k, a in arts.items()}
    scored = [(dedupe.similarity(prints[a].signature, prints[b].signature), same)
              for a, b, same, _ in PAIRS["pairs"]]
    rows = []
    for threshold in (0.30, 0.35, 0.40, dedupe.THRESHOLD, 0.45, 0.50, 0.55, 0.60):
        tp = sum(s >= threshold and same for s, same in scored)
        fp = sum(s >= threshold and not same for s, same in scored)
        fn = sum(s < threshold and same for s, same in scored)
        rows.append((threshold, tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn)))
    return rows


def synthetic(count: int, seed: int, source: str) -> list[Article]:
    """Articles of 8 outlets stitched from the fixture's sentences: many share sentences (near-misses)."""
    rng = random.Random(seed)
    sentences = [s + "。" for a in PAIRS["articles"].values() for s in a["text"].split("。") if s]
    return [_article(f"{source}-{i}", f"{source}{i % 8}", f"合成新闻{i}", "".join(rng.sample(sentences, 5)) + f"编号{i}。",
                     minutes=rng.randrange(0, 3 * 24 * 60))
            for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    print("| threshold | precision | recall |\n| ---: | ---: | ---: |")
    for threshold, precision, recall in quality():
        mark = " (shipped)" if threshold == dedupe.THRESHOLD else ""
        print(f"| {threshold:.2f}{mark} | {precision:.3f} | {recall:.3f} |")

    sample = [_article(k, a["outlet"], a["title"], a["text"]) for k, a in PAIRS["articles"].items()]
    t0 = time.perf_counter()
    for _ in range(10):
        for item in sample:
            dedupe.fingerprint(item)
    per_article = (time.perf_counter() - t0) / (10 * len(sample))
    print(f"\nfingerprint: {per_article * 1e3:.2f} ms per article ({len(sample)} fixture articles x 10)")

    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "bench.db") as store:
        stored = synthetic(args.stored, 1, "base")
        t0 = time.perf_counter()
        for start in range(0, len(stored), 500):
            plan = dedupe.plan_batch(stored[start:start + 500], store)
            store.upsert(plan.articles, NOW)
            store.save_stories(plan.placements, plan.aliases, NOW)
        fill = time.perf_counter() - t0
        print(f"fill: {args.stored} articles planned and stored in {fill:.2f} s "
              f"({args.stored / fill:,.0f} articles/s)")
        batch = synthetic(args.batch, 2, "new")
        t0 = time.perf_counter()
        plan = dedupe.plan_batch(batch, store)
        planned = time.perf_counter() - t0
        store.upsert(plan.articles, NOW)
        store.save_stories(plan.placements, plan.aliases, NOW)
        total = time.perf_counter() - t0
        grouped = sum((p.story_source, p.story_id) != (p.fingerprint.source, p.fingerprint.id)
                      for p in plan.placements)
        print(f"batch of {args.batch} against {args.stored} stored: plan {planned:.2f} s "
              f"({planned / args.batch * 1e3:.1f} ms per article), plan+store {total:.2f} s; "
              f"{grouped} joined a story")
        t0 = time.perf_counter()
        plan = dedupe.plan_batch(batch, store)
        print(f"same batch again (all unchanged): plan {time.perf_counter() - t0:.2f} s")
    print()
    pipeline_side_by_side()


def _no_dedupe(articles: list[Article], lookup: object) -> dedupe.Plan:
    return dedupe.Plan(articles=list(articles))


def pipeline_side_by_side(runs: int = 3) -> None:
    """fetch+store of 20 loopback feeds x 100 entries, with and without the de-duplication stage."""
    import feedmaker
    from loopback import Outlet
    from newsdesk.config import load_config

    outlet = Outlet().start()
    try:
        sources = [(f"源{n}", outlet.serve(f"/f{n}", feedmaker.rss2(feedmaker.entries(f"f{n}", 100, outlet=f"源{n}"))))
                   for n in range(20)]
        results: dict[str, list[float]] = {"with dedupe": [], "without": []}
        real = pipeline.plan_batch
        for _ in range(runs):
            for label, planner in (("with dedupe", real), ("without", _no_dedupe)):
                with tempfile.TemporaryDirectory() as folder:
                    path = Path(folder) / "newsdesk.toml"
                    path.write_text("[fetch]\ntimeout = 10\n" + "".join(
                        f'[[sources]]\nname = "{name}"\nurl = "{url}"\n' for name, url in sources), encoding="utf-8")
                    config = load_config(path)
                    pipeline.plan_batch = planner  # type: ignore[assignment]
                    try:
                        with open_store(config.store.path) as store:
                            t0 = time.perf_counter()
                            pipeline.fetch(config, store)
                            results[label].append(time.perf_counter() - t0)
                    finally:
                        pipeline.plan_batch = real
    finally:
        outlet.stop()
    for label, times in results.items():
        print(f"fetch+store 2,000 articles, {label}: median {statistics.median(times):.2f} s of {runs}")


if __name__ == "__main__":
    main()
