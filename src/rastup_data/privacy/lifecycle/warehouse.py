"""Retention of the warehouse: published builds and NRT snapshots kept for rollback.

The current file of each is never deleted; of the others, the newest ``warehouse_keep`` stay
unless older than ``warehouse_days``. Builds are derived from Bronze, where held subjects'
rows are kept, so holds do not pin old builds. The build and NRT locks are held meanwhile.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass

from rastup_data.lake.layout import BUILD_LOCK, NRT_LOCK
from rastup_data.privacy.lifecycle.base import LifecycleOutcome, LifecycleRun
from rastup_data.privacy.purge.warehouse import warehouse_files
from rastup_data.transform.warehouse import PointerDir, warehouse_dirs

__all__ = ["WarehouseRetention"]


@dataclass(frozen=True, slots=True)
class WarehouseRetention:
    """Deletes builds and snapshots beyond the newest ``keep`` or older than ``days``."""

    keep: int
    days: int
    name: str = "warehouse"

    def apply(self, run: LifecycleRun) -> LifecycleOutcome:
        outcome = LifecycleOutcome(self.name, f"newest {self.keep}, {self.days} days")
        dirs = warehouse_dirs(run.ctx.layout)
        with ExitStack() as locks:
            if not run.dry_run:
                locks.enter_context(dirs.store.lock(BUILD_LOCK))
                locks.enter_context(dirs.store.lock(NRT_LOCK))
            for pointer in (dirs.builds, dirs.nrt):
                self._apply(run, pointer, outcome)
        return outcome

    def _apply(self, run: LifecycleRun, pointer: PointerDir, outcome: LifecycleOutcome) -> None:
        store = pointer.store
        current = pointer.current_key()
        oldest = time.time() - self.days * 86_400
        others = sorted(
            (k for k in warehouse_files(store, pointer.files) if k != current), reverse=True
        )
        for rank, key in enumerate(others):
            info = store.stat(key)
            if info is None:
                continue
            if rank < self.keep and (self.days == 0 or info.mtime >= oldest):
                continue
            if not run.dry_run:
                store.delete(key)
                store.delete(key + ".wal")
            run.record(outcome, key, info.size, None)
