"""Search benchmark: newsdesk's bigram index beside Pagefind (extended, CJK) on one synthetic corpus.

For each corpus size it reports index size, index build time, the incremental
re-index after 100 new articles, bytes one query downloads, and precision/recall
of 2-, 3- and 4-character queries against brute-force substring search.

Run: `python bench/search_compare.py` (sizes 5000 20000). Pagefind is measured when
its extended binary is found: `--pagefind PATH`, or the `pagefind_bin_extended`
package (`pip install -e '.[bench]'` installs `pagefind[extended]`), or
`pagefind_extended` on PATH. Its queries run in headless Chromium (/usr/bin/chromium) against a
127.0.0.1 server, one fresh browser per query so every query starts cold.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from compare_ssg import pagefind_binary  # noqa: E402
from search_corpus import END, SynthArticle, corpus, query_set  # noqa: E402

from newsdesk import urls  # noqa: E402
from newsdesk.models import Article, SafeHtml  # noqa: E402
from newsdesk.site import search  # noqa: E402
from newsdesk.site.plan import ArticleRef as Ref  # noqa: E402  (the refs a build indexes)
from newsdesk.site.serve import serve_in_thread, server_url  # noqa: E402
from newsdesk.store import open_store  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
CHROMIUM = Path("/usr/bin/chromium")
SHOWN = 20  # results whose title/link a query page shows first; both tools fetch metadata for these


def _article(a: SynthArticle) -> Article:
    return Article(source="bench", id=a.id, outlet=a.outlet, category="bench", title=a.title, link=None,
                   published_at=a.published_at, body_html=SafeHtml(a.body_html))


def _ref(a: SynthArticle) -> Ref:
    return Ref(source="bench", id=a.id, outlet=a.outlet, category="bench", title=a.title, published_at=a.published_at,
               revision=1, path=urls.post_path("bench", a.published_at, a.id, TZ))


def _truth(texts: dict[str, str], query: str) -> set[str]:
    """Brute force: every article whose normalized text holds each term of the query."""
    terms = search.usable_terms(search.query_terms(query))
    return {aid for aid, text in texts.items() if all(t in text for t in terms)}


def _pr(found: set[str], truth: set[str]) -> tuple[float, float]:
    precision = len(found & truth) / len(found) if found else 1.0
    recall = len(found & truth) / len(truth) if truth else 1.0
    return precision, recall


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, 6, mtime=0))


def _tree_size(folder: Path) -> tuple[int, int, int]:
    """Files, bytes, gzip bytes under `folder`."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    data = [p.read_bytes() for p in files]
    return len(files), sum(len(d) for d in data), sum(_gz(d) for d in data)


# ---------------------------------------------------------------- newsdesk


