"""Durability: pages are renamed into place without an fsync each; one flush precedes the manifest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsdesk.config import SiteConfig
from newsdesk.site.build import build_site
from newsdesk.site.write import MANIFEST, read_inputs
from newsdesk.store import SqliteStore


def test_build_flushes_once_before_the_manifest(filled: SqliteStore, site: SiteConfig,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(src: str, dst: str | Path) -> None:
        events.append("manifest" if Path(dst).name == MANIFEST else "page")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "sync", lambda: events.append("sync"))
    report = build_site(filled, site, full=True)
    assert report.written > 20
    # the interim manifest (pages marked pending), the final one and the status files are fsynced;
    # pages are not
    assert events.count("manifest") == 2
    assert events.count("fsync") <= 4 < report.written
    assert events.count("sync") == 1
    assert events.index("sync") > max(i for i, e in enumerate(events) if e == "page")
    assert events.index("sync") < len(events) - 2  # then the final manifest: fsync, rename
    assert "pending" not in read_inputs(site.output).values()

    events.clear()
    build_site(filled, site)  # no article changed: only the status page (fsynced itself), no flush
    assert "sync" not in events
