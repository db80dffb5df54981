"""Stopping `rastup-data demo`: Ctrl-C ends with the goodbye line, SIGTERM leaves no orphans.

Each test runs a tiny demo in its own process group, waits until it serves, then signals it
the way a terminal (Ctrl-C: SIGINT to the whole group) or a supervisor (SIGTERM to the
demo's pid) would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.waiting import PATIENCE_S, stop_group

from ..collector.conftest import descendants, free_port, still_running, wait_gone

pytestmark = pytest.mark.slow

GOODBYE = "stopped: everything accepted is in Bronze"
SERVING = "query: rastup-data query"


def _start_demo(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rastup_data.cli",
                "demo",
                "--out",
                str(tmp_path / "out"),
                "--users",
                "50",
                "--days",
                "2",
                "--port",
                str(free_port()),
            ],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's job is
            env=dict(os.environ, DO_NOT_TRACK="1"),
        )
    deadline = time.monotonic() + 600  # a loaded two-core machine can be slow
    while SERVING not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_group(proc)
            pytest.fail(f"the demo did not reach serving:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)
    return proc, log


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    proc, log = _start_demo(tmp_path)
    children = descendants(proc.pid)
    try:
        yield proc, log
    finally:
        if proc.poll() is None:
            stop_group(proc)
        for pid in still_running(children):
            os.kill(pid, signal.SIGKILL)


def test_ctrl_c_prints_nothing_after_the_goodbye_line(
    demo: tuple[subprocess.Popen[bytes], Path],
) -> None:
    proc, log = demo
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    assert proc.wait(timeout=PATIENCE_S) == 0
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    after = lines[lines.index("stopping…") :]
    assert after[-1].startswith(GOODBYE), "\n".join(after)
    assert len(after) == 2, "\n".join(after)
    assert "leaked" not in log.read_text(errors="replace")


def test_sigterm_leaves_no_child_alive(demo: tuple[subprocess.Popen[bytes], Path]) -> None:
    proc, log = demo
    children = descendants(proc.pid)
    assert len(children) >= 2, "expected validation workers and a resource tracker"
    proc.send_signal(signal.SIGTERM)  # to the demo only, as a service manager would
    assert proc.wait(timeout=PATIENCE_S) == 0, log.read_text(errors="replace")
    assert not wait_gone(children), "children outlived the demo"
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    assert lines[-1].startswith(GOODBYE), "\n".join(lines[-5:])
