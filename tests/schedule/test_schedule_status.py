"""Health: `status` and `status --json`, /status.html and /status.json, `sources check` storing nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from feedmaker import entries, rss2
from loopback import Outlet

from newsdesk.cli import main

HOSTILE = "<script>alert(1)</script>源"


def _setup(tmp_path: Path, outlet: Outlet, extra: str = "") -> Path:
    good = outlet.serve("/good.xml", rss2(entries("g", 4)), content_type="application/rss+xml",
                        headers={"ETag": '"v1"'})
    bad = outlet.serve("/bad.xml", b"oops", status=500)
    config = tmp_path / "newsdesk.toml"
    config.write_text(
        f'[site]\noutput = "public"\n{extra}\n[store]\npath = "s.db"\n[fetch]\nretries = 0\n'
        f'[health]\nfailing_warn_after = "0.01s"\n'
        f'[[sources]]\nname = "good"\nurl = "{good}"\n'
        f'[[sources]]\nname = "{HOSTILE}"\nurl = "{bad}"\n', encoding="utf-8")
    return config


def _db(config: Path) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / "s.db")


def test_status_json_has_health_figures_and_overdue_warning(tmp_path: Path, outlet: Outlet,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    config = _setup(tmp_path, outlet)
    for _ in range(3):
        main(["--config", str(config), "fetch"])
    capsys.readouterr()
    assert main(["--config", str(config), "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    good, bad = (next(s for s in data["sources"] if s["source"] == name) for name in ("good", HOSTILE))
    assert good["articles"] == 4 and good["articles_24h"] == 4 and good["fetches_24h"] == 3
    assert good["median_fetch_s"] is not None and good["median_fetch_s"] >= 0
    assert good["ok"] and not good["overdue"] and good["consecutive_failures"] == 0
    assert not bad["ok"] and bad["overdue"] and bad["consecutive_failures"] == 3
    assert "500" in bad["last_error"] and bad["failing_since"] and bad["median_fetch_s"] is None
    assert main(["--config", str(config), "status"]) == 0
    captured = capsys.readouterr()
    assert "good: 4 articles, 4 in 24 h, median fetch" in captured.out
    assert f"warning: {HOSTILE} has been failing for more than 0.01s" in captured.err


def test_status_page_lists_sources_escaped_and_can_be_turned_off(tmp_path: Path, outlet: Outlet) -> None:
    config = _setup(tmp_path, outlet)
    assert main(["--config", str(config), "update"]) == 0
    html = (tmp_path / "public" / "status.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;源" in html and "<script>alert" not in html
    assert "failing since" in html
    data = json.loads((tmp_path / "public" / "status.json").read_text(encoding="utf-8"))
    assert [s["source"] for s in data["sources"]] == sorted(["good", HOSTILE])
    (tmp_path / "off").mkdir()
    off = _setup(tmp_path / "off", outlet, extra="status_page = false")
    assert main(["--config", str(off), "update"]) == 0
    assert (tmp_path / "off" / "public" / "index.html").exists()
    assert not (tmp_path / "off" / "public" / "status.html").exists()
    assert not (tmp_path / "off" / "public" / "status.json").exists()


def test_sources_check_shows_new_titles_and_stores_nothing(tmp_path: Path, outlet: Outlet,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = _setup(tmp_path, outlet)
    assert main(["--config", str(config), "fetch"]) == 0
    with _db(config) as db:
        before = db.execute("SELECT COUNT(*), (SELECT COUNT(*) FROM fetch_log) FROM articles").fetchone()
        etag = db.execute("SELECT etag FROM sources WHERE name = 'good'").fetchone()
    outlet.serve("/good.xml", rss2(entries("g", 6)), content_type="application/rss+xml", headers={"ETag": '"v2"'})
    capsys.readouterr()
    assert main(["--config", str(config), "sources", "check", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    good = next(r for r in lines if r["source"] == "good")
    assert good["new"] == 2 and good["unchanged"] == 4 and len(good["new_titles"]) == 2
    assert next(r for r in lines if r["source"] == HOSTILE)["status"] == "failed"
    with _db(config) as db:
        after = db.execute("SELECT COUNT(*), (SELECT COUNT(*) FROM fetch_log) FROM articles").fetchone()
        assert db.execute("SELECT etag FROM sources WHERE name = 'good'").fetchone() == etag
    assert after == before
    # the check asked in full (no conditional GET), so it saw everything the outlet carries
    assert "If-None-Match" not in {k.title() for k in outlet.hits("/good.xml")[-1].headers}
    assert main(["--config", str(config), "sources", "check", "--source", "good"]) == 0
    out = capsys.readouterr().out
    assert "ok good: 2 would be new, 0 updated, 4 unchanged" in out and "nothing was stored" in out