def _own_query_bytes(out: Path, query: str, hits: Sequence[search.Hit]) -> tuple[int, int, int]:
    """Files, raw and gzip bytes search.js fetches for `query`: index, its buckets, chunks of the first hits."""
    terms = search.usable_terms(search.query_terms(query))
    index = json.loads((out / search.INDEX_FILE).read_text(encoding="utf-8"))
    grams = {g for t in terms for _, g in search.cover(t)}
    paths = {search.INDEX_FILE}
    for entry in index["segments"]:
        paths |= {search.bucket_path(entry["dir"], search.bucket_of(g, entry["buckets"])) for g in grams}
    shown = {h.href for h in hits[:SHOWN]}
    for entry in index["segments"]:  # which chunks hold the shown hits: look them up as the page would
        for c in range(-(-entry["docs"] // search.DOCS_PER_CHUNK)):
            chunk = json.loads((out / search.chunk_path(entry["dir"], c)).read_text(encoding="utf-8"))
            if any(doc[0] in shown for doc in chunk):
                paths.add(search.chunk_path(entry["dir"], c))
    data = [(out / p).read_bytes() for p in paths]
    return len(paths), sum(len(d) for d in data), sum(_gz(d) for d in data)


def bench_own(articles: list[SynthArticle], extra: list[SynthArticle], queries: dict[str, list[str]],
              texts: dict[str, str], work: Path) -> dict[str, object]:
    out = work / "own"
    with open_store(work / "own.db") as store:
        store.upsert([_article(a) for a in articles], END)
        refs = [_ref(a) for a in articles]
        started = time.perf_counter()
        first = search.build_search_index(store, refs, TZ, out, b"<!DOCTYPE html>")
        full_s = time.perf_counter() - started
        index_dir = out / search.INDEX_DIR
        files, size, size_gz = _tree_size(index_dir)

        again_started = time.perf_counter()
        search.build_search_index(store, refs, TZ, out, b"<!DOCTYPE html>")
        noop_s = time.perf_counter() - again_started

        store.upsert([_article(a) for a in extra], END + timedelta(hours=1))
        started = time.perf_counter()
        inc = search.build_search_index(store, refs + [_ref(a) for a in extra], TZ, out, b"<!DOCTYPE html>")
        inc_s = time.perf_counter() - started
    texts = {**texts, **{a.id: search.document_text(a.title, None, a.body_html) for a in extra}}
    script = resources.files("newsdesk.site").joinpath("static/search.js").read_bytes()
    rows = []
    for kind, words in queries.items():
        for query in words:
            hits = search.search_index(out, query)
            found = {h.href.rsplit("/", 1)[1].removesuffix(".html") for h in hits}
            truth = _truth(texts, query)
            precision, recall = _pr(found, truth)
            nfiles, raw, gz = _own_query_bytes(out, query, hits)
            rows.append({"kind": kind, "query": query, "truth": len(truth), "found": len(found),
                         "precision": precision, "recall": recall, "files": nfiles, "bytes": raw, "bytes_gz": gz})
    return {"build_s": full_s, "noop_s": noop_s, "incremental_s": inc_s, "files": files, "bytes": size,
            "bytes_gz": size_gz, "segments": len(first.reindexed), "incremental_reindexed": list(inc.reindexed),
            "incremental_written": inc.written, "script_gz": _gz(script), "queries": rows}


# ---------------------------------------------------------------- Pagefind

HARNESS = r"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"></head><body><pre id="out">pending</pre>
<script type="module">
const q = new URLSearchParams(location.search).get("q");
const out = document.getElementById("out");
try {
  const pagefind = await import("/pagefind/pagefind.js");
  await pagefind.options({noWorker: true});  // a worker changes no bytes; headless virtual time stalls on it
  await pagefind.init();
  const found = await pagefind.search(q);
  const first = await Promise.all(found.results.slice(0, SHOWN).map(r => r.data()));
  const entries = performance.getEntriesByType("resource").filter(e => !e.name.endsWith("favicon.ico"));
  const runtime = e => /\/(pagefind\.js|wasm\.[^/]*)$/.test(e.name);
  const bytes = entries.filter(e => !runtime(e)).reduce((s, e) => s + e.encodedBodySize, 0);
  const runtimeBytes = entries.filter(runtime).reduce((s, e) => s + e.encodedBodySize, 0);
  // every result's id names its fragment file; the benchmark reads their URLs from disk
  out.textContent = JSON.stringify({files: entries.filter(e => !runtime(e)).length, bytes, runtimeBytes,
    shown: first.length, ids: found.results.map(r => r.id)});
} catch (e) { out.textContent = "ERROR " + e; }
</script></body></html>
""".replace("SHOWN", str(SHOWN))


def _page(a: SynthArticle) -> str:
    # title and body as the site's article page carries them; Pagefind indexes data-pagefind-body
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{a.title}</title></head>'
            f'<body><main data-pagefind-body><h1>{a.title}</h1>{a.body_html}</main></body></html>\n')


def _fragment_url(site: Path, result_id: str) -> str:
    """The page URL a Pagefind result stands for, read from its (gzipped) fragment file."""
    data = gzip.decompress((site / "pagefind" / "fragment" / f"{result_id}.pf_fragment").read_bytes())
    return str(json.loads(data.removeprefix(b"pagefind_dcd"))["url"])


def _pagefind_query(url: str, profile: Path) -> dict[str, object]:
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--virtual-time-budget=120000", "--dump-dom", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    text = done.stdout.split('<pre id="out">', 1)[-1].split("</pre>", 1)[0]
    if not text.startswith("{"):
        raise RuntimeError(f"pagefind query failed: {text[:300]} {done.stderr[-500:]}")
    result = json.loads(text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    assert isinstance(result, dict)
    return result


def bench_pagefind(binary: Path, articles: list[SynthArticle], extra: list[SynthArticle],
                   queries: dict[str, list[str]], texts: dict[str, str], work: Path) -> dict[str, object]:
    site = work / "pf"
    for a in articles:
        path = site / "a" / f"{a.id}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_page(a), encoding="utf-8")
    command = [str(binary), "--site", str(site), "--silent"]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    full_s = time.perf_counter() - started
    files, size, size_gz = _tree_size(site / "pagefind")

    for a in extra:  # Pagefind has no incremental mode: a change means indexing the whole site again
        (site / "a" / f"{a.id}.html").write_text(_page(a), encoding="utf-8")
    started = time.perf_counter()
    subprocess.run(command, check=True)
    inc_s = time.perf_counter() - started
    texts = {**texts, **{a.id: search.document_text(a.title, None, a.body_html) for a in extra}}

    (site / "harness.html").write_text(HARNESS, encoding="utf-8")
    server, thread = serve_in_thread(site, "127.0.0.1", 0)
    rows = []
    try:
        base = server_url(server)
        for kind, words in queries.items():
            for query in words:
                with tempfile.TemporaryDirectory() as profile:
                    try:
                        result = _pagefind_query(f"{base}harness.html?q={quote(query)}", Path(profile))
                    except RuntimeError as exc:
                        raise RuntimeError(f"{query}: {exc}") from exc
                found = {_fragment_url(site, str(i)).rsplit("/", 1)[1].removesuffix(".html")
                         for i in result["ids"]}  # type: ignore[attr-defined]
                truth = _truth(texts, query)
                precision, recall = _pr(found, truth)
                rows.append({"kind": kind, "query": query, "truth": len(truth), "found": len(found),
                             "precision": precision, "recall": recall, "files": result["files"],
                             "bytes": result["bytes"], "bytes_gz": result["bytes"],
                             "runtime_gz": result["runtimeBytes"]})
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    return {"build_s": full_s, "incremental_s": inc_s, "files": files, "bytes": size, "bytes_gz": size_gz,
            "queries": rows}


# ---------------------------------------------------------------- report


def _find_pagefind(given: str | None) -> Path | None:
    if given:
        return Path(given)
    found = pagefind_binary()  # the `pagefind[extended]` package's binary, else pagefind_extended on PATH
    return Path(found) if found else None


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _summary(rows: list[dict[str, object]]) -> dict[str, dict[str, float]]:
    kinds: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        kinds.setdefault(str(row["kind"]), []).append(row)
    return {kind: {"precision": min(float(r["precision"]) for r in rs),  # type: ignore[arg-type]
                   "recall": min(float(r["recall"]) for r in rs),  # type: ignore[arg-type]
                   "mean_recall": _mean([float(r["recall"]) for r in rs]),  # type: ignore[arg-type]
                   "mean_precision": _mean([float(r["precision"]) for r in rs]),  # type: ignore[arg-type]
                   "bytes_gz": _mean([float(r["bytes_gz"]) for r in rs]),  # type: ignore[arg-type]
                   "files": _mean([float(r["files"]) for r in rs])}  # type: ignore[arg-type]
            for kind, rs in kinds.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--pagefind", help="path of the pagefind_extended binary")
    parser.add_argument("--no-pagefind", action="store_true", help="measure newsdesk's index only")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    binary = None if args.no_pagefind else _find_pagefind(args.pagefind)
    if binary is not None and not CHROMIUM.exists():
        print("no /usr/bin/chromium: Pagefind's queries cannot run; measuring newsdesk only", file=sys.stderr)
        binary = None
    report: dict[str, object] = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                                 "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                                            f"Python {platform.python_version()}", "sizes": {}}
    if binary is not None:
        version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout.strip()
        report["pagefind"] = version
    for size in args.sizes:
        articles = corpus(size)
        extra = [SynthArticle(id=a.id, outlet=a.outlet, title=a.title, body_html=a.body_html,
                              published_at=END + timedelta(minutes=n))
                 for n, a in enumerate(corpus(100, start=size, seed=5))]
        texts = {a.id: search.document_text(a.title, None, a.body_html) for a in articles}
        queries = query_set(list(texts.values()))
        with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
            work = Path(tmp)
            entry: dict[str, object] = {"own": bench_own(articles, extra, queries, texts, work)}
            if binary is not None:
                entry["pagefind"] = bench_pagefind(binary, articles, extra, queries, texts, work)
        report["sizes"][size] = entry  # type: ignore[index]
        print_size(size, entry)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def print_size(size: int, entry: dict[str, object]) -> None:
    tools = [name for name in ("own", "pagefind") if name in entry]
    label = {"own": "newsdesk bigram index", "pagefind": "Pagefind extended"}
    print(f"\n### {size:,} articles\n")
    print("| | " + " | ".join(label[t] for t in tools) + " |")
    print("|---|" + "---|" * len(tools))
    facts = [entry[t] for t in tools]

    def row(name: str, cells: list[str]) -> None:
        print(f"| {name} | " + " | ".join(cells) + " |")

    row("index files", [f"{f['files']:,}" for f in facts])  # type: ignore[index]
    row("index size (raw / gzip)", [f"{f['bytes'] / 1e6:.1f} MB / {f['bytes_gz'] / 1e6:.1f} MB"  # type: ignore[index]
                                    for f in facts])
    row("full index build", [f"{f['build_s']:.1f} s" for f in facts])  # type: ignore[index]
    row("re-index after +100 articles", [f"{f['incremental_s']:.2f} s" for f in facts])  # type: ignore[index]
    row("search code a visit loads once", [
        f"{f['script_gz'] / 1e3:.1f} KB (search.js, gzip)" if "script_gz" in f  # type: ignore[operator]
        else f"{f['queries'][0]['runtime_gz'] / 1e3:.0f} KB (pagefind.js + wasm, as served)"  # type: ignore[index]
        for f in facts])
    summaries = [_summary(f["queries"]) for f in facts]  # type: ignore[index]
    for kind in summaries[0]:
        row(f"{kind}: min precision / min recall",
            [f"{s[kind]['precision']:.3f} / {s[kind]['recall']:.3f}" for s in summaries])
        row(f"{kind}: index data per query (gzip), files",
            [f"{s[kind]['bytes_gz'] / 1e3:.0f} KB, {s[kind]['files']:.0f}" for s in summaries])
    own = facts[0]
    print(f"\nnewsdesk: {own['segments']} segments (days of the newest week, weeks, months); "  # type: ignore[index]
          f"+100 re-indexed {own['incremental_reindexed']} "  # type: ignore[index]
          f"({own['incremental_written']} files written); unchanged rebuild {own['noop_s']:.2f} s")  # type: ignore[index]
    print("\nper query (truth = brute-force matches; found; precision; recall):\n")
    print("| kind | query | truth | " + " | ".join(f"{label[t]} found / P / R" for t in tools) + " |")
    print("|---|---|---|" + "---|" * len(tools))
    for i, ref in enumerate(own["queries"]):  # type: ignore[index]
        cells = []
        for f in facts:
            q = f["queries"][i]  # type: ignore[index]
            cells.append(f"{q['found']} / {q['precision']:.2f} / {q['recall']:.2f}")
        print(f"| {ref['kind']} | {ref['query']} | {ref['truth']} | " + " | ".join(cells) + " |")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
