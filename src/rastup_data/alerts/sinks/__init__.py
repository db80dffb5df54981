"""Where notifications go: one module per sink behind one protocol.

- ``log`` — one line per notification on the ``rastup_data.alerts`` logger;
- ``history`` — the state database's ``alert_events`` (``alerts history``, ``GET /v1/alerts``);
- ``webhook`` — an HTTP POST of the JSON, signed with HMAC-SHA256, to a configured URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rastup_data.alerts.history import AlertHistory, Notification
from rastup_data.alerts.sinks.history import HistorySink
from rastup_data.alerts.sinks.log import LogSink
from rastup_data.alerts.sinks.webhook import WebhookSink
from rastup_data.config import Settings
from rastup_data.errors import ErrorCode, RastupError

__all__ = ["HistorySink", "LogSink", "Sink", "WebhookSink", "default_sinks", "deliver"]


class Sink(Protocol):
    name: str

    def send(self, notes: Sequence[Notification]) -> None:
        """Deliver ``notes``; a failing sink logs and returns (others still get them)."""
        ...


def default_sinks(history: AlertHistory, settings: Settings) -> list[Sink]:
    """The log and the state database always; the webhook when its URL is configured."""
    sinks: list[Sink] = [LogSink(), HistorySink(history)]
    if settings.alert_webhook_url:
        if not settings.alert_webhook_secret:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                "RASTUP_ALERT_WEBHOOK_URL is set without RASTUP_ALERT_WEBHOOK_SECRET. To fix "
                "this, set the secret the receiver verifies the signature with.",
            )
        sinks.append(WebhookSink(settings.alert_webhook_url, settings.alert_webhook_secret))
    return sinks


def deliver(sinks: Sequence[Sink], notes: Sequence[Notification]) -> None:
    if notes:
        for sink in sinks:
            sink.send(notes)
