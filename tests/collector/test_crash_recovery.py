"""kill -9 a loaded collector at a random moment: every acknowledged event lands once."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import duckdb
import httpx
import orjson
import pytest
from tests.waiting import PATIENCE_S

from .conftest import BatchLoad, free_port, fresh_events, start_serve

pytestmark = pytest.mark.slow


def _resend_then_stop(load: BatchLoad, lake: Path, port: int, workers: int) -> None:
    """Restart on the same lake, resend what was not acknowledged, stop with SIGTERM."""
    proc = start_serve(lake, port, workers)
    try:
        with httpx.Client(timeout=PATIENCE_S) as client:
            for batch in load.unacked:
                response = client.post(
                    load.urls[0], content=orjson.dumps(batch), headers=load.headers
                )
                assert response.status_code == 202
                load.ack(batch)
    finally:
        proc.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal after its graceful shutdown has run.
        assert proc.wait(timeout=PATIENCE_S) in (0, -signal.SIGTERM)


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_dash_nine_under_load_loses_and_doubles_nothing(tmp_path: Path, workers: int) -> None:
    lake = tmp_path / "lake"
    port = free_port()
    rng = random.Random(int(time.time()))
    load = BatchLoad(
        [f"http://127.0.0.1:{port}/v1/events"], [fresh_events(200) for _ in range(150)]
    )
    proc = start_serve(lake, port, workers)
    load.start()
    deadline = time.monotonic() + 30
    while len(load.acked) < 2000 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 1.0))  # then kill at a random moment of the load
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    load.join()
    assert load.acked, f"no batch was acknowledged before the kill: {load.errors[:3]}"

    # Recovery lands the spool; resending unacknowledged batches must not double anything
    # that was made durable just before the kill.
    _resend_then_stop(load, lake, port, workers)
    rows = duckdb.sql(
        f"SELECT event_id, count(*) FROM read_parquet('{lake}/bronze/events/**/*.parquet') "
        "GROUP BY 1"
    ).fetchall()
    counts = dict(rows)
    missing = load.acked - counts.keys()
    doubled = {k: v for k, v in counts.items() if v > 1}
    assert not missing, f"{len(missing)} acknowledged events are not in Bronze"
    assert not doubled, f"{len(doubled)} events landed more than once"
    assert not list((lake / "_node" / "spool").glob("*.ndjson")), "spool not drained on SIGTERM"
