"""What is in the lake: partitions, files, rows and bytes, read from Parquet footers only."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from rastup_data.lake.files import (
    has_files,
    parquet_row_count,
    partition_files,
    partitions,
    total_bytes,
)
from rastup_data.lake.layout import BRONZE_BAD, BRONZE_EVENTS, LakeLayout

__all__ = ["PartitionStats", "lake_stats", "quarantine_codes"]


@dataclass(frozen=True, slots=True)
class PartitionStats:
    """One ``dt=`` partition of one table."""

    table: str
    dt: str
    files: int
    rows: int
    bytes: int


def lake_stats(layout: LakeLayout) -> list[PartitionStats]:
    store = layout.lake
    out: list[PartitionStats] = []
    conn = duckdb.connect(":memory:")
    try:
        store.register_duckdb(conn)
        for table, base in (("events", BRONZE_EVENTS), ("_bad", BRONZE_BAD)):
            for partition in partitions(store, base):
                files = partition_files(store, partition)
                if not files:
                    continue
                out.append(
                    PartitionStats(
                        table,
                        partition.rsplit("dt=", 1)[1],
                        len(files),
                        parquet_row_count(conn, [store.uri(f) for f in files]),
                        total_bytes(store, files),
                    )
                )
    finally:
        conn.close()
    return out


def quarantine_codes(layout: LakeLayout) -> dict[str, int]:
    if not has_files(layout.lake, BRONZE_BAD):
        return {}
    conn = duckdb.connect(":memory:")
    try:
        layout.lake.register_duckdb(conn)
        rows = conn.execute(
            f"SELECT code, count(*) FROM read_parquet('{layout.bad_glob}') GROUP BY 1 ORDER BY 1"
        ).fetchall()
    finally:
        conn.close()
    return {str(code): int(n) for code, n in rows}
