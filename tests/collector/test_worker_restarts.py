"""The supervisor's restart backoff: the schedule as a pure function of a worker's lives,
and a real `serve --workers 2` whose killed worker is restarted after the logged delay."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import httpx
import orjson
import pytest
from tests.waiting import stop_gently, wait_until

from rastup_data.collector.restarts import DEFAULT_RESTARTS, RestartPolicy, restart_delay

from .conftest import KEY, free_port, fresh_events, start_serve


def _delays(uptimes: list[float], policy: RestartPolicy = DEFAULT_RESTARTS) -> list[float]:
    """The delay chosen after each death of a worker whose lives lasted ``uptimes``."""
    return [restart_delay(uptimes[: n + 1], policy) for n in range(len(uptimes))]


def test_a_worker_dying_at_every_start_waits_twice_as_long_each_time_up_to_30_s() -> None:
    assert _delays([0.1] * 10) == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]


def test_a_minute_up_resets_the_backoff() -> None:
    assert _delays([0.1, 0.1, 0.1, 60.0, 0.1, 0.1, 59.9, 3.0]) == [
        0.5, 1.0, 2.0, 0.5, 0.5, 1.0, 2.0, 4.0,
    ]  # fmt: skip
    assert restart_delay([0.2] * 5 + [3600.0]) == 0.5


def test_the_policy_sets_first_delay_cap_and_stable_uptime() -> None:
    policy = RestartPolicy(first_s=0.25, max_s=1.5, stable_s=10.0)
    assert _delays([1.0, 1.0, 1.0, 1.0, 10.0, 9.0], policy) == [0.25, 0.5, 1.0, 1.5, 0.25, 0.25]
    assert restart_delay([], policy) == 0.25
    assert restart_delay([0.0] * 100_000, policy) == 1.5  # no overflow on a long history


_RESTART = re.compile(
    r"worker (\d) exited with (-?\d+) after (\d+\.\d) s; restarting it in (\d+\.\d) s"
)


def _workers(pid: int) -> set[int]:
    """The supervisor's worker processes (its spawned children, not the resource tracker)."""
    found = set()
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                found.add(int(child))
    return found


def _replaced(pid: int, gone: int) -> set[int] | None:
    """The two workers once ``gone`` is no longer one of them, else None."""
    workers = _workers(pid)
    return workers if len(workers) == 2 and gone not in workers else None


@pytest.mark.slow
def test_a_killed_worker_is_restarted_after_the_logged_delay(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    port = free_port()
    proc = start_serve(lake, port, workers=2)
    log = next(tmp_path.glob("serve-*.log"))
    try:
        first = wait_until(lambda: _replaced(proc.pid, gone=0), "two workers")
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        second = wait_until(lambda: _replaced(proc.pid, victim), "the killed worker restarted")
        (newcomer,) = second - first
        # Killed again soon after it started: the next restart waits twice as long.
        os.kill(newcomer, signal.SIGKILL)
        wait_until(lambda: _replaced(proc.pid, newcomer), "the worker restarted again")
        restarts = _RESTART.findall(log.read_text(errors="replace"))
        assert [(r[1], r[3]) for r in restarts] == [("-9", "0.5"), ("-9", "1.0")], restarts
        assert restarts[0][0] == restarts[1][0]  # the same worker slot
        assert float(restarts[1][2]) < 60.0
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/events",
            content=orjson.dumps(fresh_events(5)),
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 202, response.text
    finally:
        stop_gently(proc)
