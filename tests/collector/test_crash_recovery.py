"""kill -9 a loaded collector at a random moment: every acknowledged event lands once."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import duckdb
import httpx
import orjson
import pytest

from .conftest import KEY, free_port, fresh_events, start_serve

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_dash_nine_under_load_loses_and_doubles_nothing(tmp_path: Path, workers: int) -> None:
    lake = tmp_path / "lake"
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1/events"
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    rng = random.Random(int(time.time()))
    batches = [fresh_events(200) for _ in range(150)]
    acked: set[str] = set()
    unacked: list[list[dict[str, object]]] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    cursor = iter(range(len(batches)))

    def load() -> None:
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                batch = batches[index]
                try:
                    response = client.post(url, content=orjson.dumps(batch), headers=headers)
                except httpx.HTTPError as exc:
                    with lock:
                        unacked.append(batch)
                        errors.append(repr(exc))
                    continue
                with lock:
                    if response.status_code == 202:
                        acked.update(str(e["ids"]["event_id"]) for e in batch)  # type: ignore[index]
                    else:
                        unacked.append(batch)

    proc = start_serve(lake, port, workers)
    loaders = [threading.Thread(target=load) for _ in range(4)]
    for w in loaders:
        w.start()
    deadline = time.monotonic() + 30
    while len(acked) < 2000 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 1.0))  # then kill at a random moment of the load
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    for w in loaders:
        w.join()
    assert acked, f"no batch was acknowledged before the kill: {errors[:3]}"
    killed_with = len(acked)

    # Restart on the same lake: recovery lands the spool; resending unacknowledged batches
    # must not double anything that was made durable just before the kill.
    proc = start_serve(lake, port, workers)
    try:
        with httpx.Client(timeout=10) as client:
            for batch in unacked:
                response = client.post(url, content=orjson.dumps(batch), headers=headers)
                assert response.status_code == 202
                acked.update(str(e["ids"]["event_id"]) for e in batch)  # type: ignore[index]
    finally:
        proc.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal after its graceful shutdown has run.
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    rows = duckdb.sql(
        f"SELECT event_id, count(*) FROM read_parquet('{lake}/bronze/events/**/*.parquet') "
        "GROUP BY 1"
    ).fetchall()
    counts = dict(rows)
    assert killed_with > 0
    missing = acked - counts.keys()
    doubled = {k: v for k, v in counts.items() if v > 1}
    assert not missing, f"{len(missing)} acknowledged events are not in Bronze"
    assert not doubled, f"{len(doubled)} events landed more than once"
    assert not list((lake / "_node" / "spool").glob("*.ndjson")), "spool not drained on SIGTERM"
