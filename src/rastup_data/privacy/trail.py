"""Privacy actions in the audit log: filing, holds, purges, conflicts, exports, redactions.

Each is one record of the hash-chained audit log (``path = 'privacy'``), so the privacy
officer's actions are as tamper-evident as every query. The record's text names requests and
cases, never a subject's id.
"""

from __future__ import annotations

import uuid

from rastup_data.errors import ErrorCode
from rastup_data.governance import AuditLog, AuditRecord
from rastup_data.privacy.context import PrivacyContext, now_iso

__all__ = ["PRIVACY_PATH", "action_record", "record_action"]

#: The audit ``path`` of privacy actions.
PRIVACY_PATH = "privacy"


def action_record(
    ctx: PrivacyContext,
    action: str,
    *,
    status: str = "ok",
    code: ErrorCode | None = None,
    rows: int = 0,
) -> AuditRecord:
    """The audit record of one privacy action by ``ctx``'s actor (not yet appended)."""
    return AuditRecord(
        query_id=uuid.uuid4().hex,
        at=now_iso(),
        env=ctx.env,
        principal=ctx.actor.name,
        role=ctx.actor.role,
        path=PRIVACY_PATH,
        sql=action,
        relations=(),
        columns=(),
        rows=rows,
        scanned_bytes=0,
        billed_bytes=0,
        duration_ms=0.0,
        status=status,
        code=None if code is None else code.value,
    )


def record_action(
    ctx: PrivacyContext,
    action: str,
    *,
    status: str = "ok",
    code: ErrorCode | None = None,
    rows: int = 0,
) -> AuditRecord:
    """Append one privacy action (e.g. ``dsar purge run=… requests=…``) to the audit log."""
    return AuditLog(ctx.state).append(
        action_record(ctx, action, status=status, code=code, rows=rows)
    )
