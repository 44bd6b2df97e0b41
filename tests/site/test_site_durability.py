"""Durability: pages are renamed into place without an fsync each; one flush precedes the state's final commit."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from newsdesk.config import SiteConfig
from newsdesk.errors import OutputError
from newsdesk.site.build import build_site
from newsdesk.site.state import BuildState
from newsdesk.store import SqliteStore


def test_build_flushes_once_before_the_state_calls_it_done(filled: SqliteStore, site: SiteConfig,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    real_put, real_commit = BuildState.put, BuildState.commit

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(src: str, dst: str | Path) -> None:
        events.append("page")
        real_replace(src, dst)

    def put(self: BuildState, name: str, value: str) -> None:
        if name == "clean":
            events.append(f"clean={value}")
        real_put(self, name, value)

    def commit(self: BuildState) -> None:
        events.append("commit")
        real_commit(self)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    def sync() -> None:
        time.sleep(0.2)  # a slow disk: the commit must still wait for the flush to end
        events.append("sync")

    monkeypatch.setattr(os, "sync", sync)
    monkeypatch.setattr(BuildState, "put", put)
    monkeypatch.setattr(BuildState, "commit", commit)
    report = build_site(filled, site, full=True)
    assert report.written > 20
    # only the status files are fsynced one by one; pages are not
    assert events.count("fsync") <= 2 < report.written
    assert events.count("sync") == 1
    last_page = max(i for i, e in enumerate(events) if e == "page")
    # marked unfinished before the first page moves; the flush starts after the last page and is over
    # before the commit that records the build as finished
    assert events.index("clean=0") < events.index("page")
    assert last_page < events.index("sync") < len(events) - 1
    assert events.index("clean=1") < len(events) - 1
    assert events[-1] == "commit"

    events.clear()
    build_site(filled, site)  # no article changed: only the status page (fsynced itself), no flush
    assert "sync" not in events


def test_a_failed_build_returns_only_once_its_workers_are_gone(filled: SqliteStore, site: SiteConfig,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # the outlet worker is still rendering when the build fails: build_site raises only after it ends,
    # so no worker of the failed build writes into the output folder afterwards
    import multiprocessing

    import newsdesk.site.build as build_module

    outlets = build_module._Build._outlets

    def slow_outlets(self: object, *args: object) -> None:
        time.sleep(0.05)
        outlets(self, *args)

    def failing_status(*args: object, **kwargs: object) -> list[str]:
        raise OutputError("status.html: disk full")

    monkeypatch.setattr(build_module, "_PARALLEL_OUTLETS", 1)  # the few outlets here go to a worker
    monkeypatch.setattr(build_module._Build, "_outlets", slow_outlets)
    monkeypatch.setattr(build_module, "write_status", failing_status)
    with pytest.raises(OutputError, match="disk full"):
        build_site(filled, replace(site, workers=2))
    assert multiprocessing.active_children() == []
    with pytest.raises(ChildProcessError):  # the forked outlet worker is gone too
        os.waitpid(-1, os.WNOHANG)
    # the pages this process had written but not yet renamed into place are gone, not left as temps
    assert [p for p in site.output.rglob("*.tmp")] == []
    assert not (site.output / "index.html").exists()
