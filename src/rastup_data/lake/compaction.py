"""Small-file compaction: merge a partition's files into one, swapping atomically.

The merged file is built outside the lake's globs, checked (row count unchanged), then the
partition directory is exchanged with the staged one in a single ``renameat2`` call while
the lake lock is held, so readers see either the old files or the merged file — never both,
never neither. Files landed meanwhile are carried over by hard link.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from rastup_data.lake.atomic import exchange_paths, fsync_dir, temp_path_for
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.locks import lake_lock
from rastup_data.lake.manifest import LandedFile, Landing, Manifest

__all__ = [
    "CompactionResult",
    "compact_lake",
    "compact_partition",
    "parquet_row_count",
    "partition_files",
]


@dataclass(frozen=True, slots=True)
class CompactionResult:
    """One partition's compaction."""

    partition: str
    files_before: int
    files_after: int
    rows: int
    bytes_before: int
    bytes_after: int


def partition_files(partition: Path) -> list[Path]:
    """The visible Parquet files of a partition (temporary dot-files excluded)."""
    if not partition.is_dir():
        return []
    return sorted(
        p for p in partition.iterdir() if p.suffix == ".parquet" and not p.name.startswith(".")
    )


def parquet_row_count(conn: duckdb.DuckDBPyConnection, files: list[Path]) -> int:
    """Rows in Parquet files, read from their footers only."""
    row = conn.execute(
        "SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(?)",
        [[str(f) for f in files]],
    ).fetchone()
    return int(row[0]) if row else 0


def compact_partition(
    layout: LakeLayout, partition: Path, *, min_files: int = 2
) -> CompactionResult | None:
    """Merge the files of one ``dt=`` partition; None when there is nothing to merge."""
    files = partition_files(partition)
    if len(files) < min_files:
        return None
    bytes_before = sum(f.stat().st_size for f in files)
    conn = duckdb.connect(":memory:")
    conn.execute("SET TimeZone = 'UTC'")
    try:
        rows_before = parquet_row_count(conn, files)
        digest = hashlib.sha1("\n".join(f.name for f in files).encode()).hexdigest()[:16]
        staging = layout.root / "_staging" / f"compact-{uuid.uuid4().hex[:12]}" / partition.name
        staging.mkdir(parents=True)
        target = staging / f"compacted-{digest}.parquet"
        tmp = temp_path_for(target)
        order = "received_at" + (", event_id" if "events" in partition.parent.name else "")
        conn.execute(
            f"COPY (SELECT * FROM read_parquet(?) ORDER BY {order}) TO '{tmp}' "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
            [[str(f) for f in files]],
        )
        os.replace(tmp, target)
        rows_after = parquet_row_count(conn, [target])
        if rows_after != rows_before:
            shutil.rmtree(staging.parent, ignore_errors=True)
            raise RuntimeError(
                f"compaction of {partition} produced {rows_after} rows from {rows_before}"
            )
    finally:
        conn.close()
    with lake_lock(layout):
        merged = {f.name for f in files}
        for late in partition_files(partition):
            if late.name not in merged:
                os.link(late, staging / late.name)
        fsync_dir(staging)
        if not exchange_paths(staging, partition):
            aside = partition.with_name(f".{partition.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(partition, aside)
            os.replace(staging, partition)
            shutil.rmtree(aside, ignore_errors=True)
    shutil.rmtree(staging.parent, ignore_errors=True)
    after = partition_files(partition)
    result = CompactionResult(
        partition=str(partition.relative_to(layout.root)),
        files_before=len(files),
        files_after=len(after),
        rows=rows_before,
        bytes_before=bytes_before,
        bytes_after=sum(f.stat().st_size for f in after),
    )
    Manifest(layout).append(
        Landing(
            kind="compaction",
            name=result.partition,
            at=datetime.now(UTC).isoformat(timespec="microseconds"),
            events=rows_before,
            files=(
                LandedFile(
                    str(partition.relative_to(layout.root) / target.name),
                    partition.name.removeprefix("dt="),
                    rows_before,
                    (partition / target.name).stat().st_size,
                ),
            ),
            inputs=tuple(f.name for f in files),
        )
    )
    return result


def compact_lake(
    layout: LakeLayout,
    *,
    dates: set[str] | None = None,
    min_files: int = 2,
    on_partition: Callable[[Path], None] | None = None,
) -> list[CompactionResult]:
    """Compact every partition of Bronze events and quarantine (or only ``dates``)."""
    results = []
    for base in (layout.bronze_events, layout.bronze_bad):
        if not base.exists():
            continue
        for partition in sorted(p for p in base.iterdir() if p.name.startswith("dt=")):
            if dates is not None and partition.name.removeprefix("dt=") not in dates:
                continue
            if on_partition is not None:
                on_partition(partition)
            result = compact_partition(layout, partition, min_files=min_files)
            if result is not None:
                results.append(result)
    return results
