"""Stopping `rastup-data serve`: quiet on Ctrl-C and SIGTERM, every child gone with it."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import orjson
import pytest
from tests.waiting import PATIENCE_S, start_serve_process, stop_group, wait_until

from rastup_data.lake.layout import LakeLayout
from rastup_data.transform.warehouse import warehouse_dirs

from .conftest import KEY, descendants, free_port, fresh_events, still_running, wait_gone

pytestmark = pytest.mark.slow


def _serve(lake: Path, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    arguments = [
        "--lake", str(lake), "--workers", str(workers), "--validation-workers", "2",
        "--nrt-interval", "1", "--log-level", "warning",
    ]  # fmt: skip
    env = dict(os.environ, RASTUP_INGEST_KEYS=KEY, DO_NOT_TRACK="1")
    return start_serve_process(port, arguments, env=env, log=log)


@pytest.mark.parametrize(
    ("workers", "signum"),
    [(1, signal.SIGINT), (2, signal.SIGINT), (1, signal.SIGTERM), (2, signal.SIGTERM)],
)
def test_serve_stops_quietly_and_takes_its_children(
    tmp_path: Path, workers: int, signum: signal.Signals
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    proc = _serve(tmp_path / "lake", port, workers, log)
    children = descendants(proc.pid)
    try:
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/events",
            content=orjson.dumps(fresh_events(50)),
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
            timeout=60,
        )
        assert response.status_code == 202
        # Wait for an NRT refresh to have run, so a DuckDB connection has been in use.
        nrt = warehouse_dirs(LakeLayout(tmp_path / "lake")).nrt
        wait_until(lambda: nrt.current() is not None, "an NRT refresh ran")
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)  # Ctrl-C reaches the whole process group
        else:
            proc.send_signal(signum)  # a service manager signals the main process
        assert proc.wait(timeout=PATIENCE_S) == 0
        assert not wait_gone(children), "children outlived serve"
    finally:
        if proc.poll() is None:
            stop_group(proc)
        for pid in still_running(children):
            os.kill(pid, signal.SIGKILL)
    output = log.read_text(errors="replace")
    assert "leaked" not in output, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[-1].startswith("collector stopped: everything accepted is in Bronze"), output
