"""Heavy jobs run a `rastup-data` command in a child process.

A child keeps the collector's process responsive (dbt and DuckDB would otherwise compete
for its interpreter), can be paused and resumed for real (SIGSTOP/SIGCONT: a paused build
uses no CPU while the lander catches up), and is stopped on shutdown. Its output goes to
``<work>/scheduler/<job>-<time>.log``; the run records the exit status and the last lines.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rastup_data.scheduler.jobs.base import JobContext, JobOutcome, RunControl

__all__ = ["ChildCommandJob"]

_TAIL_LINES = 15


def _tail(path: os.PathLike[str]) -> list[str]:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 8192))
            lines = handle.read().decode(errors="replace").splitlines()
    except OSError:
        return []
    return lines[-_TAIL_LINES:]


@dataclass(frozen=True, slots=True)
class ChildCommandJob:
    """Run ``rastup-data <args> --lake LAKE [--work-dir W]`` as a child process."""

    name: str
    args: tuple[str, ...]
    heavy: bool = True
    timeout_s: float = 4 * 3600.0

    def command(self, context: JobContext) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "rastup_data.cli",
            *self.args,
            "--lake",
            str(context.layout.root),
        ]
        if context.layout.work_root is not None:
            command += ["--work-dir", str(context.layout.work_root)]
        return command

    def run(self, context: JobContext, control: RunControl) -> JobOutcome:
        logs = context.layout.work.path("scheduler")
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"{self.name}-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
        environment = {**os.environ, "RASTUP_ENV": context.profile.name}
        with open(log_path, "wb") as log:
            child = subprocess.Popen(
                self.command(context), stdout=log, stderr=subprocess.STDOUT, env=environment
            )
            returncode, paused_s = _supervise(child, control, self.timeout_s)
        detail = {
            "command": ["rastup-data", *self.args],
            "exit": returncode,
            "paused_s": round(paused_s, 1),
            "log": str(log_path),
            "tail": _tail(log_path),
        }
        if control.stopping.is_set() and returncode != 0:
            return JobOutcome("failed", {**detail, "reason": "stopped with the scheduler"})
        return JobOutcome("succeeded" if returncode == 0 else "failed", detail)


def _supervise(
    child: subprocess.Popen[bytes], control: RunControl, timeout_s: float
) -> tuple[int, float]:
    """Wait for the child; pause and resume it as asked; stop it on shutdown or timeout."""
    started, paused_since, paused_total = time.monotonic(), None, 0.0
    while child.poll() is None:
        if control.stopping.is_set() or time.monotonic() - started - paused_total > timeout_s:
            _stop(child, paused=paused_since is not None)
            break
        if control.paused() and paused_since is None:
            child.send_signal(signal.SIGSTOP)
            paused_since = time.monotonic()
        elif not control.paused() and paused_since is not None:
            child.send_signal(signal.SIGCONT)
            paused_total += time.monotonic() - paused_since
            paused_since = None
        control.stopping.wait(0.5)
    if paused_since is not None:
        paused_total += time.monotonic() - paused_since
    return child.wait(), paused_total


def _stop(child: subprocess.Popen[bytes], *, paused: bool) -> None:
    child.terminate()
    if paused:
        child.send_signal(signal.SIGCONT)  # a stopped process handles SIGTERM once continued
    try:
        child.wait(30)
    except subprocess.TimeoutExpired:
        child.kill()


def build_job(name: str, *extra: str) -> ChildCommandJob:
    """``rastup-data build`` (incremental, with its lookback) as a heavy job."""
    return ChildCommandJob(name, ("build", *extra))


def command_job(name: str, args: Sequence[str]) -> ChildCommandJob:
    return ChildCommandJob(name, tuple(args))
