"""Suppression for the collector: the keyed hashes of every erased id, kept current.

:class:`SuppressionRefresher` loads them once at start (so a restarted collector suppresses
from its first request), then checks a cheap fingerprint of ``tombstones`` every
``interval_s`` and reloads only when it changed. It also reports the DSAR register's state
(requests by state, overdue ones, conflicts recorded since the last look) for metrics.
The polling is :class:`~rastup_data.state.poller.StatePoller`'s: errors reading the state database
are logged and retried on the next tick; the last good list stays in force.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rastup_data.config import Settings
from rastup_data.ingest.suppression import SubjectSuppression
from rastup_data.lake.layout import LakeLayout
from rastup_data.privacy.context import now_iso
from rastup_data.privacy.keys import privacy_key
from rastup_data.privacy.requests import OPEN_STATES, RequestKind, RequestState, RequestStore
from rastup_data.state import StateDB, open_state
from rastup_data.state.database import state_url_for_layout
from rastup_data.state.poller import StatePoller

__all__ = [
    "DsarStatus",
    "SuppressionRefresher",
    "dsar_status",
    "lake_suppression",
    "load_suppression",
]


def load_suppression(db: StateDB) -> SubjectSuppression:
    """Every erased id's keyed hash (raw ids are not needed, nor kept after verification)."""
    return SubjectSuppression.from_hex(privacy_key(db), RequestStore(db).suppression_keys())


def lake_suppression(layout: LakeLayout) -> SubjectSuppression:
    """The suppression list of ``layout``'s state database (``RASTUP_STATE_URL`` when set,
    else the lake's own SQLite file): what a load or replay into that lake must not land."""
    url = Settings.from_env(lake=layout.root).state_url or state_url_for_layout(layout)
    with open_state(url) as db:
        return load_suppression(db)


@dataclass(frozen=True, slots=True)
class DsarStatus:
    """The register at a glance: erasures by state, overdue ones, conflicts since ``since``."""

    by_state: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    conflicts: int = 0


def dsar_status(db: StateDB, since: str) -> DsarStatus:
    now = datetime.now(UTC)
    erasures = [r for r in RequestStore(db).requests() if r.kind is RequestKind.ERASE]
    counts = Counter(r.state.value for r in erasures)
    tracked = [s for s in RequestState if s in OPEN_STATES or s is RequestState.VERIFIED]
    return DsarStatus(
        by_state={s.value: counts.get(s.value, 0) for s in tracked},
        overdue=sum(1 for r in erasures if r.overdue(now)),
        conflicts=RequestStore(db).events_since("conflict", since),
    )


class SuppressionRefresher(StatePoller):
    """Keeps a collector's suppression list (and the DSAR status) current."""

    def __init__(
        self,
        state_url: str,
        apply: Callable[[SubjectSuppression], None],
        *,
        interval_s: float = 1.0,
        on_status: Callable[[DsarStatus], None] | None = None,
        status_interval_s: float = 15.0,
    ) -> None:
        super().__init__(state_url, interval_s=interval_s, name="suppression")
        self.apply = apply
        self.on_status = on_status
        self.status_interval_s = status_interval_s
        self._status_due = 0.0
        self._version: tuple[int, str] | None = None
        self._since = now_iso()

    def check(self, db: StateDB) -> None:
        """Reload the list if the tombstones changed; report the DSAR status."""
        version = RequestStore(db).suppression_version()
        if version != self._version:
            self.apply(load_suppression(db))
            self._version = version
        if self.on_status is not None and time.monotonic() >= self._status_due:
            moment = now_iso()
            self.on_status(dsar_status(db, self._since))
            self._since = moment
            self._status_due = time.monotonic() + self.status_interval_s
