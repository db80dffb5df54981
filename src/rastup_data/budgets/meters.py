"""One meter per budgeted resource: how much of it the environment uses now or today (UTC).

- ``lake_storage`` (S3 storage): bytes of every object in the shared lake, the work
  folder and lock files excluded;
- ``scanned_per_day`` (Athena scanned bytes): bytes scanned by gated queries today, from
  the audit log;
- ``build_compute_per_day`` (Glue DPU-hours): wall-clock seconds of the builds and
  backfills that finished today, from the build log;
- ``extract_storage`` (QuickSight SPICE): bytes under the lake's ``extracts/`` (BI datasets);
- ``ingest_events_per_day`` (Firehose PUTs): events received today, accepted or quarantined:
  rows of today's Bronze and quarantine partitions, read from the Parquet footers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import duckdb

from rastup_data.config import NODE_FOLDER
from rastup_data.environments import Resource
from rastup_data.lake.files import parquet_row_count, partition_files, total_bytes
from rastup_data.lake.layout import BRONZE_BAD, BRONZE_EVENTS, LakeLayout, partition_key
from rastup_data.state import StateDB

__all__ = ["EXTRACTS", "METERS", "MeterContext"]

#: The folder of the BI extracts in the lake.
EXTRACTS = "extracts"

#: Lake folders that are not billed storage: node-local work and lock files.
_NOT_STORAGE = (f"{NODE_FOLDER}/", "_locks/")


@dataclass(frozen=True, slots=True)
class MeterContext:
    """What a meter reads: the lake, the state database, the environment and the UTC day."""

    layout: LakeLayout
    state: StateDB
    env: str
    day: date


def _prefix_bytes(context: MeterContext, prefix: str, *, skip: tuple[str, ...] = ()) -> int:
    store = context.layout.lake
    return total_bytes(store, [k for k in store.list_keys(prefix) if not k.startswith(skip)])


def lake_storage(context: MeterContext) -> float:
    return float(_prefix_bytes(context, "", skip=_NOT_STORAGE))


def scanned_per_day(context: MeterContext) -> float:
    from rastup_data.governance.audit import AuditLog

    return float(AuditLog(context.state).scanned_on(context.env, context.day.isoformat()))


def build_compute_per_day(context: MeterContext) -> float:
    from rastup_data.transform.runs import build_runs

    return sum(
        run.seconds
        for run in build_runs(context.layout, context.day, context.day)
        if run.finished_at[:10] == context.day.isoformat()
    )


def extract_storage(context: MeterContext) -> float:
    return float(_prefix_bytes(context, EXTRACTS))


def ingest_events_per_day(context: MeterContext) -> float:
    store = context.layout.lake
    files = [
        store.uri(key)
        for table in (BRONZE_EVENTS, BRONZE_BAD)
        for key in partition_files(store, partition_key(table, context.day))
    ]
    if not files:
        return 0.0
    with duckdb.connect(":memory:") as conn:
        store.register_duckdb(conn)
        return float(parquet_row_count(conn, files))


Meter = Callable[[MeterContext], float]

#: Every resource's meter; a test keeps this in step with :class:`Resource`.
METERS: Mapping[Resource, Meter] = {
    Resource.LAKE_STORAGE: lake_storage,
    Resource.SCANNED_PER_DAY: scanned_per_day,
    Resource.BUILD_COMPUTE_PER_DAY: build_compute_per_day,
    Resource.EXTRACT_STORAGE: extract_storage,
    Resource.INGEST_EVENTS_PER_DAY: ingest_events_per_day,
}
