"""`python -m newsdesk` skips the interpreter's teardown, yet exits as before: same codes, whole output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _newsdesk(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newsdesk", *argv], capture_output=True, text=True,
                          timeout=120, cwd=cwd, check=False)


def _script(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=cwd, check=False)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    config = tmp_path / "newsdesk.toml"
    config.write_text('[site]\ntitle = "退出"\nbase_url = "https://news.example.com"\noutput = "public"\n'
                      '[store]\npath = "store.db"\n[[sources]]\nname = "a"\nkind = "feed"\n'
                      'url = "https://example.com/rss.xml"\n', encoding="utf-8")
    return config


def test_a_build_prints_its_summary_into_a_pipe_and_exits_0(site: Path) -> None:
    done = _newsdesk("--config", str(site), "build", cwd=site.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("built ") and done.stdout.endswith("s\n")
    assert (site.parent / "public" / "index.html").is_file()
    assert not list(site.parent.glob("store.db-*")), "the store was left open"


def test_errors_keep_their_exit_codes_and_messages(tmp_path: Path) -> None:
    done = _newsdesk("--config", str(tmp_path / "missing.toml"), "build", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("newsdesk: ") and "missing.toml" in done.stderr
    done = _newsdesk("no-such-command", cwd=tmp_path)
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_help_and_version_come_out_whole(tmp_path: Path) -> None:
    done = _newsdesk("--help", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith("usage: newsdesk") and "--version" in done.stdout
    done = _newsdesk("--version", cwd=tmp_path)
    assert (done.returncode, done.stdout.split()[0]) == (0, "newsdesk")


def test_exit_handlers_run_and_buffered_output_is_flushed(tmp_path: Path) -> None:
    done = _script("import atexit, sys\nfrom newsdesk.cli import exit_now\n"
                   "atexit.register(lambda: open('handler-ran', 'w').close())\n"
                   "sys.stdout.write('x' * 200000)\nexit_now(3)\n", tmp_path)
    assert done.returncode == 3
    assert len(done.stdout) == 200000
    assert (tmp_path / "handler-ran").exists()


def test_a_live_thread_gets_the_ordinary_exit_which_waits_for_it(tmp_path: Path) -> None:
    done = _script("import threading, time\nfrom newsdesk.cli import exit_now\n"
                   "def late():\n    time.sleep(0.3)\n    open('thread-done', 'w').close()\n"
                   "threading.Thread(target=late).start()\nexit_now(4)\n", tmp_path)
    assert done.returncode == 4
    assert (tmp_path / "thread-done").exists()


def test_a_profiler_around_the_command_still_gets_to_write_its_report(site: Path) -> None:
    profile = site.parent / "build.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "newsdesk",
                           "--config", str(site), "build"], capture_output=True, text=True, timeout=120,
                          cwd=site.parent, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("built ")
    assert profile.stat().st_size > 0
