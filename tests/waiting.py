"""Waiting in tests for a condition, never for a length of time.

On a loaded two-core CI machine (load average 12-14) what takes a fraction of a second
alone can take tens of seconds: a `serve` process importing its modules, a worker landing a
batch, a refresh running. Tests therefore wait for the thing they need to have happened,
polling it, with one deadline (``PATIENCE_S``) generous enough for such a machine. The
deadline only bounds how long a broken product is waited for; a passing test never sits it
out. A test asserting a duration that is the product's promise (a stop within N seconds)
keeps its own number and says so.

``start_serve_process`` starts `rastup-data serve` in its own process group and returns once
it is healthy. Processes started in their own process group are stopped with ``stop_group``
(or ``stop_gently``), which also reaps them: a ``Popen`` never waited for warns when it is
collected, and pytest turns that warning into an error in whichever later test happens to be
running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import httpx

T = TypeVar("T")

PATIENCE_S = 180.0
"""How long a condition may take to come true on a loaded CI machine."""

POLL_S = 0.1
"""How often a condition is checked."""


def wait_until(
    condition: Callable[[], T],
    what: str,
    *,
    timeout: float = PATIENCE_S,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Poll ``condition`` until it returns a true value, and return that value.

    An exception of a type in ``ignoring`` counts as "not yet" (a server still starting
    refuses connections). After ``timeout`` seconds an ``AssertionError`` names ``what``.
    """
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(*ignoring):
            value = condition()
            if value:
                return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(POLL_S)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill -9 the process group led by ``proc`` (started with ``start_new_session``), reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def stop_gently(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group led by ``proc`` (a server drains and exits), kill -9 if it
    is still there after ``PATIENCE_S``; reaped either way."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(PATIENCE_S)
    except subprocess.TimeoutExpired:
        stop_group(proc)


def wait_healthy(
    proc: subprocess.Popen[bytes],
    port: int,
    log: Path | None = None,
    *,
    timeout: float = PATIENCE_S,
) -> None:
    """Until the server ``proc`` started on ``port`` answers ``/healthz`` with 200.

    If it exits first, or never gets healthy, its process group is killed and reaped and
    the error carries its log (when it writes one).
    """

    def healthy() -> bool:
        if proc.poll() is not None:
            raise ChildProcessError(f"exited with {proc.returncode}")
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200

    try:
        wait_until(
            healthy,
            f"a healthy server on port {port}",
            timeout=timeout,
            ignoring=(httpx.HTTPError,),
        )
    except (AssertionError, ChildProcessError) as exc:
        stop_group(proc)
        output = log.read_text(errors="replace") if log else "(its output went to the terminal)"
        raise AssertionError(f"{exc}; its log:\n{output}") from None


def start_serve_process(
    port: int,
    arguments: Sequence[str],
    *,
    env: Mapping[str, str],
    log: Path | None = None,
) -> subprocess.Popen[bytes]:
    """``rastup-data serve --port PORT ARGUMENTS…`` in its own process group (kill -9 of the
    group takes every worker), once healthy. Its output goes to ``log`` when given, else to
    the terminal; a server that never gets healthy is stopped as ``wait_healthy`` says."""
    command = [sys.executable, "-m", "rastup_data.cli", "serve", "--port", str(port), *arguments]
    if log is None:
        proc = subprocess.Popen(command, env=dict(env), start_new_session=True)
    else:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                command,
                env=dict(env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    wait_healthy(proc, port, log)
    return proc
