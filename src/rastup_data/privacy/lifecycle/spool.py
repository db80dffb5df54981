"""Retention of this node's spool: segments already landed that a crash left behind.

A sealed segment is deleted once the lake manifest records it as landed and it is older than
``spool_days`` (a crash between the manifest record and the segment's removal leaves it).
A segment that has not landed is never deleted: it holds accepted events.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rastup_data.lake.manifest import Manifest
from rastup_data.privacy.lifecycle.base import LifecycleOutcome, LifecycleRun
from rastup_data.privacy.purge.spool import spool_files

__all__ = ["SpoolRetention"]

_SEALED = (".events.ndjson", ".bad.ndjson")


@dataclass(frozen=True, slots=True)
class SpoolRetention:
    """Deletes landed segments older than ``days`` from this node's spool."""

    days: int
    name: str = "spool"

    def apply(self, run: LifecycleRun) -> LifecycleOutcome:
        outcome = LifecycleOutcome(self.name, f"landed, {self.days} days")
        spool = run.ctx.layout.spool
        candidates = [p for p in spool_files(spool) if p.name.endswith(_SEALED)]
        if not candidates:
            return outcome
        landed = {r.name for r in Manifest(run.ctx.layout).records() if r.kind == "landing"}
        oldest = time.time() - self.days * 86_400
        for path in candidates:
            segment = path.name.removesuffix(".events.ndjson").removesuffix(".bad.ndjson")
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if segment not in landed or stat.st_mtime > oldest:
                continue
            if not run.dry_run:
                path.unlink(missing_ok=True)
            run.record(outcome, f"spool/{path.relative_to(spool)}", stat.st_size, None)
        return outcome
