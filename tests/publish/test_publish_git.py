"""The git target: commits only real changes, says what changed, keeps history bounded, hides tokens."""

from __future__ import annotations

import logging
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.config import Config, parse_config
from newsdesk.errors import PublishError
from newsdesk.models import Article, SafeHtml, SourceReport
from newsdesk.publish import publish
from newsdesk.site.build import build_site
from newsdesk.store import SqliteStore, open_store

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
pytestmark = pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
                                reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={repo}", *args], capture_output=True, text=True, check=True).stdout


def _article(n: int, title: str | None = None) -> Article:
    return Article(source="wire", id=f"a{n}", outlet="wire", category="wire", title=title or f"第{n}条 快讯",
                   link=f"https://example.com/{n}", published_at=T0 + timedelta(minutes=n),
                   body_html=SafeHtml(f"<p>正文 {n} " + "市场 " * 50 + "</p>"))


def _config(root: Path, remote: Path | str, keep: str = "full") -> Config:
    text = (f'[site]\noutput = "public"\ntimezone = "UTC"\n[store]\npath = "s.db"\n'
            f'[publish]\ntarget = "git"\nbranch = "gh-pages"\nremote = "{remote}"\nkeep_history = "{keep}"\n'
            '[[sources]]\nname = "wire"\nurl = "http://127.0.0.1/wire.xml"\n')
    path = root / "newsdesk.toml"
    path.write_text(text, encoding="utf-8")
    return parse_config(text, path)


def _remote(root: Path) -> Path:
    remote = root / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    return remote


def _size(repo: Path) -> int:
    return sum(p.stat().st_size for p in repo.rglob("*") if p.is_file())


def _objects(repo: Path) -> tuple[int, int]:
    """(objects reachable from any ref, objects stored)."""
    reachable = len(git(repo, "rev-list", "--objects", "--all").splitlines())
    counts = dict(line.split(": ") for line in git(repo, "count-objects", "-v").splitlines())
    return reachable, int(counts["count"]) + int(counts["in-pack"])


def _cycles(config: Config, store: SqliteStore, cycles: int) -> list[bool]:
    """Run `cycles` build+publish rounds, news in every third; returns which rounds committed."""
    committed = []
    for cycle in range(cycles):
        if cycle % 3 == 0:
            store.upsert([_article(cycle)], T0 + timedelta(minutes=cycle))
        store.record_fetch(SourceReport(source="wire", started_at=T0 + timedelta(minutes=cycle), elapsed_s=0.1,
                                        status="ok"), None)  # a poll: status files change every round
        build_site(store, config.site)
        (report,) = publish(config, (1, 0) if cycle % 3 == 0 else (0, 0))
        committed.append(report.changed)
    return committed


