"""Commit the built site to a branch of a local git repository and push it; commit only real changes.

The output folder itself is the work tree (nothing is copied); the repository is
bare and holds only the publish branch. `keep_history = "squash"` replaces the
branch with one parentless commit each time and prunes what that left behind,
so the repository stays the size of one copy of the site however long it runs.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from newsdesk.config import PublishConfig
from newsdesk.errors import PublishError
from newsdesk.publish import PublishReport
from newsdesk.publish.secrets import expand, redact, secrets_of

log = logging.getLogger(__name__)

GIT_TIMEOUT_S = 600.0
PUSHED_REF = "refs/newsdesk/pushed"  # the branch tip the remote was last given
# files that change every cycle without news: carried along, never a reason to commit
STATUS_FILES = frozenset({"status.html", "status.json"})
_ARTICLE_PAGE = re.compile(r"^[^/]+/\d{4}/\d{2}/\d{2}/[^/]+\.html$")
_EXCLUDES = ".newsdesk-manifest.json\n.newsdesk-build.db*\n.*.tmp\n"
_IDENTITY = ("-c", "user.name=newsdesk", "-c", "user.email=newsdesk@localhost")


@dataclass(frozen=True, slots=True)
class TreeChange:
    """How a new tree differs from the branch tip's."""

    new_articles: int
    updated_articles: int
    removed_articles: int
    files: int  # every path added, changed or removed
    status_only: bool  # nothing but the status page changed

    def message(self, news: tuple[int, int] | None = None) -> str:
        """A commit subject: '12 new, 3 updated articles (40 files changed)'.

        `news` is (new, updated) as the store counted them; without it the article
        pages added are the new ones, and changed pages are only counted (a new
        article also changes its neighbours' pages, so they are no measure of updates).
        """
        noun = "file" if self.files == 1 else "files"
        if news is not None:
            return f"{news[0]} new, {news[1]} updated articles ({self.files} {noun} changed)"
        removed = f", {self.removed_articles} removed" if self.removed_articles else ""
        return (f"{self.new_articles} new articles{removed}, {self.updated_articles} article pages changed"
                f" ({self.files} {noun} changed)")


class _Git:
    """The git CLI on one bare repository whose work tree is the output folder."""

    def __init__(self, repo: Path, work_tree: Path, secrets: Sequence[str]) -> None:
        self.repo, self.work_tree, self.secrets = repo, work_tree, list(secrets)

    def __call__(self, *args: str, stdin: str | None = None, check: bool = True, bare: bool = False) -> str:
        where = [] if bare else [f"--git-dir={self.repo}", f"--work-tree={self.work_tree}"]
        command = ["git", *_IDENTITY, *where, *args]
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
        try:
            done = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env,
                                  timeout=GIT_TIMEOUT_S, check=False)
        except FileNotFoundError as exc:
            raise PublishError("git is not installed (needed by [publish] target = \"git\")") from exc
        except subprocess.TimeoutExpired as exc:
            raise PublishError(f"git {args[0]} did not finish within {GIT_TIMEOUT_S:g} s") from exc
        if check and done.returncode != 0:
            # git echoes remote URLs in its errors; the token must not reach a log
            detail = redact((done.stderr or done.stdout).strip(), self.secrets)
            log.debug("git %s failed: %s", args[0], detail)
            last = detail.splitlines()[-1] if detail else f"exit code {done.returncode}"
            raise PublishError(f"git {args[0]} failed: {last}")
        return done.stdout.strip()


def _ensure_repo(git: _Git, repo: Path) -> None:
    if (repo / "HEAD").is_file():
        return
    try:
        repo.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(f"{repo}: cannot create the publish repository: {exc.strerror or exc}") from exc
    git("init", "--quiet", "--bare", str(repo), bare=True)
    git("config", "core.logAllRefUpdates", "false")  # no reflog keeping squashed commits alive
    (repo / "info").mkdir(exist_ok=True)
    (repo / "info" / "exclude").write_text(_EXCLUDES, encoding="utf-8")


def _tip(git: _Git, ref: str) -> str | None:
    found = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    return found or None


def tree_change(git: _Git, old_tree: str | None, new_tree: str) -> TreeChange:
    """Count article pages added, changed and removed between two trees."""
    base = old_tree or git("hash-object", "-t", "tree", "-w", "--stdin", stdin="")  # the empty tree
    listing = git("diff-tree", "-r", "--no-renames", "--name-status", "-z", base, new_tree)
    fields = [f for f in listing.split("\0") if f]
    changes = list(zip(fields[::2], fields[1::2], strict=False))
    counts = {"A": 0, "M": 0, "D": 0}
    for status, path in changes:
        if _ARTICLE_PAGE.match(path):
            counts[status[0]] = counts.get(status[0], 0) + 1
    return TreeChange(new_articles=counts["A"], updated_articles=counts["M"], removed_articles=counts["D"],
                      files=len(changes), status_only=bool(changes) and {p for _, p in changes} <= STATUS_FILES)


def publish_git(output: Path, settings: PublishConfig, news: tuple[int, int] | None = None) -> PublishReport:
    """Commit `output` to `settings.branch` when its pages changed, then push; raises PublishError."""
    remote, secrets = expand(settings.remote) if settings.remote else (None, [])
    if remote is not None:
        secrets = [*secrets, *secrets_of(remote)]
    repo = settings.repo.absolute()
    git = _Git(repo, output.absolute(), secrets)
    if not output.is_dir():
        raise PublishError(f"{output}: nothing to publish yet (build the site first)")
    _ensure_repo(git, repo)
    branch_ref = f"refs/heads/{settings.branch}"
    git("add", "--all", ".")
    # GitHub Pages would otherwise run the site through Jekyll and drop _-prefixed paths
    empty = git("hash-object", "-w", "--stdin", stdin="")
    git("update-index", "--add", "--cacheinfo", f"100644,{empty},.nojekyll")
    tree = git("write-tree")
    tip = _tip(git, branch_ref)
    old_tree = git("rev-parse", f"{tip}^{{tree}}") if tip else None
    committed = False
    change = tree_change(git, old_tree, tree)
    if tree != old_tree and not change.status_only:
        message = f"newsdesk: {change.message(news)}"
        parents = ["-p", tip] if tip and settings.keep_history == "full" else []
        commit = git("commit-tree", tree, *parents, "-m", message)
        git("update-ref", branch_ref, commit)
        committed = True
        detail = f"committed {settings.branch}: {change.message(news)}"
    else:
        detail = f"{settings.branch} unchanged"
    head = _tip(git, branch_ref)
    if remote is not None and head is not None and head != _tip(git, PUSHED_REF):
        # a squashed branch replaces the remote's history by design; a full one must fast-forward
        force = ["--force"] if settings.keep_history == "squash" else []
        git("push", "--quiet", *force, remote, f"{branch_ref}:{branch_ref}")
        git("update-ref", PUSHED_REF, head)
        detail += f"; pushed to {redact(remote, secrets)}"
    if committed and settings.keep_history == "squash":
        # the replaced commit and the pages only it held are garbage now (the pushed
        # marker moved off it above): drop them
        git("prune", "--expire=now")
    elif committed:
        git("gc", "--auto", "--quiet")
    return PublishReport("git", committed, detail)
