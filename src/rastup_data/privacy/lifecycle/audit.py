"""Retention of the audit log: records older than ``audit_days`` are deleted behind a kept
anchor, so ``audit verify`` still checks every record that remains (see
:meth:`rastup_data.governance.AuditLog.prune`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rastup_data.governance import AuditLog, AuditRecord
from rastup_data.privacy.context import now_iso
from rastup_data.privacy.lifecycle.base import LifecycleOutcome, LifecycleRun
from rastup_data.privacy.trail import PRIVACY_PATH

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
        ctx = run.ctx
        action = AuditRecord(
            query_id=uuid.uuid4().hex,
            at=now_iso(),
            env=ctx.env,
            principal=ctx.actor.name,
            role=ctx.actor.role,
            path=PRIVACY_PATH,
            sql=f"lake lifecycle run={run.run_id} audit retention {self.days} days",
            relations=(),
            columns=(),
            rows=0,
            scanned_bytes=0,
            billed_bytes=0,
            duration_ms=0.0,
            status="ok",
            code=None,
        )
        outcome.records_deleted = log.prune(now_iso(cutoff), record=action)
        return outcome
