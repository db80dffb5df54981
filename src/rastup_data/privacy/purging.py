"""``dsar purge``: physically remove every open erasure's subjects from every store.

One run takes every open erasure (or the ones named), resolves their linked ids again,
refuses the subjects under a legal hold (``DSAR_CONFLICT``: the request shows ``blocked``
with the case, a history line, an audit record) and purges the others in one pass over the
stores — each file is rewritten at most once, whatever the number of subjects. Only one purge
runs per lake at a time (the ``privacy`` lock). A run killed at any point leaves every file
old or new; running it again completes it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rastup_data.errors import ErrorCode
from rastup_data.privacy.context import PrivacyContext
from rastup_data.privacy.erasure import refresh_subjects
from rastup_data.privacy.holds import HoldStore
from rastup_data.privacy.ids import SubjectIds
from rastup_data.privacy.purge import PurgeRun, PurgeStep, StoreOutcome, purge_steps
from rastup_data.privacy.requests import (
    DsarRequest,
    RequestKind,
    RequestState,
    RequestStore,
)
from rastup_data.privacy.trail import record_action

__all__ = ["PRIVACY_LOCK", "PurgeOptions", "PurgeReport", "run_purge"]

#: One purge (or lifecycle run) per lake at a time.
PRIVACY_LOCK = "privacy"
_PURGEABLE = frozenset(
    {RequestState.RECEIVED, RequestState.EXCLUDED, RequestState.BLOCKED, RequestState.PURGED}
)


@dataclass(frozen=True, slots=True)
class PurgeOptions:
    """``dry_run`` only reports; ``request_ids`` limits the run (empty: every open erasure)."""

    dry_run: bool = False
    request_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a run purged, what it refused, and what each store went through."""

    run_id: str
    dry_run: bool
    purged: tuple[str, ...]
    blocked: tuple[tuple[str, str], ...]
    stores: tuple[StoreOutcome, ...]
    seconds: float

    @property
    def conflict(self) -> bool:
        return bool(self.blocked)

    @property
    def rows_removed(self) -> int:
        return sum(s.rows_removed for s in self.stores)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "purged": list(self.purged),
            "blocked": [{"request_id": r, "case": c} for r, c in self.blocked],
            "code": ErrorCode.DSAR_CONFLICT.value if self.blocked else None,
            "rows_removed": self.rows_removed,
            "stores": [s.to_json() for s in self.stores],
            "seconds": round(self.seconds, 3),
        }


def run_purge(
    ctx: PrivacyContext,
    options: PurgeOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> PurgeReport:
    """Purge the open erasures (see the module docstring)."""
    options = options or PurgeOptions()
    began = time.perf_counter()
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
    with ctx.layout.lake.lock(PRIVACY_LOCK):
        requests = _candidates(ctx, options)
        if requests and not options.dry_run:
            refresh_subjects(ctx, requests)
        ready, blocked = _split_by_holds(ctx, requests)
        if not options.dry_run:
            _refuse_held(ctx, run_id, blocked)
        store = RequestStore(ctx.state)
        held = SubjectIds.union(store.subject_ids(r.request_id) for r, _ in blocked)
        held_users = HoldStore(ctx.state).held_user_ids() | held.users
        ids = SubjectIds.union(store.subject_ids(r.request_id) for r in ready)
        ids = SubjectIds(ids.users - held_users, ids.anons - held.anons)
        run = PurgeRun(
            ctx,
            run_id,
            ids,
            tuple(r.request_id for r in ready),
            dry_run=options.dry_run,
            progress=progress,
        )
        outcomes = tuple(_run_step(run, step) for step in purge_steps(ctx.policy)) if ids else ()
        if not options.dry_run:
            _mark_purged(ctx, run_id, ready, outcomes)
    return PurgeReport(
        run_id=run_id,
        dry_run=options.dry_run,
        purged=tuple(r.request_id for r in ready),
        blocked=tuple((r.request_id, case) for r, case in blocked),
        stores=outcomes,
        seconds=time.perf_counter() - began,
    )


def _run_step(run: PurgeRun, step: PurgeStep) -> StoreOutcome:
    run.say(f"{step.name}: scanning")
    return step.purge(run)


def _candidates(ctx: PrivacyContext, options: PurgeOptions) -> list[DsarRequest]:
    store = RequestStore(ctx.state)
    if options.request_ids:
        chosen = [store.get(rid) for rid in options.request_ids]
        return [r for r in chosen if r.kind is RequestKind.ERASE and r.state in _PURGEABLE]
    return [r for r in store.requests(states=_PURGEABLE) if r.kind is RequestKind.ERASE]


def _split_by_holds(
    ctx: PrivacyContext, requests: list[DsarRequest]
) -> tuple[list[DsarRequest], list[tuple[DsarRequest, str]]]:
    holds = HoldStore(ctx.state)
    ready: list[DsarRequest] = []
    blocked: list[tuple[DsarRequest, str]] = []
    for request in requests:
        case = holds.active_case(request.subject_key)
        if case is None:
            ready.append(request)
        else:
            blocked.append((request, case))
    return ready, blocked


def _refuse_held(ctx: PrivacyContext, run_id: str, blocked: list[tuple[DsarRequest, str]]) -> None:
    store = RequestStore(ctx.state)
    for request, case in blocked:
        store.move(
            request.request_id,
            RequestState.BLOCKED,
            f"DSAR_CONFLICT: legal hold {case}; purge run {run_id} left this subject alone",
            case=case,
        )
        store.note(request.request_id, "conflict", f"run {run_id}, case {case}")
        record_action(
            ctx,
            f"dsar purge run={run_id} refused request={request.request_id} hold={case}",
            status="refused",
            code=ErrorCode.DSAR_CONFLICT,
        )


def _mark_purged(
    ctx: PrivacyContext,
    run_id: str,
    ready: list[DsarRequest],
    outcomes: tuple[StoreOutcome, ...],
) -> None:
    store = RequestStore(ctx.state)
    rows = sum(o.rows_removed for o in outcomes)
    files = sum(o.files_rewritten + o.files_deleted for o in outcomes)
    pending = sum(len(o.pending) for o in outcomes)
    detail = f"run {run_id}: {files} file(s) rewritten, {rows} row(s) removed"
    if pending:
        detail += f", {pending} file(s) pending (open spool segments or moved files)"
    for request in ready:
        store.move(request.request_id, RequestState.PURGED, detail)
    if ready:
        record_action(
            ctx,
            f"dsar purge run={run_id} requests={','.join(r.request_id for r in ready)} "
            f"files={files}",
            rows=rows,
        )
