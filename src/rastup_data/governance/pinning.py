"""Dashboards pinned to the BI extracts: during high spend an operator makes every dashboard
query read only ``datasets.*`` (the refreshed extracts), never the live warehouse.

``rastup-data queries pin-dashboards`` sets the operator control ``gate.dashboards_pinned``;
every gate reads it (cached for two seconds) and refuses, with ``ACCESS_DENIED``, a
dashboard-path query that reads anything else. ``unpin-dashboards`` lifts it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.state import OpsControls, StateDB

__all__ = ["PIN_CONTROL", "DashboardPin"]

PIN_CONTROL = "gate.dashboards_pinned"
_EXTRACTS = "datasets."
_CACHE_S = 2.0


class DashboardPin:
    """Whether dashboards are pinned to extracts now, and the check of one query."""

    def __init__(self, db: StateDB) -> None:
        self.controls = OpsControls(db)
        self._checked = -_CACHE_S
        self._pinned = False

    def pinned(self) -> bool:
        now = time.monotonic()
        if now - self._checked >= _CACHE_S:
            self._pinned = self.controls.get(PIN_CONTROL) is not None
            self._checked = now
        return self._pinned

    def check(self, relations: Sequence[str]) -> None:
        live = [r for r in relations if not r.startswith(_EXTRACTS)]
        if live and self.pinned():
            raise RastupError(
                ErrorCode.ACCESS_DENIED,
                f"dashboards are pinned to the BI extracts (datasets.*) while spend is high; "
                f"this dashboard query reads {', '.join(live)}. An operator lifts it with "
                "`rastup-data queries unpin-dashboards`.",
            )
