"""One function run in a forked child process, and a list of work both processes take from.

The build hands its touched outlets to a child made with os.fork, not to a
ProcessPoolExecutor: the executor's imports (concurrent.futures.process,
multiprocessing), its management thread and its queues cost an update ~35 ms of its
~0.33 s (A/B at 10,000 articles). The child shares the parent's imported modules and
settings; it opens its own connections, sends back one pickled result (or exception)
through a pipe, and exits without the interpreter's teardown.
"""

from __future__ import annotations

import fcntl
import logging
import os
import pickle
import termios
from array import array
from collections.abc import Callable
from typing import Generic, TypeVar

from newsdesk.errors import OutputError

T = TypeVar("T")
_RECORD = 4  # bytes per item number in a Claims pipe
_PIPE_BYTES = 65_536  # a pipe's default capacity on Linux


class Claims:
    """Item numbers 0..count-1 in a pipe: each read takes the next one, so two processes reading it
    (a parent and its forked child) each get every item at most once, and all items are taken."""

    def __init__(self, count: int) -> None:
        read, write = os.pipe()
        try:
            if count * _RECORD > _PIPE_BYTES:  # all of it is written before anyone reads
                fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, count * _RECORD)
            data = b"".join(number.to_bytes(_RECORD, "little") for number in range(count))
            written = os.write(write, data)
            if written != len(data):
                raise OSError(f"pipe took {written} of {len(data)} bytes")
        except OSError:
            os.close(read)
            raise
        finally:
            os.close(write)
        self._read = read

    def take(self) -> int | None:
        """The next item number, or None once all are taken."""
        data = os.read(self._read, _RECORD)
        return int.from_bytes(data, "little") if data else None

    def left(self) -> int:
        """How many items are not taken yet (bytes waiting in the pipe)."""
        waiting = array("i", [0])
        fcntl.ioctl(self._read, termios.FIONREAD, waiting)
        return waiting[0] // _RECORD

    def close(self) -> None:
        os.close(self._read)


class Forked(Generic[T]):
    """`function(*args)` running in a forked child; `result()` waits for it and returns or raises."""

    def __init__(self, function: Callable[..., T], *args: object) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read)
            _run_child(write, function, args)
        os.close(write)
        self._pid: int | None = pid
        self._read = read

    def result(self) -> T:
        """The child's return value; its exception is raised here. Waits for the child to exit."""
        data = self._collect()
        try:
            ok, value = pickle.loads(data)
        except Exception as exc:  # the child died before it could answer (killed, out of memory)
            raise OutputError(f"build worker process ended without a result ({len(data)} bytes)") from exc
        if ok:
            return value  # type: ignore[no-any-return]
        raise value

    def close(self) -> None:
        """Wait for the child to end, dropping its result (a build that failed)."""
        if self._pid is not None:
            self._collect()

    def _collect(self) -> bytes:
        chunks: list[bytes] = []
        try:
            while chunk := os.read(self._read, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self._read)
            pid, self._pid = self._pid, None
            if pid is not None:
                os.waitpid(pid, 0)
        return b"".join(chunks)


def _run_child(write: int, function: Callable[..., object], args: tuple[object, ...]) -> None:
    """Run `function` and send back (True, its result) or (False, its exception); then exit at once."""
    code = 0
    try:
        try:
            answer: tuple[bool, object] = (True, function(*args))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            answer = (False, exc)
        try:
            data = pickle.dumps(answer)
        except Exception as exc:  # an exception that cannot be pickled: send what it said
            data = pickle.dumps((False, OutputError(f"build worker process: {answer[1]!r} ({exc})")))
        view = memoryview(data)
        while view:
            view = view[os.write(write, view):]
    except BaseException:  # noqa: BLE001 - the pipe is gone; the parent reports the missing result
        code = 1
    finally:
        for handler in logging.getLogger().handlers + logging.getLogger("newsdesk").handlers:
            try:
                handler.flush()
            except Exception:  # noqa: BLE001, S110 - exiting anyway
                pass
        os._exit(code)
