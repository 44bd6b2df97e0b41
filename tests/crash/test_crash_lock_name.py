"""A command refused by the store lock names the holder even when it asks just as the holder starts."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest

from newsdesk.errors import LockedError
from newsdesk.lock import hold_lock, lock_path


def test_refusal_waits_briefly_for_a_holder_that_has_not_named_itself(tmp_path: Path) -> None:
    store = tmp_path / "newsdesk.db"
    target = lock_path(store)
    fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # locked, the name not written yet
    naming = threading.Timer(0.1, lambda: os.pwrite(fd, b"pid 4242 (fetch)\n", 0))
    naming.start()
    try:
        with pytest.raises(LockedError) as refused, hold_lock(store, "build"):
            pass
    finally:
        naming.join()
        os.close(fd)
    assert "in use by pid 4242 (fetch); wait for it to finish or stop it" in str(refused.value)
