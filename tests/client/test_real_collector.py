"""`send_file` and the SDK against the real collector (uvicorn on 127.0.0.1, real registry)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from tests.waiting import wait_until

from rastup_data.client import RetryPolicy, send_file
from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime
from rastup_data.collector.server import CollectorServer, ServerOptions
from rastup_data.contracts import DEFAULT_REGISTRY_PATH
from rastup_data.lake.layout import LakeLayout
from rastup_data.sdk import Client
from rastup_data.spool.spool import SpoolConfig

KEY = "client-test-key-42"


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[tuple[str, LakeLayout]]:
    runtime = CollectorRuntime(
        CollectorConfig(
            lake=tmp_path / "lake", keys=frozenset({KEY}), spool=SpoolConfig(rotate_s=0.1)
        )
    )
    server = CollectorServer(runtime, ServerOptions(port=0, log_level="warning", loop="asyncio"))
    server.start()
    try:
        yield server.url, LakeLayout(tmp_path / "lake")
    finally:
        server.stop()


def registry_events(n: int) -> list[dict[str, Any]]:
    examples = [
        orjson.loads(path.read_bytes())["examples"][0]
        for path in sorted(Path(DEFAULT_REGISTRY_PATH).glob("events/*/v*.json"))
    ]
    events = []
    for i in range(n):
        event = orjson.loads(orjson.dumps(examples[i % len(examples)]))
        event.pop("received_at", None)
        event["ids"]["event_id"] = str(uuid.uuid4())
        events.append(event)
    return events


def landed_ids(layout: LakeLayout, expected: int) -> set[str]:
    """The event ids in Bronze once ``expected`` of them landed (else those there by then)."""

    def ids() -> set[str]:
        if not any(layout.bronze_events.glob("**/*.parquet")):
            return set()
        rows = duckdb.sql(
            f"SELECT event_id FROM read_parquet('{layout.events_glob}', hive_partitioning=true)"
        ).fetchall()
        return {row[0] for row in rows}

    with contextlib.suppress(AssertionError):  # the caller's comparison shows the difference
        wait_until(lambda: len(ids()) >= expected, f"{expected} events landed")
    return ids()


def test_send_file_lands_exactly_the_accepted_events(
    collector: tuple[str, LakeLayout], tmp_path: Path
) -> None:
    url, layout = collector
    events = registry_events(300)
    lines = [orjson.dumps(e) for e in events]
    lines[10] = b'{"event": "broken'
    lines[20] = orjson.dumps({**events[20], "event": "no.such.event"})
    path = tmp_path / "events.ndjson"
    path.write_bytes(b"\n".join([*lines, b"", lines[0]]) + b"\n")
    good_ids = {e["ids"]["event_id"] for i, e in enumerate(events) if i not in (10, 20)}

    fast = RetryPolicy(max_attempts=3, base_delay=0.05)
    summary = send_file(path, url=url, key=KEY, batch=64, concurrency=2, retry=fast, progress=False)
    assert summary.ok
    assert summary.events_read == 301
    assert summary.accepted == 298
    assert summary.duplicates == 1
    assert summary.rejected == 2
    assert summary.rejected_by_code == {"EVENT_MALFORMED_JSON": 1, "EVENT_UNKNOWN": 1}
    assert sorted(r.line for r in summary.rejections) == [11, 21]
    assert landed_ids(layout, len(good_ids)) == good_ids

    again = send_file(
        path, url=url, key=KEY, batch=64, concurrency=2, retry=fast, progress=False, gzip=False
    )
    assert again.accepted == 0
    assert again.duplicates == 299


def test_sdk_tracks_into_bronze(collector: tuple[str, LakeLayout]) -> None:
    url, layout = collector
    context = {"app": "backend", "platform": "server", "city": "nyc"}
    with Client(url, KEY, default_context=context, flush_interval=0.05) as client:
        ids = [
            client.track("session.started", {"entry": "direct"}, anon_id=f"a_{i}")
            for i in range(40)
        ]
        client.track("session.started", {"entry": "teleport"}, anon_id="a_x")
        assert client.flush(timeout=10.0)
        stats = client.stats
    assert (stats.accepted, stats.rejected, stats.failed, stats.dropped) == (40, 1, 0, 0)
    assert landed_ids(layout, 40) == set(ids)
