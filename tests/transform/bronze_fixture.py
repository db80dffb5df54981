"""Hand-written Bronze for tests: envelopes straight into Parquet, per docs/bronze-contract.md.

Bypasses the collector on purpose, so tests can also land events it would reject.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb

from rastup_data.lake.layout import LakeLayout

_COLUMNS = (
    "event_id VARCHAR, event VARCHAR, v INTEGER, occurred_at TIMESTAMPTZ, "
    "received_at TIMESTAMPTZ, user_id VARCHAR, anon_id VARCHAR, session_id VARCHAR, "
    "context VARCHAR, ids VARCHAR, payload VARCHAR"
)


def ts(text: str) -> datetime:
    """'2026-01-05 10:00' (UTC) -> aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def envelope(
    event: str,
    occurred_at: str | datetime,
    payload: Mapping[str, Any] | None = None,
    *,
    user_id: str | None = None,
    anon_id: str | None = "a_default",
    city: str | None = "nyc",
    event_id: str | None = None,
    received_at: str | datetime | None = None,
) -> dict[str, Any]:
    occurred = ts(occurred_at) if isinstance(occurred_at, str) else occurred_at
    received = received_at or occurred
    received = ts(received) if isinstance(received, str) else received
    context: dict[str, Any] = {"app": "web", "platform": "web"}
    if city is not None:
        context["city"] = city
    eid = event_id or str(uuid.uuid4())
    return {
        "event_id": eid,
        "event": event,
        "v": 1,
        "occurred_at": occurred,
        "received_at": received,
        "user_id": user_id,
        "anon_id": anon_id,
        "session_id": "s_1",
        "context": context,
        "ids": {"event_id": eid},
        "payload": dict(payload or {}),
    }


def write_bronze(layout: LakeLayout, events: Iterable[Mapping[str, Any]], *, name: str) -> int:
    """Write events into ``bronze/events/dt=<received date>/<name>.parquet``; returns files."""
    by_dt: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for e in events:
        by_dt[e["received_at"].astimezone(UTC).date().isoformat()].append(
            (
                e["event_id"],
                e["event"],
                e["v"],
                e["occurred_at"],
                e["received_at"],
                e["user_id"],
                e["anon_id"],
                e["session_id"],
                json.dumps(e["context"]),
                json.dumps(e["ids"]),
                json.dumps(e["payload"]),
            )
        )
    with duckdb.connect() as conn:
        for dt, rows in by_dt.items():
            folder = layout.events_partition(dt)
            folder.mkdir(parents=True, exist_ok=True)
            conn.execute(f"CREATE OR REPLACE TEMP TABLE rows ({_COLUMNS})")
            conn.executemany(f"INSERT INTO rows VALUES ({', '.join('?' * 11)})", rows)
            target = folder / f"{name}.parquet"
            tmp = folder / f".{name}.parquet.tmp"
            conn.execute(f"COPY rows TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)")
            tmp.rename(target)
    return len(by_dt)
