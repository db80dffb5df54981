"""Retention of the audit log: records older than ``audit_days`` are deleted behind a kept
anchor, so ``audit verify`` still checks every record that remains (see
:meth:`rastup_data.governance.AuditLog.prune`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rastup_data.governance import AuditLog
from rastup_data.privacy.context import now_iso
from rastup_data.privacy.lifecycle.base import LifecycleOutcome, LifecycleRun
from rastup_data.privacy.trail import action_record

__all__ = ["AuditRetention"]


@dataclass(frozen=True, slots=True)
class AuditRetention:
    days: int
    name: str = "audit"

    def apply(self, run: LifecycleRun) -> LifecycleOutcome:
        outcome = LifecycleOutcome(self.name, f"{self.days} days" if self.days else "forever")
        if self.days == 0:
            return outcome
        cutoff = datetime.combine(run.today - timedelta(days=self.days), datetime.min.time(), UTC)
        log = AuditLog(run.ctx.state)
        if run.dry_run:
            row = run.ctx.state.fetchone(
                "SELECT count(*) FROM audit_log WHERE at < ? "
                "AND seq < (SELECT max(seq) FROM audit_log)",
                (now_iso(cutoff),),
            )
            outcome.records_deleted = int(row[0]) if row else 0
            return outcome
        action = action_record(
            run.ctx, f"lake lifecycle run={run.run_id} audit retention {self.days} days"
        )
        outcome.records_deleted = log.prune(now_iso(cutoff), record=action)
        return outcome
