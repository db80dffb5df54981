"""Bronze files seen through the lake's storage: partitions, files, rows and bytes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import duckdb

from rastup_data.storage import Storage

__all__ = [
    "has_files",
    "has_parquet",
    "parquet_row_count",
    "partition_files",
    "partitions",
    "received_before",
    "total_bytes",
]


def partitions(store: Storage, table: str) -> list[str]:
    """The ``dt=`` partition keys of ``table`` (``BRONZE_EVENTS`` or ``BRONZE_BAD``)."""
    found = {
        key.removeprefix(table + "/").split("/")[0]
        for key in store.list_keys(table)
        if key.endswith(".parquet")
    }
    return [f"{table}/{name}" for name in sorted(found) if name.startswith("dt=")]


def partition_files(store: Storage, partition: str) -> list[str]:
    """The Parquet file keys directly in a partition (temporary dot-files excluded)."""
    depth = partition.count("/") + 1
    return [
        k for k in store.list_keys(partition) if k.endswith(".parquet") and k.count("/") == depth
    ]


def parquet_row_count(conn: duckdb.DuckDBPyConnection, files: list[str]) -> int:
    """Rows in Parquet files (paths or URIs), read from their footers only."""
    row = conn.execute(
        "SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(?)", [files]
    ).fetchone()
    return int(row[0]) if row else 0


def total_bytes(store: Storage, keys: list[str]) -> int:
    """Bytes stored under ``keys`` (absent keys count nothing)."""
    return sum(info.size for key in keys if (info := store.stat(key)) is not None)


def has_files(store: Storage, table: str) -> bool:
    """Whether ``table`` (``BRONZE_EVENTS`` or ``BRONZE_BAD``) holds any Parquet file."""
    return bool(partitions(store, table))


def has_parquet(store: Storage, folder: str) -> bool:
    """Whether any Parquet file lies under the folder key ``folder`` (at any depth)."""
    return any(key.endswith(".parquet") for key in store.list_keys(folder))


def received_before(store: Storage, table: str, moment: datetime) -> bool:
    """Whether ``table`` holds a row received before ``moment``.

    Partitions are UTC days of receipt: a partition whose day ended by ``moment`` answers
    yes, one that starts after it no; only the oldest partition can straddle ``moment``, and
    then its earliest ``received_at`` answers.
    """
    keys = partitions(store, table)
    if not keys:
        return False
    start = datetime.combine(date.fromisoformat(keys[0].rsplit("dt=", 1)[1]), time(), UTC)
    if start >= moment or start + timedelta(days=1) <= moment:
        return start < moment
    files = [store.uri(key) for key in partition_files(store, keys[0])]
    with duckdb.connect(":memory:") as conn:
        store.register_duckdb(conn)
        row = conn.execute(
            "SELECT min(received_at) < ? FROM read_parquet(?, union_by_name = true)",
            [moment, files],
        ).fetchone()
    return bool(row and row[0])
