"""Small-file compaction: merge a partition's small files into one, swapping atomically.

The lander writes a file per spool segment (one every half second under steady traffic),
so a live day holds many thousands of small files, and every reader pays per file. The
files of a partition smaller than a target size (256 MiB by default) are merged into one;
larger ones (earlier merges that grew that large) stay as they are, so merging a day again
as it fills rewrites at most about the target plus what landed since.

The merged file is built under ``_staging/`` (outside the lake's globs), checked (row count
unchanged), then the partition is replaced by the staged one with
:meth:`Storage.swap_prefix` while the lake lock is held, so readers see either the old files
or the merged file — never neither. The files left as they are, and files landed meanwhile,
are carried over by :meth:`Storage.copy` (a hard link on local disk). If an input file
changed or vanished meanwhile (a DSAR purge or the retention rewrote it), the merge is
dropped: swapping it in would bring back rows that were removed on purpose; the next
compaction merges the new files.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from rastup_data.lake.files import parquet_row_count, partition_files, partitions, total_bytes
from rastup_data.lake.layout import BRONZE_BAD, BRONZE_EVENTS, LakeLayout, rewriting_bronze
from rastup_data.lake.manifest import LandedFile, Landing, Manifest
from rastup_data.storage import Storage

__all__ = ["TARGET_BYTES", "CompactionResult", "compact_lake", "compact_partition"]

#: Files of this size or larger are left as they are; the smaller ones of a partition are
#: merged into one.
TARGET_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CompactionResult:
    """One partition's compaction."""

    partition: str
    files_before: int
    files_after: int
    rows: int
    bytes_before: int
    bytes_after: int


def _merge(store: Storage, files: list[str], partition: str, staged_file: str) -> tuple[int, int]:
    """Write the merged file at ``staged_file``; returns (rows before, rows after)."""
    conn = duckdb.connect(":memory:")
    conn.execute("SET TimeZone = 'UTC'")
    try:
        store.register_duckdb(conn)
        uris = [store.uri(f) for f in files]
        rows_before = parquet_row_count(conn, uris)
        order = "received_at" + (", event_id" if partition.startswith(BRONZE_EVENTS) else "")
        with store.writing(staged_file) as tmp:
            conn.execute(
                f"COPY (SELECT * FROM read_parquet(?) ORDER BY {order}) TO '{tmp}' "
                "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
                [uris],
            )
        return rows_before, parquet_row_count(conn, [store.uri(staged_file)])
    finally:
        conn.close()


def compact_partition(
    layout: LakeLayout,
    partition: str,
    *,
    min_files: int = 2,
    target_bytes: int = TARGET_BYTES,
) -> CompactionResult | None:
    """Merge the files of one ``dt=`` partition key smaller than ``target_bytes`` into one;
    None when fewer than ``min_files`` of them are."""
    store = layout.lake
    before = {key: info for key in partition_files(store, partition) if (info := store.stat(key))}
    inputs = {key: info for key, info in before.items() if info.size < target_bytes}
    files = sorted(inputs)
    if len(files) < min_files:
        return None
    bytes_before = sum(info.size for info in before.values())
    name = partition.rsplit("/", 1)[1]
    digest = hashlib.sha1("\n".join(files).encode()).hexdigest()[:16]
    staging_root = f"_staging/compact-{uuid.uuid4().hex[:12]}"
    staging = f"{staging_root}/{name}"
    merged_name = f"compacted-{digest}.parquet"
    try:
        rows_before, rows_after = _merge(store, files, partition, f"{staging}/{merged_name}")
        if rows_after != rows_before:
            raise RuntimeError(
                f"compaction of {partition} produced {rows_after} rows from {rows_before}"
            )
        # The swap waits for a build and an NRT refresh (the lander waits for the swap).
        with rewriting_bronze(store):
            if any(store.stat(f) != info for f, info in inputs.items()):
                return None  # rewritten meanwhile (purge, retention): the merge is stale
            merged = set(files)
            for kept in partition_files(store, partition):
                if kept not in merged:  # large enough already, or landed meanwhile
                    store.copy(kept, f"{staging}/{kept.rsplit('/', 1)[1]}")
            store.swap_prefix(staging, partition)
    finally:
        store.delete_prefix(staging_root)
    after = partition_files(store, partition)
    merged_key = f"{partition}/{merged_name}"
    result = CompactionResult(
        partition=partition,
        files_before=len(before),
        files_after=len(after),
        rows=rows_before,
        bytes_before=bytes_before,
        bytes_after=total_bytes(store, after),
    )
    Manifest(layout).append(
        Landing(
            kind="compaction",
            name=partition,
            at=datetime.now(UTC).isoformat(timespec="microseconds"),
            events=rows_before,
            files=(
                LandedFile(
                    merged_key,
                    name.removeprefix("dt="),
                    rows_before,
                    total_bytes(store, [merged_key]),
                ),
            ),
            inputs=tuple(f.rsplit("/", 1)[1] for f in files),
        )
    )
    return result


def compact_lake(
    layout: LakeLayout,
    *,
    dates: set[str] | None = None,
    min_files: int = 2,
    target_bytes: int = TARGET_BYTES,
    on_partition: Callable[[str], None] | None = None,
) -> list[CompactionResult]:
    """Compact every partition of Bronze events and quarantine (or only ``dates``): merge
    each one's files smaller than ``target_bytes`` when there are ``min_files`` or more."""
    results = []
    for table in (BRONZE_EVENTS, BRONZE_BAD):
        for partition in partitions(layout.lake, table):
            if dates is not None and partition.rsplit("dt=", 1)[1] not in dates:
                continue
            if on_partition is not None:
                on_partition(partition)
            result = compact_partition(
                layout, partition, min_files=min_files, target_bytes=target_bytes
            )
            if result is not None:
                results.append(result)
    return results