@pytest.mark.slow
@pytest.mark.parametrize("keep", ["full", "squash"])
def test_fifty_cycles_commit_only_changes_and_squash_stays_flat(tmp_path: Path, keep: str) -> None:
    remote = _remote(tmp_path)
    config = _config(tmp_path, remote, keep)
    with open_store(config.store.path) as store:
        committed = _cycles(config, store, 50)
    assert committed == [cycle % 3 == 0 for cycle in range(50)]
    local = config.publish.repo
    log = git(remote, "log", "--format=%s", "gh-pages").splitlines()
    assert log[0] == "newsdesk: 1 new, 0 updated articles (" + log[0].split("(", 1)[1]
    if keep == "full":
        assert len(log) == 17
        assert log[-1].startswith("newsdesk: 1 new, 0 updated articles")
    else:
        assert len(log) == 1  # one parentless commit, however many rounds
        reachable, stored = _objects(local)
        # nothing the squashed commits held is kept; at most the last round's uncommitted
        # status files and their trees wait for the next prune
        assert reachable <= stored <= reachable + 6
        git(remote, "gc", "--quiet", "--prune=now")  # what a hosting service does on its own schedule
        reachable, stored = _objects(remote)
        assert stored == reachable
    # the branch holds the site, not the bookkeeping
    files = git(remote, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()
    assert "index.html" in files and ".nojekyll" in files and "status.json" in files
    assert not any(f.endswith(".tmp") or f.startswith(".newsdesk-") for f in files)
    print(f"\n{keep}: local {_size(local) / 1024:.0f} KiB, remote {_size(remote) / 1024:.0f} KiB after 50 cycles")


def test_updated_article_is_said_in_the_message(tmp_path: Path) -> None:
    remote = _remote(tmp_path)
    config = _config(tmp_path, remote)
    with open_store(config.store.path) as store:
        store.upsert([_article(1), _article(2)], T0)
        build_site(store, config.site)
        publish(config)
        store.upsert([_article(2, title="改过的标题"), _article(3)], T0 + timedelta(hours=1))
        build_site(store, config.site)
        (report,) = publish(config, (1, 1))
        assert report.changed
        assert git(remote, "log", "-1", "--format=%s", "gh-pages").startswith("newsdesk: 1 new, 1 updated articles (")
        # without the store's counts the message counts pages: new ones are new articles
        store.upsert([_article(4)], T0 + timedelta(hours=2))
        build_site(store, config.site)
        publish(config)
    subject = git(remote, "log", "-1", "--format=%s", "gh-pages").strip()
    assert subject.startswith("newsdesk: 1 new articles, ") and "article pages changed" in subject


SECRET = "ghp_s3cr3tT0kenValue1234567890"


@pytest.mark.parametrize("remote", [f"https://x-access-token:{SECRET}@127.0.0.1:9/news.git",
                                    "https://x-access-token:${NEWSDESK_TEST_TOKEN}@127.0.0.1:9/news.git"],
                         ids=["token-in-url", "token-from-environment"])
def test_a_failing_push_never_shows_the_token(tmp_path: Path, remote: str, caplog: pytest.LogCaptureFixture,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_TEST_TOKEN", SECRET)
    config = _config(tmp_path, remote)
    caplog.set_level(logging.DEBUG)
    with open_store(config.store.path) as store:
        store.upsert([_article(1)], T0)
        build_site(store, config.site)
        with pytest.raises(PublishError) as failed:
            publish(config)
    message = str(failed.value)
    assert "git push failed" in message
    assert SECRET not in message and SECRET not in caplog.text
    assert "***" in message or "127.0.0.1" in message
    site = "".join(p.read_text(encoding="utf-8", errors="replace") for p in config.site.output.rglob("*")
                   if p.is_file())
    assert SECRET not in site
    config_text = (config.publish.repo / "config").read_text(encoding="utf-8")
    assert SECRET not in config_text  # the remote is passed per push, never stored


def test_missing_environment_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSDESK_NOT_SET", raising=False)
    config = _config(tmp_path, "https://u:${NEWSDESK_NOT_SET}@127.0.0.1:9/x.git")
    with open_store(config.store.path) as store:
        build_site(store, config.site)
    with pytest.raises(PublishError, match="NEWSDESK_NOT_SET is not set"):
        publish(config)


def test_run_once_publishes_and_a_second_run_commits_nothing(tmp_path: Path) -> None:
    from newsdesk.cli import main

    remote = _remote(tmp_path)
    config = _config(tmp_path, remote)
    os.environ.pop("NEWSDESK_TEST_TOKEN", None)
    with open_store(config.store.path) as store:
        store.upsert([_article(1)], T0)
    # the source itself is unreachable: the cycle fails to fetch, yet builds and publishes what is stored
    assert main(["--config", str(config.path), "run", "--once"]) == 1
    assert len(git(remote, "log", "--format=%s", "gh-pages").splitlines()) == 1
    main(["--config", str(config.path), "run", "--once"])
    assert len(git(remote, "log", "--format=%s", "gh-pages").splitlines()) == 1
