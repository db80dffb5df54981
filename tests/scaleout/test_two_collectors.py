"""Two `serve` instances (own ports, own work folders) on one lake, on local disk and on S3.

One is killed with -9 under load and restarted; unacknowledged batches are resent, some of
them to the other instance (a client behind a load balancer does that). Every acknowledged
event must be in Bronze, none twice from one instance's own recovery, and each exactly once in
Silver: resends that crossed instances may land twice in Bronze, and Silver deduplicates them.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import httpx
import orjson
import pytest
from tests.collector.conftest import BatchLoad, free_port, fresh_events
from tests.scaleout.conftest import Serve
from tests.waiting import PATIENCE_S, wait_until

from rastup_data.lake.layout import BRONZE_EVENTS, LakeLayout
from rastup_data.transform import BuildOptions, build, open_published

pytestmark = pytest.mark.slow


def _stop(serve: Serve) -> None:
    serve.process.send_signal(signal.SIGTERM)
    assert serve.process.wait(timeout=PATIENCE_S) in (0, -signal.SIGTERM), serve.log.read_text()


def _bronze_counts(layout: LakeLayout) -> dict[str, int]:
    store = layout.lake
    with duckdb.connect() as conn:
        store.register_duckdb(conn)
        glob = store.uri(f"{BRONZE_EVENTS}/**/*.parquet")
        rows = conn.execute(
            f"SELECT event_id, count(*) FROM read_parquet('{glob}') GROUP BY 1"
        ).fetchall()
    return {str(k): int(v) for k, v in rows}


def _silver_counts(layout: LakeLayout, ids: set[str]) -> dict[str, int]:
    with open_published(layout) as conn:
        conn.execute("CREATE TEMP TABLE acked (event_id VARCHAR)")
        conn.executemany("INSERT INTO acked VALUES (?)", [(i,) for i in sorted(ids)])
        rows = conn.execute(
            "SELECT cast(s.event_id AS VARCHAR), count(*) FROM silver.events_deduped AS s "
            "JOIN acked AS a ON cast(s.event_id AS VARCHAR) = a.event_id GROUP BY 1"
        ).fetchall()
    return {str(k): int(v) for k, v in rows}


def test_kill_dash_nine_of_one_of_two_collectors_loses_nothing_and_silver_counts_once(
    shared_lake: str, tmp_path: Path, serves: Callable[[str, int, Path], Serve]
) -> None:
    ports = [free_port(), free_port()]
    works = [tmp_path / "node-a", tmp_path / "node-b"]
    first, second = (serves(shared_lake, p, w) for p, w in zip(ports, works, strict=True))
    load = BatchLoad([first.url, second.url], [fresh_events(100) for _ in range(120)], timeout=10)
    load.start()
    wait_until(lambda: len(load.acked) >= 2000, "2000 events acknowledged before the kill")
    time.sleep(random.Random().uniform(0.0, 0.5))
    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait()
    load.join()
    assert len(load.acked) >= 2000, "too little was acknowledged before the kill"

    # The killed node restarts on its own work folder and lands what its spool holds; the
    # batches nobody acknowledged go once to each node (the client retried elsewhere).
    first = serves(shared_lake, ports[0], works[0])
    # Three batches the killed node acknowledged are sent again to the other one (the client
    # never saw the answer): its dedupe window never saw them, so Bronze gets them twice.
    resent = load.acked_at[0][:3]
    crossed = {str(e["ids"]["event_id"]) for b in resent for e in b}  # type: ignore[index]
    with httpx.Client(timeout=PATIENCE_S) as client:
        for batch in resent:
            response = client.post(second.url, content=orjson.dumps(batch), headers=load.headers)
            assert response.status_code == 202, response.text
        for number, batch in enumerate(load.unacked):
            for serve in (first, second) if number % 2 else (first,):
                response = client.post(serve.url, content=orjson.dumps(batch), headers=load.headers)
                assert response.status_code == 202, response.text
            load.ack(batch)
            if number % 2:
                crossed.update(str(e["ids"]["event_id"]) for e in batch)  # type: ignore[index]
    _stop(first)
    _stop(second)
    for work in works:
        assert not list((work / "spool").rglob("*.ndjson")), f"{work}: spool not drained"

    layout = LakeLayout(shared_lake, tmp_path / "builder")
    bronze = _bronze_counts(layout)
    missing = load.acked - bronze.keys()
    doubled = {k for k, n in bronze.items() if n > 1}
    assert not missing, f"{len(missing)} acknowledged events are not in Bronze"
    assert doubled <= crossed, "an event doubled without being resent to another node"
    assert len(doubled) >= 300, "the batches resent across nodes must be in Bronze twice"

    build(layout, options=BuildOptions(quality_gates=False, with_nrt=False))
    silver = _silver_counts(layout, load.acked)
    assert set(silver) == load.acked
    assert set(silver.values()) == {1}, "an event is in Silver more than once"
