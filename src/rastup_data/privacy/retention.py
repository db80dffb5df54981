"""``lake lifecycle``: apply every store's retention, legal-hold aware.

The held subjects — every user under an active legal hold, and every user of a blocked
erasure, with their linked anonymous ids — are resolved once; each store's step then
deletes what its retention lets go, keeping those subjects' rows. One run at a time per lake
(the lock purges take too). A dry run reads and reports, and changes nothing.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from rastup_data.privacy.context import PrivacyContext
from rastup_data.privacy.holds import HoldStore
from rastup_data.privacy.ids import SubjectIds
from rastup_data.privacy.lifecycle import LifecycleOutcome, LifecycleRun, lifecycle_steps
from rastup_data.privacy.purging import PRIVACY_LOCK
from rastup_data.privacy.requests import RequestState, RequestStore
from rastup_data.privacy.subjects import resolve_links
from rastup_data.privacy.trail import record_action

__all__ = ["LifecycleReport", "held_subjects", "run_lifecycle"]


@dataclass(frozen=True, slots=True)
class LifecycleReport:
    run_id: str
    dry_run: bool
    held_subjects: int
    stores: tuple[LifecycleOutcome, ...]
    seconds: float

    @property
    def bytes_deleted(self) -> int:
        return sum(s.bytes_deleted for s in self.stores)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "held_subjects": self.held_subjects,
            "bytes_deleted": self.bytes_deleted,
            "stores": [s.to_json() for s in self.stores],
            "seconds": round(self.seconds, 3),
        }


def held_subjects(ctx: PrivacyContext) -> SubjectIds:
    """Users under an active hold or in a blocked erasure, and their linked anonymous ids."""
    store = RequestStore(ctx.state)
    users = set(HoldStore(ctx.state).held_user_ids())
    blocked = store.requests(states=[RequestState.BLOCKED])
    held = SubjectIds.union(store.subject_ids(r.request_id) for r in blocked)
    users |= held.users
    links = resolve_links(ctx.layout, ctx.state, users)
    anons = {a for linked in links.values() for a in linked} | set(held.anons)
    return SubjectIds(frozenset(users), frozenset(anons))


def run_lifecycle(
    ctx: PrivacyContext,
    *,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    today: date | None = None,
) -> LifecycleReport:
    """Apply the retention of every store (see the module docstring); ``today`` is the day
    retention counts back from (default: the UTC date)."""
    began = time.perf_counter()
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
    with ctx.layout.lake.lock(PRIVACY_LOCK):
        held = held_subjects(ctx)
        run = LifecycleRun(
            ctx,
            run_id,
            held,
            dry_run=dry_run,
            today=today or datetime.now(UTC).date(),
            progress=progress,
        )
        outcomes = tuple(step.apply(run) for step in lifecycle_steps(ctx.policy))
    report = LifecycleReport(
        run_id, dry_run, len(held.users), outcomes, time.perf_counter() - began
    )
    if not dry_run:
        files = sum(o.files_deleted + o.files_kept_for_holds for o in outcomes)
        record_action(
            ctx, f"lake lifecycle run={run_id} files={files} bytes={report.bytes_deleted}"
        )
    return report
