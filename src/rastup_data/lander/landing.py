"""Turn one sealed spool segment into Bronze Parquet files.

A segment is a pair of NDJSON files written by the collector: accepted envelopes
(``<name>.events.ndjson``, ``received_at`` already stamped) and rejected events
(``<name>.bad.ndjson``). Landing writes one zstd Parquet file per ``dt`` partition and
kind, named after the segment, so landing the same segment twice writes the same files
with the same content and never doubles a row.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from rastup_data.lake.layout import BRONZE_BAD, BRONZE_EVENTS, LAKE_LOCK, LakeLayout, partition_key
from rastup_data.lake.manifest import LandedFile, Landing, Manifest
from rastup_data.spool.segments import SegmentFiles
from rastup_data.storage import Storage

__all__ = ["LandResult", "land_segment", "open_landing_connection"]

_EVENT_COLUMNS = (
    "{event: 'VARCHAR', v: 'INTEGER', occurred_at: 'VARCHAR', received_at: 'VARCHAR', "
    "user_id: 'VARCHAR', anon_id: 'VARCHAR', session_id: 'VARCHAR', context: 'JSON', "
    "ids: 'JSON', payload: 'JSON'}"
)
_BAD_COLUMNS = (
    "{received_at: 'VARCHAR', code: 'VARCHAR', message: 'VARCHAR', event_id: 'VARCHAR', "
    "event: 'VARCHAR', raw: 'VARCHAR'}"
)
_EVENTS_SELECT = """
    SELECT ids->>'event_id' AS event_id, event, v,
           TRY_CAST(occurred_at AS TIMESTAMPTZ) AS occurred_at,
           CAST(received_at AS TIMESTAMPTZ) AS received_at,
           user_id, anon_id, session_id,
           CAST(context AS VARCHAR) AS context, CAST(ids AS VARCHAR) AS ids,
           CAST(payload AS VARCHAR) AS payload
    FROM read_json(?, format='newline_delimited', columns={columns},
                   maximum_object_size=1048576)
"""
_BAD_SELECT = """
    SELECT CAST(received_at AS TIMESTAMPTZ) AS received_at, code, message, event_id, event, raw
    FROM read_json(?, format='newline_delimited', columns={columns},
                   maximum_object_size=67108864)
"""


@dataclass(frozen=True, slots=True)
class LagStats:
    """Ingest lag (landed minus received) over the events of one landing."""

    count: int
    total_s: float
    max_s: float
    p95_s: float
    counts_le: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LandResult:
    """What one landing wrote."""

    name: str
    events: int
    bad: int
    files: tuple[LandedFile, ...]
    landed_at: datetime
    lag: LagStats | None = None


def open_landing_connection(threads: int = 1) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection configured for landing (UTC, bounded threads)."""
    conn = duckdb.connect(":memory:")
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute(f"SET threads = {int(threads)}")
    conn.execute("SET preserve_insertion_order = true")
    return conn


@contextmanager
def _connection(conn: duckdb.DuckDBPyConnection | None) -> Iterator[duckdb.DuckDBPyConnection]:
    if conn is not None:
        yield conn
        return
    own = open_landing_connection()
    try:
        yield own
    finally:
        own.close()


def _nonempty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


@dataclass(frozen=True, slots=True)
class _Kind:
    """One kind of segment file: how to read it and the Bronze table it lands in."""

    select_sql: str
    table: str


_EVENTS = _Kind(_EVENTS_SELECT.format(columns=_EVENT_COLUMNS), BRONZE_EVENTS)
_BAD = _Kind(_BAD_SELECT.format(columns=_BAD_COLUMNS), BRONZE_BAD)


def _write_partitions(
    conn: duckdb.DuckDBPyConnection,
    kind: _Kind,
    source: Path,
    store: Storage,
    file_name: str,
    lag_buckets: Sequence[float] = (),
) -> tuple[list[LandedFile], LagStats | None]:
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _landing AS {kind.select_sql}", [str(source)])
    days = conn.execute(
        "SELECT DISTINCT strftime(received_at, '%Y-%m-%d') FROM _landing ORDER BY 1"
    ).fetchall()
    written: list[LandedFile] = []
    for (day,) in days:
        key = f"{partition_key(kind.table, day)}/{file_name}"
        with store.writing(key) as tmp:
            conn.execute(
                f"COPY (SELECT * FROM _landing WHERE strftime(received_at, '%Y-%m-%d') = ?) "
                f"TO '{tmp}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
                [day],
            )
            rows = conn.execute(f"SELECT count(*) FROM read_parquet('{tmp}')").fetchone()
        info = store.stat(key)
        written.append(
            LandedFile(
                path=key,
                dt=day,
                rows=int(rows[0]) if rows else 0,
                bytes=info.size if info is not None else 0,
            )
        )
    lag = _lag_stats(conn, lag_buckets) if lag_buckets else None
    conn.execute("DROP TABLE _landing")
    return written, lag


def _lag_stats(conn: duckdb.DuckDBPyConnection, buckets: Sequence[float]) -> LagStats:
    landed = time.time()
    counts = ", ".join(f"count(*) FILTER (WHERE lag <= {float(b)!r})" for b in buckets)
    row = conn.execute(
        f"SELECT count(*), coalesce(sum(lag), 0), coalesce(max(lag), 0), "
        f"coalesce(quantile_cont(lag, 0.95), 0), {counts} "
        f"FROM (SELECT ? - epoch(received_at) AS lag FROM _landing)",
        [landed],
    ).fetchone()
    assert row is not None
    return LagStats(
        count=int(row[0]),
        total_s=float(row[1]),
        max_s=float(row[2]),
        p95_s=float(row[3]),
        counts_le=tuple(int(x) for x in row[4:]),
    )


def land_segment(
    layout: LakeLayout,
    segment: SegmentFiles,
    *,
    manifest: Manifest | None = None,
    conn: duckdb.DuckDBPyConnection | None = None,
    extra: dict[str, object] | None = None,
    lag_buckets: Sequence[float] = (),
) -> LandResult:
    """Write ``segment`` to Bronze, record it in the manifest, then delete the segment files.

    Safe to call again for the same segment after a crash at any point.
    """
    manifest = manifest or Manifest(layout)
    files: list[LandedFile] = []
    lag: LagStats | None = None
    store = layout.lake
    with _connection(conn) as db, store.lock(LAKE_LOCK):
        if _nonempty(segment.events):
            files, lag = _write_partitions(
                db, _EVENTS, segment.events, store, f"{segment.name}.parquet", lag_buckets
            )
        if _nonempty(segment.bad):
            bad_files, _ = _write_partitions(
                db, _BAD, segment.bad, store, f"{segment.name}.parquet"
            )
            files += bad_files
    landed_at = datetime.now(UTC)
    events = sum(f.rows for f in files if f.path.startswith(BRONZE_EVENTS + "/"))
    bad = sum(f.rows for f in files if f.path.startswith(BRONZE_BAD + "/"))
    manifest.append(
        Landing(
            kind="landing",
            name=segment.name,
            at=landed_at.isoformat(timespec="microseconds"),
            events=events,
            bad=bad,
            files=tuple(files),
            lag_p95_s=lag.p95_s if lag else None,
            extra=dict(extra or {}),
        )
    )
    segment.remove()
    return LandResult(segment.name, events, bad, tuple(files), landed_at, lag)
