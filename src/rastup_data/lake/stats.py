"""What is in the lake: partitions, files, rows and bytes, read from Parquet footers only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from rastup_data.lake.compaction import parquet_row_count, partition_files
from rastup_data.lake.layout import LakeLayout

__all__ = ["PartitionStats", "lake_stats", "quarantine_codes"]


@dataclass(frozen=True, slots=True)
class PartitionStats:
    """One ``dt=`` partition of one table."""

    table: str
    dt: str
    files: int
    rows: int
    bytes: int


def _partitions(base: Path) -> list[Path]:
    if not base.exists():
        return []
    return sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith("dt="))


def lake_stats(layout: LakeLayout) -> list[PartitionStats]:
    out: list[PartitionStats] = []
    conn = duckdb.connect(":memory:")
    try:
        for table, base in (("events", layout.bronze_events), ("_bad", layout.bronze_bad)):
            for partition in _partitions(base):
                files = partition_files(partition)
                if not files:
                    continue
                out.append(
                    PartitionStats(
                        table,
                        partition.name.removeprefix("dt="),
                        len(files),
                        parquet_row_count(conn, files),
                        sum(f.stat().st_size for f in files),
                    )
                )
    finally:
        conn.close()
    return out


def quarantine_codes(layout: LakeLayout) -> dict[str, int]:
    if not any(layout.bronze_bad.glob("**/*.parquet")):
        return {}
    conn = duckdb.connect(":memory:")
    try:
        rows = conn.execute(
            f"SELECT code, count(*) FROM read_parquet('{layout.bad_glob}') GROUP BY 1 ORDER BY 1"
        ).fetchall()
    finally:
        conn.close()
    return {str(code): int(n) for code, n in rows}
