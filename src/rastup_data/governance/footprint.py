"""Per row group and column: compressed bytes and min/max, from storage metadata.

Parquet: the footers (``total_compressed_size`` of each column chunk and its statistics).
DuckDB files: ``pragma_storage_info``; a segment's bytes are the distance to the next
segment in its block (the block's end for the last one) plus its additional blocks. A DuckDB
file's views are planned once too (:mod:`~rastup_data.governance.warehouse_views`: which
base columns and row groups a view read costs). Files are immutable, so a
:class:`FootprintCache` keeps what it read per file version.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from rastup_data.governance.warehouse_views import ViewPlan, read_views

__all__ = ["Chunk", "FootprintCache", "ParquetFile", "RowGroup"]

_DT = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})(?:/|$)")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One column of one row group: stored bytes and its value range (None when unknown)."""

    bytes: int
    low: Any
    high: Any


#: column -> chunk
RowGroup = dict[str, Chunk]


@dataclass(frozen=True, slots=True)
class ParquetFile:
    """One Parquet file: its Hive ``dt`` partition (if any) and its row groups."""

    path: Path
    dt: date | None
    row_groups: tuple[RowGroup, ...]


class FootprintCache:
    """Footers and storage layouts read once per file version (thread-safe)."""

    def __init__(self) -> None:
        self._parquet: dict[tuple[str, int, int], ParquetFile] = {}
        self._duckdb: dict[str, _Published] = {}
        self._lock = threading.Lock()

    def parquet_files(self, folder: Path) -> list[ParquetFile]:
        """Every visible Parquet file under ``folder`` (temporary dot-files skipped)."""
        found = []
        for path in sorted(folder.rglob("*.parquet")):
            if path.name.startswith("."):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # compacted away since the listing
            key = (str(path), stat.st_mtime_ns, stat.st_size)
            with self._lock:
                cached = self._parquet.get(key)
            if cached is None:
                cached = _read_footer(path)
                with self._lock:
                    self._parquet[key] = cached
            found.append(cached)
        return found

    def duckdb_tables(self, database: str) -> dict[str, tuple[RowGroup, ...]]:
        """``schema.table`` -> row groups of every table in a published (immutable) file."""
        return self._published(database).tables

    def duckdb_views(self, database: str) -> dict[str, ViewPlan]:
        """``schema.view`` -> how a read of it maps to base table reads (published file)."""
        return self._published(database).views

    def _published(self, database: str) -> _Published:
        with self._lock:
            cached = self._duckdb.get(database)
        if cached is None:
            with _attached(database) as conn:
                cached = _Published(_read_storage(conn), read_views(conn, "db"))
            with self._lock:
                self._duckdb[database] = cached
        return cached


@dataclass(frozen=True, slots=True)
class _Published:
    """What one published DuckDB file holds: its tables' row groups and its views' plans."""

    tables: dict[str, tuple[RowGroup, ...]]
    views: dict[str, ViewPlan]


def _read_footer(path: Path) -> ParquetFile:
    meta = pq.ParquetFile(path).metadata
    groups = []
    for index in range(meta.num_row_groups):
        group = meta.row_group(index)
        chunks: RowGroup = {}
        for c in range(group.num_columns):
            column = group.column(c)
            name = column.path_in_schema.split(".")[0].lower()
            stats = column.statistics
            has = stats is not None and stats.has_min_max
            previous = chunks.get(name)
            size = column.total_compressed_size + (previous.bytes if previous else 0)
            chunks[name] = Chunk(size, stats.min if has else None, stats.max if has else None)
        groups.append(chunks)
    match = _DT.search(path.as_posix())
    return ParquetFile(path, date.fromisoformat(match[1]) if match else None, tuple(groups))


