"""Shared steps of the hostile-world tests: a config on disk, a timed fetch, store checks."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from newsdesk import pipeline
from newsdesk.config import Config, load_config
from newsdesk.models import SourceReport
from newsdesk.store import open_store

QUICK_FETCH = {"timeout": 2, "connect_timeout": 1, "retries": 1, "backoff": 0.01}


def write_config(folder: Path, sources: list[tuple[str, str]], *, output: str = "public",
                 extra_source_keys: dict[str, dict[str, object]] | None = None, **fetch: object) -> Path:
    """newsdesk.toml with feed sources `(name, url)` and quick fetch limits; returns its path."""
    settings = {**QUICK_FETCH, **fetch}
    lines = ["[site]", 'title = "hostile"', 'base_url = "https://news.example.com"',
             f"output = {json.dumps(output)}", "live_days = 100000", "[fetch]",
             *(f"{k} = {json.dumps(v)}" for k, v in settings.items())]
    for name, url in sources:
        lines += ["[[sources]]", f"name = {json.dumps(name, ensure_ascii=False)}", 'kind = "feed"',
                  f"url = {json.dumps(url)}"]
        for key, value in (extra_source_keys or {}).get(name, {}).items():
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    path = folder / "newsdesk.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Run:
    """One timed `pipeline.fetch`: its reports by source and the seconds it took."""

    reports: dict[str, SourceReport]
    elapsed_s: float


def fetch_all(config: Config) -> Run:
    """Run the real pipeline's fetch over every source of `config`."""
    started = time.monotonic()
    with open_store(config.store.path) as store:
        reports = pipeline.fetch(config, store)
    return Run({r.source: r for r in reports}, time.monotonic() - started)


def load(path: Path) -> Config:
    return load_config(path)


def stored_ids(config: Config) -> list[tuple[str, str]]:
    """Every (source, id) row in the SQLite file, duplicates included if there were any."""
    with sqlite3.connect(config.store.path) as conn:
        return sorted(conn.execute("SELECT source, id FROM articles").fetchall())


def assert_no_duplicates(config: Config) -> None:
    rows = stored_ids(config)
    assert len(rows) == len(set(rows))
    with sqlite3.connect(config.store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
