"""Commands that fetch nothing start without the fetching stack, and rich only draws on a terminal.

Each command runs in a fresh interpreter (a probe around `newsdesk.cli.main`) that reports
which of the heavy modules it loaded; an `update` against a loopback outlet is the control
showing that the probe does see them when a command really fetches.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

import feedmaker
from loopback import Outlet
from newsdesk.cli import Output, build_parser, print_build_report, print_fetch_reports
from newsdesk.models import BuildReport, SourceReport

# what only fetching needs: the HTTP client, feed parsing, sanitizing, pinyin slugs, the event loop
FETCHING = ("httpx", "pypinyin", "feedparser", "trafilatura", "nh3", "asyncio")
WATCHED = (*FETCHING, "rich")

# Runs one command with stdout piped into a buffer and prints the watched modules it loaded.
# `serve` never returns: the probe reports as soon as the server says it is listening.
PROBE = """
import io, json, os, sys
from newsdesk.cli import main

WATCHED = {watched!r}

def report(code):
    loaded = sorted(m for m in WATCHED if m in sys.modules)
    sys.__stdout__.write(json.dumps({{"code": code, "loaded": loaded, "out": sys.stdout.getvalue()}}))
    sys.__stdout__.flush()
    os._exit(0)

class Piped(io.StringIO):
    def write(self, text):
        written = super().write(text)
        if text.startswith("serving "):
            report(0)
        return written

sys.stdout = Piped()
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
report(code)
""".format(watched=WATCHED)


@dataclass(frozen=True)
class Probed:
    code: int
    loaded: list[str]
    out: str


def probe(*argv: str) -> Probed:
    """Run `newsdesk ARGV` in a fresh interpreter; what it returned, loaded and printed."""
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    return Probed(found["code"], found["loaded"], found["out"])


@dataclass(frozen=True)
class Site:
    config: Path
    folder: Path
    update: Probed


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A small site fetched from a loopback outlet with a Chinese name (so its slug needs pinyin)."""
    folder = tmp_path_factory.mktemp("startup")
    outlet = Outlet().start()
    try:
        url = outlet.serve("/rss", feedmaker.rss2(feedmaker.entries("qy", 5, outlet="清远日报"),
                                                  title="清远日报"))
        config = folder / "newsdesk.toml"
        config.write_text("\n".join([
            "[site]", 'title = "测试站"', 'base_url = "https://news.example.com"', 'output = "public"',
            "[fetch]", "timeout = 3", "retries = 0",
            "[[sources]]", 'name = "清远日报"', 'kind = "feed"', f'url = "{url}"']) + "\n", encoding="utf-8")
        update = probe("--config", str(config), "update")
    finally:
        outlet.stop()
    assert update.code == 0, update.out
    yield Site(config, folder, update)


def test_the_probe_sees_the_fetching_stack_when_a_command_fetches(site: Site) -> None:
    assert set(FETCHING) - {"trafilatura"} <= set(site.update.loaded)  # no full-text page here
    assert "5 new" in site.update.out  # (rich is in too: httpx loads its own command line, which uses it)


@pytest.mark.parametrize("argv", [
    ["build"],
    ["build", "--full"],
    ["status"],
    ["status", "--json"],
    ["search", "清远"],
    ["search", "--store", "清远"],
    ["serve", "--port", "0"],
], ids=" ".join)
def test_commands_that_fetch_nothing_do_not_load_the_fetching_stack(site: Site, argv: list[str]) -> None:
    result = probe("--config", str(site.config), *argv)
    assert result.code == 0, result.out
    assert result.out.strip(), "the command printed nothing"
    assert not set(result.loaded) & set(WATCHED), f"{' '.join(argv)} loaded {result.loaded}"


def test_an_unchanged_build_still_reports_every_file_unchanged(site: Site) -> None:
    result = probe("--config", str(site.config), "build")
    assert result.code == 0
    assert " 0 files written" in result.out and " 0 removed" in result.out


def test_export_jekyll_does_not_load_the_fetching_stack(site: Site) -> None:
    result = probe("--config", str(site.config), "export", "jekyll", str(site.folder / "jekyll"))
    assert result.code == 0, result.out
    assert list((site.folder / "jekyll").rglob("*.md"))
    # nh3 is left out: the newsdesk.jekyll package loads its importer, which sanitizes
    assert not set(result.loaded) & (set(WATCHED) - {"nh3"}), result.loaded


def _help_lines(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    """`--help` of every command, command group and sub-command under `parser`."""
    lines = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                lines += [[*prefix, name, "--help"], *_help_lines(sub, (*prefix, name))]
    return lines


@pytest.mark.parametrize("argv", [["--help"], *_help_lines(build_parser())], ids=" ".join)
def test_help_loads_nothing_heavy(argv: list[str]) -> None:
    result = probe(*argv)
    assert result.code == 0
    assert "usage: newsdesk" in result.out
    assert not result.loaded, f"{' '.join(argv)} loaded {result.loaded}"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _report() -> SourceReport:
    return SourceReport(source="清远日报", started_at=datetime(2024, 1, 1, tzinfo=UTC), elapsed_s=0.1,
                        status="ok", new=3)


def test_piped_output_never_makes_a_rich_console() -> None:
    stream = io.StringIO()
    out = Output(stream)
    print_fetch_reports(out, [_report()])
    print_build_report(out, BuildReport(written=9, unchanged=0, removed=0, articles=3, elapsed_s=0.1,
                                        output="public"))
    assert "console" not in vars(out)
    assert "ok 清远日报: 3 new" in stream.getvalue()


def test_a_terminal_gets_the_rich_table() -> None:
    stream = _Terminal()
    out = Output(stream)
    print_fetch_reports(out, [_report()])
    assert "console" in vars(out)
    text = stream.getvalue()
    assert "清远日报" in text and ("┃" in text or "│" in text)
