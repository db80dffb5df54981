"""Purge the audit log: records whose SQL text names a subject are redacted.

The query text is replaced with ``[redacted]``; everything else a record says (who, when,
what it read, what it cost) stays, and stays provable: see
:meth:`rastup_data.governance.AuditLog.redact` for how the hash chain keeps verifying.
Records of privacy actions never name subjects, so redaction never touches them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from rastup_data.governance import AuditLog, AuditRecord
from rastup_data.governance.audit import REDACTED
from rastup_data.privacy.purge.base import PurgeRun, StoreOutcome
from rastup_data.privacy.trail import action_record

__all__ = ["AuditStep"]

_BATCH = 10_000


@dataclass(frozen=True, slots=True)
class AuditStep:
    """Redacts the audit records whose SQL names a subject of the run."""

    name: str = "audit"

    def purge(self, run: PurgeRun) -> StoreOutcome:
        outcome = StoreOutcome(self.name)
        db = run.ctx.state
        seqs: list[int] = []
        last = 0
        while True:
            rows = db.fetchall(
                "SELECT seq, sql_text FROM audit_log WHERE seq > ? AND sql_text <> ? "
                f"ORDER BY seq LIMIT {_BATCH}",
                (last, REDACTED),
            )
            if not rows:
                break
            last = int(rows[-1][0])
            outcome.files_scanned += len(rows)
            outcome.bytes_scanned += sum(len(str(r[1])) for r in rows)
            mask = run.matcher.rows(pa.array([str(r[1]) for r in rows], type=pa.large_string()))
            seqs += [int(r[0]) for r, hit in zip(rows, mask, strict=True) if hit]
        outcome.rows_removed = len(seqs)
        if seqs and not run.dry_run:
            AuditLog(db).redact(
                seqs, request_id=",".join(run.request_ids), record=self._action(run)
            )
            outcome.files_rewritten = 1
            outcome.rewritten.append("audit_log")
        return outcome

    def _action(self, run: PurgeRun) -> AuditRecord:
        return action_record(
            run.ctx, f"dsar purge run={run.run_id} redact requests={','.join(run.request_ids)}"
        )
