"""Verify the warehouse: every published build and NRT snapshot in the lake, and any staging
file and the NRT state in this node's work folder, each table's text columns decoded by DuckDB."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from rastup_data.privacy.columns import contains_any, duckdb_text_tables, sql_literal
from rastup_data.privacy.purge.warehouse import warehouse_files
from rastup_data.privacy.verify.base import StoreScan, VerifyScope
from rastup_data.transform.nrt import nrt_state_path
from rastup_data.transform.warehouse import attached_copy, warehouse_dirs

__all__ = ["WarehouseScanner", "scan_duckdb_file"]


def scan_duckdb_file(path: str, scope: VerifyScope) -> dict[str, int]:
    """Hits per ``schema.table`` of one DuckDB file (tables without hits left out)."""
    hits: dict[str, int] = {}
    with duckdb.connect(":memory:") as conn:
        conn.execute(f"ATTACH '{sql_literal(path)}' AS src (READ_ONLY)")
        for table, columns in duckdb_text_tables(conn, "src"):
            if not columns:
                continue
            rows = conn.execute(
                f"SELECT {', '.join(columns)} FROM src.{table} "
                f"WHERE {contains_any(columns, scope.ids)}",
                sorted(scope.ids.all),
            ).fetchall()
            count = sum(1 for row in rows if any(scope.matcher.names(v) for v in row))
            if count:
                hits[table] = count
    return hits


@dataclass(frozen=True, slots=True)
class WarehouseScanner:
    """Scans every DuckDB file of the warehouse."""

    name: str = "warehouse"

    def scan(self, scope: VerifyScope) -> StoreScan:
        result = StoreScan(self.name)
        dirs = warehouse_dirs(scope.ctx.layout)
        store = dirs.store
        for key in warehouse_files(store, dirs.builds.files) + warehouse_files(
            store, dirs.nrt.files
        ):
            info = store.stat(key)
            with attached_copy(store, key) as path:
                self._scan_file(result, scope, key, path, info.size if info else 0)
        for staging in (dirs.builds.staging, dirs.nrt.staging, nrt_state_path(dirs)):
            if staging.exists():
                size = staging.stat().st_size
                self._scan_file(result, scope, f"work:{staging.name}", str(staging), size)
        return result

    @staticmethod
    def _scan_file(result: StoreScan, scope: VerifyScope, label: str, path: str, size: int) -> None:
        result.files += 1
        result.bytes += size
        if scope.ids:
            for table, count in scan_duckdb_file(path, scope).items():
                result.add_hits(f"{label}:{table}", count)
