"""The tests' waiting helpers: they wait for a condition, and a server that never gets
healthy is stopped with its whole process group and reaped, its log in the error."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.collector.conftest import descendants, free_port, still_running
from tests.waiting import wait_healthy, wait_until


def test_wait_until_returns_the_first_true_value_and_treats_ignored_errors_as_not_yet() -> None:
    calls: list[int] = []

    def third_time() -> int | None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("not listening yet")
        return len(calls) * 7 if len(calls) >= 3 else None

    assert wait_until(third_time, "a third call", ignoring=(ConnectionError,)) == 21
    assert len(calls) == 3


def test_wait_until_names_what_it_waited_for() -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"not within 0.3 s: the moon to turn blue"):
        wait_until(lambda: False, "the moon to turn blue", timeout=0.3)
    assert time.monotonic() - started >= 0.3


def test_a_condition_error_that_is_not_ignored_is_raised_at_once() -> None:
    with pytest.raises(ZeroDivisionError):
        wait_until(lambda: 1 / 0, "a division")


def _group_with_a_child(log: Path) -> subprocess.Popen[bytes]:
    """A "server" that never listens: a shell in its own process group with a child."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["sh", "-c", "echo starting up; sleep 300 & wait"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_until(lambda: descendants(proc.pid), "the shell's child started")
    return proc


def test_a_server_never_healthy_is_killed_with_its_children_and_reaped(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    proc = _group_with_a_child(log)
    children = descendants(proc.pid)
    with pytest.raises(AssertionError, match=r"(?s)healthy server.*starting up"):
        wait_healthy(proc, free_port(), log, timeout=0.5)
    assert proc.returncode is not None, "the server was not reaped"
    wait_until(lambda: not still_running(children), "the child gone with its group")


def test_a_server_that_exits_fails_at_once_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; print('cannot bind'); sys.exit(3)"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"(?s)exited with 3.*cannot bind"):
        wait_healthy(proc, free_port(), log)
    assert time.monotonic() - started < 60, "an exited server is not waited for"
    assert proc.returncode == 3