@contextmanager
def _attached(database: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection with ``database`` attached read-only as ``db``."""
    with duckdb.connect(":memory:") as conn:
        conn.execute(f"ATTACH '{_quote(database)}' AS db (READ_ONLY)")
        yield conn


def _read_storage(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[RowGroup, ...]]:
    """Row groups of every table of the file attached as ``db``."""
    block_size = int(
        conn.execute(
            "SELECT block_size FROM pragma_database_size() WHERE database_name = 'db'"
        ).fetchall()[0][0]
    )
    tables = conn.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'db'"
    ).fetchall()
    segments = []
    for schema, table in tables:
        rows = conn.execute(
            "SELECT row_group_id, column_name, column_path, stats, block_id, block_offset, "
            "len(additional_block_ids), segment_type, count FROM pragma_storage_info(?)",
            [f'"db"."{schema}"."{table}"'],
        ).fetchall()
        segments += [(f"{schema}.{table}".lower(), *row) for row in rows]
    return _group_segments(segments, block_size)


def _group_segments(
    segments: list[tuple[Any, ...]], block_size: int
) -> dict[str, tuple[RowGroup, ...]]:
    starts: dict[int, list[int]] = defaultdict(list)
    for segment in segments:
        if segment[5] >= 0:
            starts[segment[5]].append(segment[6])
    for offsets in starts.values():
        offsets.sort()
    sizes: dict[tuple[str, int, str], list[Any]] = {}
    for table, group, column, path, stats, block, offset, extra, kind, count in segments:
        size = extra * block_size
        if block >= 0:
            offsets = starts[block]
            after = bisect.bisect_right(offsets, offset)
            if after < len(offsets):
                size += offsets[after] - offset
            else:  # the block's last segment: its end is not recorded; bound it
                size += min(block_size - offset, _uncompressed(str(kind), int(count), stats))
        entry = sizes.setdefault((table, int(group), str(column).lower()), [0, None, None])
        entry[0] += size
        if _top_level(path) and isinstance(stats, dict) and "min" in stats:
            low, high = stats["min"], _string_ceiling(stats["max"])
            entry[1] = low if entry[1] is None else min(entry[1], low)
            entry[2] = high if entry[2] is None else max(entry[2], high)
    tables: dict[str, dict[int, RowGroup]] = defaultdict(dict)
    for (table, group, column), (size, low, high) in sizes.items():
        tables[table].setdefault(group, {})[column] = Chunk(size, low, high)
    return {name: tuple(groups[g] for g in sorted(groups)) for name, groups in tables.items()}


def _top_level(path: Any) -> bool:
    """Whether a segment's ``column_path`` (a list, or its text ``[1, 0]``) is the column's
    own values rather than a child (validity, struct field)."""
    return "," not in path if isinstance(path, str) else len(path) == 1


def _string_ceiling(high: Any) -> Any:
    """A text maximum as an upper bound: DuckDB keeps a prefix of the longest string (e.g.
    ``search.impre`` for ``search.impression``), so any continuation of it may occur."""
    return high + "\U0010ffff" if isinstance(high, str) else high


_WIDTH = {
    "BOOLEAN": 1, "TINYINT": 1, "UTINYINT": 1, "SMALLINT": 2, "USMALLINT": 2, "INTEGER": 4,
    "UINTEGER": 4, "FLOAT": 4, "DATE": 4, "BIGINT": 8, "UBIGINT": 8, "DOUBLE": 8, "TIME": 8,
    "TIMESTAMP": 8, "TIMESTAMP WITH TIME ZONE": 8, "INTERVAL": 16, "HUGEINT": 16, "UUID": 16,
}  # fmt: skip


def _uncompressed(kind: str, count: int, stats: Any) -> int:
    """An upper bound of a segment's stored bytes: its values uncompressed."""
    if kind == "VALIDITY":
        return -(-count // 8)
    if kind == "VARCHAR" and isinstance(stats, dict):
        return int(stats.get("total_string_length") or 0) + 4 * count
    if kind.startswith("DECIMAL"):
        return 16 * count
    return _WIDTH.get(kind, 16) * count


def _quote(text: str) -> str:
    return text.replace("'", "''")
