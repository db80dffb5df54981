"""The log sink: one line per notification, WARNING for firing pages and tickets."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rastup_data.alerts.history import Notification

__all__ = ["LogSink"]

log = logging.getLogger("rastup_data.alerts")


class LogSink:
    name = "log"

    def send(self, notes: Sequence[Notification]) -> None:
        for note in notes:
            level = logging.WARNING
            if note.status == "resolved" or note.severity == "info":
                level = logging.INFO
            labels = ", ".join(f"{k}={v}" for k, v in note.labels)
            log.log(
                level,
                "alert %s %s [%s%s]: %s (runbook %s)",
                note.rule,
                note.status.upper(),
                note.severity,
                f"; {labels}" if labels else "",
                note.summary,
                note.runbook,
            )
