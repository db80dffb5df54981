"""The history sink: every notification in the state database (``alert_events``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rastup_data.alerts.history import AlertHistory, Notification

__all__ = ["HistorySink"]

log = logging.getLogger(__name__)


class HistorySink:
    name = "history"

    def __init__(self, history: AlertHistory) -> None:
        self.history = history

    def send(self, notes: Sequence[Notification]) -> None:
        for note in notes:
            try:
                self.history.record(note)
            except Exception:  # the database may be busy or gone: the log still has it
                log.exception(
                    "alert %s %s not recorded in the state database", note.rule, note.status
                )
