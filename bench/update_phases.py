"""Where an update's time goes: a full build, then rounds of +100 articles, each built by a fresh
`newsdesk build -vv` process whose phase timings are collected.

usage: python bench/update_phases.py [N] [ROUNDS] [--keep DIR]   (default 10000 5)

The corpus is bench/compare_ssg.py's (N articles over 300 outlets, one every 3 minutes);
each round adds the next 100 articles (100 outlets) and builds. Prints one line per
round (wall time of the process, the build's own time, every phase) and the median
of each phase. Bytecode caching is on for the newsdesk processes, as for an
installed package.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_ssg import write_newsdesk

_PHASE = re.compile(r"build: ([^:]+?) ([0-9.]+) s$")
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def build(root: Path, *extra: str) -> tuple[float, dict[str, float]]:
    """One `newsdesk build` process: its wall time and the phases it logged."""
    cmd = [sys.executable, "-m", "newsdesk", "--config", str(root / "newsdesk.toml"), "build", "-vv", *extra]
    started = time.perf_counter()
    done = subprocess.run(cmd, env=_ENV, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    phases = {}
    for line in done.stderr.splitlines():
        found = _PHASE.search(line)
        if found:
            # "apply 100 changes" and "plan refs" are one phase under two names
            name = "apply changes" if found.group(1).startswith("apply") else found.group(1)
            phases[name] = float(found.group(2))
    return wall, phases


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if any(a in ("-h", "--help") for a in sys.argv[1:]):
        print(__doc__)
        return
    n = int(args[0]) if args else 10_000
    rounds = int(args[1]) if len(args) > 1 else 5
    keep = Path(sys.argv[sys.argv.index("--keep") + 1]) if "--keep" in sys.argv else None
    root = keep or Path(tempfile.mkdtemp(prefix="newsdesk-phases-"))
    try:
        write_newsdesk(root, 0, n)
        wall, _ = build(root, "--full")
        print(f"{n:,} articles: full build {wall:.2f} s")
        seen: dict[str, list[float]] = {}
        walls = []
        for number in range(rounds):
            write_newsdesk(root, n + number * 100, 100)
            wall, phases = build(root)
            walls.append(wall)
            for name, seconds in phases.items():
                seen.setdefault(name, []).append(seconds)
            print(f"round {number + 1}: {wall:.3f} s  " + " | ".join(f"{k} {v:.3f}" for k, v in phases.items()))
        print(f"\nmedian of {rounds} rounds: {statistics.median(walls):.3f} s wall")
        for name, values in seen.items():
            print(f"  {name}: {statistics.median(values):.3f} s")
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
