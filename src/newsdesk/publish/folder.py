"""Switch a served folder to a new release in one step: hard-linked copy, then a symlink swap.

The build already replaces each file atomically, so a reader never sees half a
page; a release folder goes further and switches the whole site at once, so a
reader never sees a home page linking to an article that is not there yet.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from newsdesk.errors import PublishError
from newsdesk.publish import PublishReport

KEEP_RELEASES = 2  # the live one and the one before it (a reader may still be mid-page)
_SKIP = frozenset({".newsdesk-manifest.json", ".newsdesk-build.db", ".newsdesk-build.db-journal"})


def _link_or_copy(source: str, target: str) -> None:
    # builds replace files by rename, never in place, so a hard link is a safe snapshot
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def publish_folder(output: Path, path: Path) -> PublishReport:
    """Snapshot `output` as a new release and point the symlink `path` at it; raises PublishError."""
    releases = path.parent / f".{path.name}.releases"
    if path.exists() and not path.is_symlink():
        raise PublishError(f"{path}: exists and is not a symlink newsdesk made; move it away or pick"
                           " another [publish] path")
    # names sort in creation order, which is how old releases are picked for removal
    name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    release = releases / name
    while release.exists():
        name += "+"
        release = releases / name
    try:
        releases.mkdir(parents=True, exist_ok=True)
        shutil.copytree(output, release, copy_function=_link_or_copy,
                        ignore=lambda folder, names: [n for n in names if n in _SKIP or n.endswith(".tmp")])
        temp_link = path.parent / f".{path.name}.{name}.link"
        os.symlink(os.path.relpath(release, path.parent), temp_link)
        os.replace(temp_link, path)  # the one atomic step readers can observe
    except OSError as exc:
        raise PublishError(f"{path}: cannot publish a release: {exc.strerror or exc}") from exc
    for old in sorted(p for p in releases.iterdir() if p.is_dir())[:-KEEP_RELEASES]:
        if old != release:
            shutil.rmtree(old, ignore_errors=True)
    return PublishReport("folder", True, f"{path} -> {release.name}")
