"""The store lock: one holder at a time, a clear refusal, released by kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsdesk.errors import LockedError
from newsdesk.lock import hold_lock, lock_path, read_holder

HOLDER = """
import sys, time
from pathlib import Path
from newsdesk.lock import hold_lock
with hold_lock(Path(sys.argv[1]), "test holder"):
    print("held", flush=True)
    time.sleep(60)
"""


def _start_holder(store: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(store)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_lock_is_reentrant_after_release(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    with hold_lock(store, "first") as file:
        assert file == lock_path(store)
        assert read_holder(store) == f"pid {os.getpid()} (first)"
    with hold_lock(store, "second"):
        pass
    assert read_holder(store) == ""


def test_second_holder_is_refused_naming_pid_and_purpose(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    proc = _start_holder(store)
    try:
        with pytest.raises(LockedError) as refused, hold_lock(store, "me"):
            pass
        message = str(refused.value)
        assert f"pid {proc.pid}" in message and "test holder" in message and str(store) in message
        assert refused.value.exit_code == 1
    finally:
        proc.kill()
        proc.wait()


def test_kill_9_releases_the_lock(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    proc = _start_holder(store)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with hold_lock(store, "after the crash", wait_s=5):
        assert "after the crash" in read_holder(store)


def test_waiting_gets_the_lock_when_the_holder_ends(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    proc = _start_holder(store)
    started = time.monotonic()
    killer = subprocess.Popen([sys.executable, "-c", f"import os,time,signal; time.sleep(0.3); os.kill({proc.pid}, 9)"])
    with hold_lock(store, "patient", wait_s=10):
        assert time.monotonic() - started < 10
    killer.wait()
    proc.wait()


def test_unwritable_folder_is_a_locked_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LockedError, match="cannot create the lock file"), hold_lock(blocker / "s.db", "x"):
        pass
