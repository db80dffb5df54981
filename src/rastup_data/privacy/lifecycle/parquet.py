"""Retention of a Parquet store: Bronze and quarantine by their ``dt=`` day, other stores
(extracts, exports) by file age.

An expired file is deleted; when subjects are under a legal hold, it is read first and, if it
holds any of their rows, rewritten with only those rows (atomically, inside
``rewriting_bronze``: no build or NRT refresh is reading the store's files meanwhile).
``days = 0`` keeps the store forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

from rastup_data.lake.layout import rewriting_bronze
from rastup_data.lake.manifest import LandedFile
from rastup_data.privacy.lifecycle.base import LifecycleOutcome, LifecycleRun
from rastup_data.privacy.purge.base import partition_day
from rastup_data.privacy.purge.parquet import read_parquet_table
from rastup_data.storage import ObjectInfo, Storage

__all__ = ["ParquetRetention"]

_ROW_GROUP = 122_880


@dataclass(frozen=True, slots=True)
class ParquetRetention:
    """Deletes a Parquet store's files older than ``days`` (held subjects' rows stay)."""

    name: str
    prefix: str
    days: int

    def apply(self, run: LifecycleRun) -> LifecycleOutcome:
        outcome = LifecycleOutcome(self.name, f"{self.days} days" if self.days else "forever")
        if self.days == 0:
            return outcome
        store = run.ctx.layout.lake
        cutoff = run.today - timedelta(days=self.days)
        for key in store.list_keys(self.prefix):
            info = store.stat(key)
            if key.endswith(".parquet") and info is not None and self._expired(key, info, cutoff):
                self._expire(run, store, info, outcome)
        return outcome

    @staticmethod
    def _expired(key: str, info: ObjectInfo, cutoff: object) -> bool:
        day = partition_day(key)
        if day:
            return day < str(cutoff)
        return datetime.fromtimestamp(info.mtime, UTC).date().isoformat() < str(cutoff)

    def _expire(
        self, run: LifecycleRun, store: Storage, info: ObjectInfo, outcome: LifecycleOutcome
    ) -> None:
        kept = None
        table = read_parquet_table(store, info.key) if run.matcher else None
        if table is not None:
            mask = run.matcher.table_rows(table)
            if mask.any():
                kept = table.filter(pa.array(mask))
        if run.dry_run:
            landed = (
                None
                if kept is None
                else LandedFile(info.key, partition_day(info.key), kept.num_rows, 0)
            )
            run.record(outcome, info.key, info.size, landed)
            return
        with rewriting_bronze(store):
            if kept is None:
                store.delete(info.key)
                landed = None
            else:
                with store.writing(info.key) as tmp:
                    pq.write_table(kept, tmp, compression="zstd", row_group_size=_ROW_GROUP)
                after = store.stat(info.key)
                size = after.size if after else 0
                landed = LandedFile(info.key, partition_day(info.key), kept.num_rows, size)
        run.record(outcome, info.key, info.size, landed)
        run.say(f"{self.name}: {info.key} {'kept held rows' if landed else 'deleted'}")
