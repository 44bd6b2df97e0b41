"""One writer at a time per store: an flock on a file beside it, released by the kernel on any exit.

`run`, `fetch`, `update`, `build` and `export` take it, so a second process on the
same store is refused with the holder's pid and purpose instead of interleaving
writes. flock (not a pid file) because a `kill -9` must not leave a stale lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsdesk.errors import LockedError

LOCK_SUFFIX = ".lock"
_POLL_S = 0.05
_NAME_GRACE_S = 0.5


def lock_path(path: Path) -> Path:
    """The lock file that guards `path` (the store file): `<path>.lock` beside it."""
    path = Path(path)
    return path.with_name(path.name + LOCK_SUFFIX)


def read_holder(path: Path) -> str:
    """Who holds the lock on `path`, as the holder wrote it ("pid 123 (run)"), or "" if unknown."""
    try:
        return lock_path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


@contextmanager
def hold_lock(path: Path, purpose: str, *, wait_s: float = 0.0) -> Iterator[Path]:
    """Hold the exclusive lock on `path` for the `with` block; yields the lock file.

    Waits up to `wait_s` seconds for another holder to finish, then raises
    LockedError naming that holder's pid and purpose. Raises LockedError too when
    the lock file cannot be created (its folder is not writable).
    """
    target = lock_path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LockedError(f"{target}: cannot create the lock file: {exc.strerror or exc}") from exc
    try:
        deadline = time.monotonic() + wait_s
        grace = True
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = read_holder(path)
                    if not holder and grace:
                        # the holder is between taking the lock and writing its name, or is
                        # letting go: look once more shortly rather than refuse a nameless holder
                        grace, deadline = False, time.monotonic() + _NAME_GRACE_S
                        continue
                    holder = holder or "another process"
                    raise LockedError(
                        f"{path}: in use by {holder}; wait for it to finish or stop it "
                        f"(lock file {target})") from None
                time.sleep(_POLL_S)
        # what a refused process will print: who holds the store and why
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} ({purpose})\n".encode(), 0)
        try:
            yield target
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
