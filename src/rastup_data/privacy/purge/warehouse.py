"""Purge every retained warehouse file: published builds (current and rollback) and NRT
snapshots.

A build file is never written in place (readers attach it read-only). A file that names a
subject is copied into a new DuckDB file — schemas, views and macros first (``COPY FROM
DATABASE … (SCHEMA)``), then each table's rows except the hits — and that file replaces the
old one under the same key in one atomic step. Rows are copied, not deleted, so no deleted
row lingers in a freed block of the new file. The build and NRT locks are held meanwhile, so
no build publishes or collects garbage under the purge; a staging file an interrupted build
left behind is deleted (the next build discards it anyway).
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from rastup_data.lake.layout import BUILD_LOCK, NRT_LOCK
from rastup_data.lake.manifest import LandedFile
from rastup_data.privacy.columns import contains_any, duckdb_text_tables, sql_literal
from rastup_data.privacy.purge.base import PurgeRun, StoreOutcome
from rastup_data.privacy.purge.parquet import PREFILTER_MAX_IDS
from rastup_data.storage import Storage
from rastup_data.transform.nrt import discard_nrt_state
from rastup_data.transform.warehouse import attached_copy, warehouse_dirs

__all__ = ["WarehouseStep", "hit_rowids", "warehouse_files"]

_SUFFIX = ".duckdb"
_BATCH = 1 << 17


def warehouse_files(store: Storage, prefix: str) -> list[str]:
    """Every published DuckDB file under ``prefix`` (builds and NRT snapshots)."""
    return [k for k in store.list_keys(prefix) if k.endswith(_SUFFIX)]


def hit_rowids(
    conn: duckdb.DuckDBPyConnection, table: str, columns: list[str], run: PurgeRun
) -> list[int]:
    """Row ids of one table of the attached ``src`` whose text columns name an id: for a few
    ids DuckDB's ``contains`` picks the candidate rows first, for many the automaton reads
    every row."""
    if not columns:
        return []
    selected = ", ".join(f"{c} AS c{i}" for i, c in enumerate(columns))
    sql = f"SELECT rowid AS __rowid, {selected} FROM src.{table}"
    params: list[str] = []
    if len(run.ids) <= PREFILTER_MAX_IDS:
        sql += f" WHERE {contains_any(columns, run.ids)}"
        params = sorted(run.ids.all)
    relation = conn.sql(sql, params=params) if params else conn.sql(sql)
    assert relation is not None  # a SELECT always has a relation
    reader = relation.to_arrow_reader(_BATCH)
    found: list[int] = []
    for batch in reader:
        mask = run.matcher.table_rows(batch)
        if mask.any():
            found += batch.column(0).filter(pa.array(mask)).to_pylist()
    return found


@dataclass(frozen=True, slots=True)
class WarehouseStep:
    """Purges published builds and NRT snapshots."""

    name: str = "warehouse"

    def purge(self, run: PurgeRun) -> StoreOutcome:
        outcome = StoreOutcome(self.name)
        dirs = warehouse_dirs(run.ctx.layout)
        store = dirs.store
        with ExitStack() as locks:
            if not run.dry_run:
                locks.enter_context(store.lock(BUILD_LOCK))
                locks.enter_context(store.lock(NRT_LOCK))
                dirs.builds.discard_staging()
                dirs.nrt.discard_staging()
                # The NRT state keeps folded-in identity links; the next refresh rebuilds
                # it from the purged Bronze.
                discard_nrt_state(dirs)
            for key in warehouse_files(store, dirs.builds.files) + warehouse_files(
                store, dirs.nrt.files
            ):
                self._purge_file(run, store, key, outcome)
        return outcome

    def _purge_file(self, run: PurgeRun, store: Storage, key: str, outcome: StoreOutcome) -> None:
        info = store.stat(key)
        if info is None:
            return
        outcome.files_scanned += 1
        outcome.bytes_scanned += info.size
        with attached_copy(store, key) as path, duckdb.connect(":memory:") as conn:
            conn.execute(f"ATTACH '{sql_literal(path)}' AS src (READ_ONLY)")
            hits = {
                table: rowids
                for table, columns in duckdb_text_tables(conn, "src")
                if (rowids := hit_rowids(conn, table, columns, run))
            }
            if not hits:
                return
            removed = sum(len(r) for r in hits.values())
            outcome.bytes_before += info.size
            if run.dry_run:
                outcome.rewritten.append(key)
                outcome.rows_removed += removed
                return
            with store.writing(key) as tmp:
                rows = _copy_without(conn, tmp, hits)
                os.chmod(tmp, 0o444)  # published files are never written again
        after = store.stat(key)
        run.record_rewrite(
            outcome, key, removed, LandedFile(key, "", rows, after.size if after else 0)
        )
        run.say(f"warehouse: {key} −{removed} row(s)")


def _copy_without(conn: duckdb.DuckDBPyConnection, target: Path, hits: dict[str, list[int]]) -> int:
    """Copy the attached ``src`` into a new file at ``target`` without the hit rows."""
    conn.execute(f"ATTACH '{sql_literal(str(target))}' AS dst")
    conn.execute("COPY FROM DATABASE src TO dst (SCHEMA)")
    kept = 0
    for table, _ in list(duckdb_text_tables(conn, "src")):
        rowids = hits.get(table, [])
        conn.execute("CREATE OR REPLACE TEMP TABLE __hits (r BIGINT)")
        if rowids:
            conn.execute("INSERT INTO __hits SELECT unnest(?)", [rowids])
        conn.execute(
            f"INSERT INTO dst.{table} SELECT * FROM src.{table} "
            "WHERE rowid NOT IN (SELECT r FROM __hits)"
        )
        row = conn.execute(f"SELECT count(*) FROM dst.{table}").fetchone()
        kept += int(row[0]) if row else 0
    conn.execute("DETACH dst")
    return kept
