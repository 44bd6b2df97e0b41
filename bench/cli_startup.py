"""CLI start-up benchmark: wall time of short commands in a fresh process, and what they import.

usage: python bench/cli_startup.py [--articles N | --config PATH] [--runs K] [--src DIR ...]
Makes a small site (N articles, default 300, over 30 outlets; one full build), then runs
`--help`, `build` (nothing changed), `status` and `search` K times each (default 10) as
`python -m newsdesk`, and reports the fastest and the median wall time, the time
`-X importtime` counts for importing newsdesk.cli and for the whole command, and which of
the fetching modules the command loaded. With --src DIR (repeatable: a tree's `src` folder,
e.g. a commit unpacked with `git archive`) those trees are measured instead of the installed
newsdesk, side by side; each tree gets its own copy of the site, made and built by that tree's
code (an older tree refuses a store migrated by a newer one). With --config PATH an existing
site is measured instead (e.g. one kept by `python bench/update_phases.py 10000 1 --keep DIR`);
--src trees then each work on a copy of its folder, made by its own first build.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdesk.models import Article, SafeHtml
from newsdesk.store import open_store

WATCHED = ("httpx", "pypinyin", "feedparser", "trafilatura", "nh3", "asyncio", "rich", "jinja2")
T0 = datetime(2024, 1, 1, tzinfo=UTC)
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def make_site(folder: Path, n: int) -> Path:
    """A config and a store of n articles; returns the config's path."""
    with open_store(folder / "store.db") as store:
        store.upsert([Article(source=f"outlet{i % 30}", id=f"A{i:07d}", outlet=f"媒体{i % 30}",
                              category=f"meiti{i % 30}", title=f"第{i}条新闻：清远供电局",
                              link=f"https://example.com/{i}", published_at=T0 + timedelta(minutes=7 * i),
                              body_html=SafeHtml("<p>" + "市场消息与数据。" * 30 + "</p>"))
                      for i in range(n)], T0)
    config = folder / "newsdesk.toml"
    config.write_text('[site]\ntitle = "基准"\nbase_url = "https://news.example.com"\noutput = "public"\n'
                      '[store]\npath = "store.db"\n[[sources]]\nname = "outlet0"\nkind = "feed"\n'
                      'url = "https://example.com/rss.xml"\n', encoding="utf-8")
    return config


def environment(src: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def wall(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    """Wall seconds of `runs` fresh processes of `python -m newsdesk ARGV`."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "newsdesk", *argv], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def imports(argv: list[str], env: dict[str, str]) -> tuple[float, float, list[str]]:
    """Seconds importing newsdesk.cli, seconds of all imports, watched modules loaded."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "newsdesk", *argv], env=env, check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    cli_us = total_us = 0
    loaded = set()
    for match in LINE.finditer(done.stderr):
        _, cumulative, indent, name = match.groups()
        if len(indent) == 1:  # one space after the bar: imported by the command itself
            total_us += int(cumulative)
        if name == "newsdesk.cli":
            cli_us = int(cumulative)
        if name in WATCHED:
            loaded.add(name)
    return cli_us / 1e6, total_us / 1e6, sorted(loaded)


def main() -> None:
    args = sys.argv[1:]
    if any(a in ("-h", "--help") for a in args):
        print(__doc__)
        return
    if args[:1] == ["--make-site"]:  # internal: run under the tree being measured
        make_site(Path(args[1]), int(args[2]))
        return
    n, runs = 300, 10
    existing: Path | None = None
    sources: list[str | None] = []
    while args:
        flag, value, *args = args
        if flag == "--config":
            existing = Path(value).resolve()
        elif flag == "--articles":
            n = int(value)
        elif flag == "--runs":
            runs = int(value)
        elif flag == "--src":
            sources.append(str(Path(value).resolve()))
        else:
            raise SystemExit(f"unknown option {flag}; see --help")
    sources = sources or [None]
    with tempfile.TemporaryDirectory(prefix="cli-startup-") as folder:
        print(f"{existing or f'{n} articles'}, {runs} runs each; python {sys.version.split()[0]}, "
              f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
        print(f"{'tree':<28} {'command':<10} {'min s':>6} {'median s':>8} {'cli imp s':>9} {'all imp s':>9}  loaded")
        for number, src in enumerate(sources):
            env = environment(src)
            config = tree_site(Path(folder) / str(number), n, env, existing, copy=len(sources) > 1)
            commands = [["--help"], ["--config", str(config), "build"], ["--config", str(config), "status"],
                        ["--config", str(config), "search", "清远"]]
            for argv in commands:
                times = wall(argv, env, runs)
                cli_s, all_s, loaded = imports(argv, env)
                name = argv[-1] if argv[0] == "--help" else argv[2]
                print(f"{(src or 'installed')[-28:]:<28} {name:<10} {min(times):6.3f} {statistics.median(times):8.3f}"
                      f" {cli_s:9.3f} {all_s:9.3f}  {' '.join(loaded) or '-'}", flush=True)
        bare = wall_bare(runs)
        print(f"bare interpreter (python -c pass): min {min(bare):.3f} s, median {statistics.median(bare):.3f} s")


def tree_site(folder: Path, n: int, env: dict[str, str], existing: Path | None, *, copy: bool) -> Path:
    """The site one tree is measured on, made and built by that tree's own code; returns its config."""
    if existing is not None and not copy:
        config = existing
    elif existing is not None:
        shutil.copytree(existing.parent, folder, symlinks=True)
        config = folder / existing.name
    else:
        folder.mkdir(parents=True)
        subprocess.run([sys.executable, __file__, "--make-site", str(folder), str(n)], env=env, check=True)
        config = folder / "newsdesk.toml"
    subprocess.run([sys.executable, "-m", "newsdesk", "--config", str(config), "build"], check=True,
                   stdout=subprocess.DEVNULL, env=env)
    return config


def wall_bare(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - started)
    return times


if __name__ == "__main__":
    main()
