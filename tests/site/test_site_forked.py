"""The build's forked outlet worker: a result or an exception comes back, and claims are shared out once."""

from __future__ import annotations

import os
import signal
import time

import pytest

from newsdesk.errors import OutputError
from newsdesk.site.forked import Claims, Forked


def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def take_all(claims: Claims, pause: float) -> list[int]:
    taken = []
    for number in iter(claims.take, None):
        taken.append(number)
        time.sleep(pause)
    return taken


def test_a_parent_and_its_child_take_every_claim_exactly_once() -> None:
    claims = Claims(40_000)  # more than a pipe holds by default (64 KB of 4-byte numbers)
    child = Forked(take_all, claims, 0.00001)
    mine = take_all(claims, 0.00001)
    theirs = child.result()
    claims.close()
    assert theirs and mine  # both got some
    assert sorted(mine + theirs) == list(range(40_000))
    assert no_children_left()


def test_claims_say_how_many_are_left() -> None:
    claims = Claims(5)
    assert claims.left() == 5
    assert [claims.take(), claims.take()] == [0, 1]
    assert claims.left() == 3
    assert [claims.take(), claims.take(), claims.take(), claims.take()] == [2, 3, 4, None]
    assert claims.left() == 0
    claims.close()


def test_a_child_returns_its_value_and_raises_its_error() -> None:
    assert Forked(lambda a, b: {"sum": a + b, "pid": os.getpid()}, 2, 3).result()["sum"] == 5
    assert Forked(os.getpid).result() != os.getpid()

    def fails() -> None:
        raise OutputError("category/x.html: disk full")

    with pytest.raises(OutputError, match="disk full"):
        Forked(fails).result()
    assert no_children_left()


def test_an_error_that_cannot_be_pickled_still_comes_back() -> None:
    class Local(Exception):  # defined in a function: pickle cannot find it by name
        pass

    def fails() -> None:
        raise Local("a local failure")

    with pytest.raises(OutputError, match="a local failure"):
        Forked(fails).result()


def test_a_child_that_dies_is_an_output_error() -> None:
    child = Forked(lambda: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(OutputError, match="ended without a result"):
        child.result()
    assert no_children_left()


def test_close_waits_for_the_child_and_drops_its_result(tmp_path) -> None:
    marker = tmp_path / "done"

    def slow() -> bytes:
        time.sleep(0.2)
        marker.write_text("finished")
        return b"x" * 300_000  # more than a pipe holds: the child waits until the parent reads

    child = Forked(slow)
    child.close()
    assert marker.read_text() == "finished"
    assert no_children_left()
