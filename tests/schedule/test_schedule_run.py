"""`newsdesk run` as a real process against loopback outlets that keep publishing."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from livewire import LiveFeed, article_pages, newsdesk, wait_for, write_config
from loopback import Outlet


def _stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM, timeout_s: float = 10) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=timeout_s)
    return proc.returncode, out, err


def _status(config: Path) -> dict[str, dict[str, object]]:
    done = subprocess.run([sys.executable, "-m", "newsdesk", "--config", str(config), "status", "--json"],
                          capture_output=True, text=True, timeout=30, check=True)
    return {s["source"]: s for s in json.loads(done.stdout)["sources"]}


def test_articles_flow_to_the_site_and_a_second_instance_is_refused(tmp_path: Path, outlet: Outlet) -> None:
    alpha, beta = LiveFeed(outlet, "/alpha.xml", "alpha"), LiveFeed(outlet, "/beta.xml", "beta")
    alpha.publish(3)
    beta.publish(2)
    config = write_config(tmp_path, [alpha, beta])
    proc = newsdesk("--config", str(config), "run", "--tick", "0.2")
    try:
        output = tmp_path / "public"
        wait_for(lambda: len(article_pages(output)) == 5)
        for _ in range(3):
            new = alpha.publish(1) + beta.publish(1)
            wait_for(lambda: set(new) <= set(article_pages(output)))
        second = subprocess.run([sys.executable, "-m", "newsdesk", "--config", str(config), "run", "--once"],
                                capture_output=True, text=True, timeout=30)
        assert second.returncode == 1
        assert f"in use by pid {proc.pid} (run)" in second.stderr
        status = json.loads((output / "status.json").read_text(encoding="utf-8"))
        assert {s["source"] for s in status["sources"]} == {"alpha", "beta"}
    finally:
        code, out, err = _stop(proc)
    assert code == 0, err
    assert "stopped" in out
    assert len(article_pages(tmp_path / "public")) == 11


def test_a_failing_source_backs_off_shows_in_status_and_recovers(tmp_path: Path, outlet: Outlet) -> None:
    alpha, beta = LiveFeed(outlet, "/alpha.xml", "alpha"), LiveFeed(outlet, "/beta.xml", "beta")
    alpha.publish(1)
    beta.publish(1)
    config = write_config(tmp_path, [alpha, beta], interval="0.3s", extra='[health]\nfailing_warn_after = "1s"\n')
    beta.failing = True
    proc = newsdesk("--config", str(config), "run", "--tick", "0.1")
    try:
        wait_for(lambda: _status(config)["beta"]["consecutive_failures"] >= 4, 40)
        state = _status(config)["beta"]
        assert state["last_error"] and "500" in str(state["last_error"]) and state["failing_since"]
        assert _status(config)["alpha"]["consecutive_failures"] == 0
        # backoff: the failing outlet is asked far less often than the healthy one
        time.sleep(2)
        assert len(outlet.hits("/beta.xml")) * 2 < len(outlet.hits("/alpha.xml"))
        page = json.loads((tmp_path / "public" / "status.json").read_text(encoding="utf-8"))
        assert {s["source"]: s["ok"] for s in page["sources"]} == {"alpha": True, "beta": False}
        beta.failing = False
        new = beta.publish(1)
        wait_for(lambda: set(new) <= set(article_pages(tmp_path / "public")), 20)
        assert _status(config)["beta"]["consecutive_failures"] == 0
    finally:
        code, out, err = _stop(proc)
    assert code == 0
    assert "beta: failing since" in err  # the over-threshold warning reached the log


def _stored(db_path: Path) -> int:
    """Articles in the store at `db_path` (0 while it does not exist yet)."""
    if not db_path.exists():
        return 0
    with sqlite3.connect(db_path) as db:
        try:
            return int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        except sqlite3.OperationalError:  # schema not migrated yet
            return 0


@pytest.mark.slow
def test_sigterm_mid_fetch_exits_within_seconds(tmp_path: Path, outlet: Outlet) -> None:
    slow_started = []

    def slow(request):  # type: ignore[no-untyped-def]
        slow_started.append(time.monotonic())
        time.sleep(20)
        return None

    outlet.route("/slow.xml", slow)
    alpha = LiveFeed(outlet, "/alpha.xml", "alpha")
    alpha.publish(2)
    config = write_config(tmp_path, [alpha])
    config.write_text(config.read_text(encoding="utf-8").replace("timeout = 5", "timeout = 30"), encoding="utf-8")
    with config.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[sources]]\nname = "slow"\nurl = "{outlet.url("/slow.xml")}"\ninterval = "0.5s"\n')
    proc = newsdesk("--config", str(config), "run", "--tick", "0.1")
    wait_for(lambda: slow_started, 20)
    # alpha is fetched beside the slow source; signal only once its articles are stored,
    # so the test asks "does what finished stay", not who wins a race
    wait_for(lambda: _stored(tmp_path / "store/news.db") == 2, 20)
    asked = time.monotonic()
    code, _, err = _stop(proc)
    assert code == 0, err
    assert time.monotonic() - asked < 10  # did not wait for the 20 s response (nor the 30 s timeout)
    # what finished before the signal is stored and stays
    with sqlite3.connect(tmp_path / "store/news.db") as db:
        assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 2


@pytest.mark.slow
def test_kill_9_at_random_moments_never_loses_or_duplicates(tmp_path: Path, outlet: Outlet) -> None:
    feeds = [LiveFeed(outlet, f"/f{n}.xml", f"f{n}") for n in range(3)]
    config = write_config(tmp_path, feeds, interval="0.2s")
    rng = random.Random(6)
    published: set[str] = set()
    for _ in range(30):
        for feed in feeds:
            published.update(feed.publish(rng.randint(0, 3)))
        proc = newsdesk("--config", str(config), "run", "--tick", "0.05")
        time.sleep(rng.uniform(0.3, 1.2))
        proc.kill()
        proc.communicate(timeout=10)
    final = subprocess.run([sys.executable, "-m", "newsdesk", "--config", str(config), "run", "--once"],
                           capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stderr
    with sqlite3.connect(tmp_path / "store/news.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [row[0] for row in db.execute("SELECT id FROM articles")]
    assert sorted(ids) == sorted(published)  # every one, once
    pages = article_pages(tmp_path / "public")
    assert set(pages) == published
    index = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    newest = max(published, key=lambda guid: next(f.published_at[guid] for f in feeds if guid in f.published_at))
    assert newest.split("-")[0] in index


@pytest.mark.slow
def test_freshness_from_outlet_to_page(tmp_path: Path, outlet: Outlet, capsys: pytest.CaptureFixture[str]) -> None:
    feed = LiveFeed(outlet, "/wire.xml", "wire")
    feed.publish(1)
    config = write_config(tmp_path, [feed], interval="0.5s")
    proc = newsdesk("--config", str(config), "run", "--tick", "0.05")
    delays = []
    try:
        output = tmp_path / "public"
        wait_for(lambda: article_pages(output))
        for _ in range(20):
            time.sleep(random.uniform(0, 0.5))  # publish at any phase of the poll interval
            (guid,) = feed.publish(1)
            wait_for(lambda: guid in article_pages(output), 20, every_s=0.005)
            delays.append(time.time() - feed.published_at[guid])
    finally:
        _stop(proc)
    cuts = statistics.quantiles(delays, n=20)
    with capsys.disabled():
        print(f"\nfreshness with 0.5 s interval: p50 {statistics.median(delays):.2f} s, p95 {cuts[18]:.2f} s,"
              f" max {max(delays):.2f} s over {len(delays)} articles")
    assert max(delays) < 15  # a bound for hangs, not a speed claim
