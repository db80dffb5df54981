"""Purge a Parquet store of the lake (Bronze, quarantine, extracts, …): rewrite each file
that names a subject without those rows.

Each file is read once with pyarrow (every string column is matched, raw quarantined text
included); a file with hits is written again without them (zstd, same schema) through
``Storage.writing`` — a temporary name, fsync, rename over the old file — inside
``rewriting_bronze``, so a landing or a compaction swap never interleaves with it and no build
or NRT refresh is reading the store's files meanwhile. A file left with no rows
is deleted. Files are processed by a small thread pool (pyarrow and the matcher release the
GIL).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from rastup_data.lake.layout import rewriting_bronze
from rastup_data.lake.manifest import LandedFile
from rastup_data.privacy.columns import contains_any, parquet_text_columns, sql_literal
from rastup_data.privacy.ids import SubjectIds
from rastup_data.privacy.purge.base import PurgeRun, StoreOutcome, partition_day
from rastup_data.storage import Storage

__all__ = ["ParquetStep", "candidate_files", "read_parquet_table"]

#: Threads reading and matching files at once.
WORKERS = 2
#: Up to this many ids, one DuckDB pass picks the files to read (``contains`` is cheap for a
#: few ids); beyond it every file is read and matched with the automaton in one pass.
PREFILTER_MAX_IDS = 32
_ROW_GROUP = 122_880


def read_parquet_table(store: Storage, key: str) -> pa.Table:
    """One Parquet file of a store, decoded (no Hive partition columns added)."""
    filesystem, base = store.arrow_filesystem()
    return pq.read_table(f"{base}/{key}", filesystem=filesystem, partitioning=None)


def candidate_files(store: Storage, keys: list[str], ids: SubjectIds) -> list[str]:
    """The files where some text column contains some id (a necessary condition of every
    match), found with one DuckDB pass; the matcher then judges their rows."""
    uris = {store.uri(k): k for k in keys}
    listed = ", ".join(f"'{sql_literal(u)}'" for u in uris)
    source = (
        f"read_parquet([{listed}], filename = true, hive_partitioning = false, "
        "union_by_name = true)"
    )
    with duckdb.connect(":memory:") as conn:
        store.register_duckdb(conn)
        columns = [c for c in parquet_text_columns(conn, source) if c != '"filename"']
        if not columns:
            return []
        rows = conn.execute(
            f"SELECT DISTINCT filename FROM {source} WHERE {contains_any(columns, ids)}",
            sorted(ids.all),
        ).fetchall()
    found = {uris.get(str(r[0]), str(r[0])) for r in rows}
    return [k for k in keys if k in found]


@dataclass(frozen=True, slots=True)
class _Done:
    """What happened to one file (computed in a worker thread)."""

    key: str
    size: int
    hits: int
    after: LandedFile | None = None
    pending: bool = False


@dataclass(frozen=True, slots=True)
class ParquetStep:
    """Purges the Parquet files under one folder of the lake."""

    name: str
    prefix: str

    def purge(self, run: PurgeRun) -> StoreOutcome:
        store = run.ctx.layout.lake
        outcome = StoreOutcome(self.name)
        keys = [k for k in store.list_keys(self.prefix) if k.endswith(".parquet")]
        if not run.matcher or not keys:
            outcome.files_scanned = len(keys)
            return outcome
        candidates = keys
        if len(run.ids) <= PREFILTER_MAX_IDS:
            candidates = candidate_files(store, keys, run.ids)
            chosen = set(candidates)
            skipped = [k for k in keys if k not in chosen]
            outcome.files_scanned += len(skipped)
            outcome.bytes_scanned += sum(i.size for k in skipped if (i := store.stat(k)))
        with ThreadPoolExecutor(WORKERS) as pool:
            for done in pool.map(lambda key: self._purge_file(run, store, key), candidates):
                self._count(run, outcome, done)
        return outcome

    def _count(self, run: PurgeRun, outcome: StoreOutcome, done: _Done) -> None:
        outcome.files_scanned += 1
        outcome.bytes_scanned += done.size
        if not done.hits:
            return
        outcome.bytes_before += done.size
        if done.pending:
            outcome.pending.append(done.key)
        elif run.dry_run:
            outcome.rewritten.append(done.key)
            outcome.rows_removed += done.hits
        else:
            run.record_rewrite(outcome, done.key, done.hits, done.after)
            run.say(f"{self.name}: {done.key} −{done.hits} row(s)")

    def _purge_file(self, run: PurgeRun, store: Storage, key: str) -> _Done:
        info = store.stat(key)
        if info is None:  # compacted away meanwhile: its rows are in the merged file
            return _Done(key, 0, 0)
        table = read_parquet_table(store, key)
        mask = run.matcher.table_rows(table)
        hits = int(mask.sum())
        if not hits or run.dry_run:
            return _Done(key, info.size, hits)
        kept = table.filter(pa.array(~mask))
        del table
        with rewriting_bronze(store):
            if store.stat(key) != info:  # compacted or rewritten meanwhile: next run
                return _Done(key, info.size, hits, pending=True)
            if kept.num_rows == 0:
                store.delete(key)
                return _Done(key, info.size, hits)
            with store.writing(key) as tmp:
                pq.write_table(kept, tmp, compression="zstd", row_group_size=_ROW_GROUP)
            after = store.stat(key)
        landed = LandedFile(key, partition_day(key), kept.num_rows, after.size if after else 0)
        return _Done(key, info.size, hits, after=landed)
