"""Verify a Parquet store: every file decoded by DuckDB, every text column scanned.

One query per store reads every file (``filename`` attributes the rows) and keeps the rows
where any text column contains any id; those few candidates are then judged by the matching
rule. DuckDB, not the purge's pyarrow reader, does the decoding, so a verification does not
share the purge's reading code.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from rastup_data.privacy.columns import contains_any, parquet_text_columns, sql_literal
from rastup_data.privacy.verify.base import StoreScan, VerifyScope

__all__ = ["ParquetScanner"]


@dataclass(frozen=True, slots=True)
class ParquetScanner:
    """Scans the Parquet files under one folder of the lake."""

    name: str
    prefix: str

    def scan(self, scope: VerifyScope) -> StoreScan:
        store = scope.ctx.layout.lake
        result = StoreScan(self.name)
        keys = [k for k in store.list_keys(self.prefix) if k.endswith(".parquet")]
        for key in keys:
            info = store.stat(key)
            result.files += 1
            result.bytes += info.size if info is not None else 0
        if not keys or not scope.ids:
            return result
        uris = [store.uri(k) for k in keys]
        by_uri = dict(zip(uris, keys, strict=True))
        with duckdb.connect(":memory:") as conn:
            store.register_duckdb(conn)
            listed = ", ".join(f"'{sql_literal(u)}'" for u in uris)
            source = (
                f"read_parquet([{listed}], filename = true, hive_partitioning = false, "
                "union_by_name = true)"
            )
            columns = [c for c in parquet_text_columns(conn, source) if c != '"filename"']
            if not columns:
                return result
            rows = conn.execute(
                f"SELECT filename, {', '.join(columns)} FROM {source} "
                f"WHERE {contains_any(columns, scope.ids)}",
                sorted(scope.ids.all),
            ).fetchall()
        for row in rows:
            if any(scope.matcher.names(value) for value in row[1:]):
                result.add_hits(by_uri.get(str(row[0]), str(row[0])), 1)
        return result
