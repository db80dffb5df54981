"""Alerts in the state database: the current pending and firing ones, and every
notification (``alert_state`` and ``alert_events``, migration ``0007_operations``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from rastup_data.alerts.samples import LabelSet
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.state import StateDB

__all__ = ["ActiveAlert", "AlertHistory", "Notification", "history_since"]

#: The furthest back the history is read: a start before it is a mistake (and past year 1).
MAX_LOOKBACK_S = 100 * 365 * 86_400


def history_since(seconds: float, code: ErrorCode, what: str) -> datetime:
    """The start of a history read ``seconds`` back from now; ``code`` naming ``what`` (the
    option or parameter) when that is more than 100 years back."""
    if seconds > MAX_LOOKBACK_S:
        raise RastupError(code, f"{what} reaches back more than 100 years.")
    return datetime.now(UTC) - timedelta(seconds=seconds)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def _ts(text: str | None) -> float | None:
    return datetime.fromisoformat(text).timestamp() if text else None


@dataclass(slots=True)
class ActiveAlert:
    """A rule's condition holding for one label set: ``pending`` until its ``for`` passed,
    then ``firing``."""

    fingerprint: str
    rule: str
    labels: LabelSet
    severity: str
    status: str
    active_since: float
    value: float
    summary: str
    runbook: str
    fired_at: float | None = None
    notified_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "labels": dict(self.labels),
            "severity": self.severity,
            "status": self.status,
            "active_since": _iso(self.active_since),
            "fired_at": _iso(self.fired_at) if self.fired_at else None,
            "value": self.value,
            "summary": self.summary,
            "runbook": self.runbook,
        }


@dataclass(frozen=True, slots=True)
class Notification:
    """What the sinks receive: ``firing``, ``repeat``, ``resolved`` or an operator's ``notice``."""

    status: str
    env: str
    rule: str
    fingerprint: str
    labels: LabelSet
    severity: str
    value: float
    summary: str
    runbook: str
    at: float
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "env": self.env,
            "rule": self.rule,
            "fingerprint": self.fingerprint,
            "labels": dict(self.labels),
            "severity": self.severity,
            "value": self.value,
            "summary": self.summary,
            "runbook": self.runbook,
            "code": self.code,
            "at": _iso(self.at),
        }


_STATE_COLUMNS = (
    "fingerprint, rule, labels, severity, status, active_since, value, summary, runbook, "
    "fired_at, notified_at"
)


class AlertHistory:
    """Reads and writes the alert tables of one environment."""

    def __init__(self, db: StateDB, env: str) -> None:
        self.db = db
        self.env = env

    def active(self) -> list[ActiveAlert]:
        rows = self.db.fetchall(
            f"SELECT {_STATE_COLUMNS} FROM alert_state WHERE env = ? ORDER BY active_since",
            (self.env,),
        )
        return [
            ActiveAlert(
                fingerprint=row[0],
                rule=row[1],
                labels=tuple((k, v) for k, v in orjson.loads(row[2])),
                severity=row[3],
                status=row[4],
                active_since=_ts(row[5]) or 0.0,
                value=float(row[6]),
                summary=row[7],
                runbook=row[8],
                fired_at=_ts(row[9]),
                notified_at=_ts(row[10]),
            )
            for row in rows
        ]

    def save(self, alert: ActiveAlert) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM alert_state WHERE fingerprint = ?", (alert.fingerprint,))
            self.db.execute(
                f"INSERT INTO alert_state (env, {_STATE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self.env,
                    alert.fingerprint,
                    alert.rule,
                    orjson.dumps([list(pair) for pair in alert.labels]).decode(),
                    alert.severity,
                    alert.status,
                    _iso(alert.active_since),
                    alert.value,
                    alert.summary,
                    alert.runbook,
                    _iso(alert.fired_at) if alert.fired_at else None,
                    _iso(alert.notified_at) if alert.notified_at else None,
                ),
            )

    def forget(self, fingerprint: str) -> None:
        self.db.execute("DELETE FROM alert_state WHERE fingerprint = ?", (fingerprint,))

    def record(self, note: Notification) -> None:
        self.db.execute(
            "INSERT INTO alert_events (event_id, at, env, rule, fingerprint, status, severity, "
            "labels, value, summary, runbook, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uuid.uuid4().hex,
                _iso(note.at),
                note.env,
                note.rule,
                note.fingerprint,
                note.status,
                note.severity,
                orjson.dumps(dict(note.labels)).decode(),
                note.value,
                note.summary,
                note.runbook,
                note.code,
            ),
        )

    def events(
        self, *, since: datetime | None = None, rule: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Notifications, newest first."""
        where, params = ["env = ?"], [self.env]
        if since is not None:
            where.append("at >= ?")
            params.append(since.astimezone(UTC).isoformat())
        if rule is not None:
            where.append("rule = ?")
            params.append(rule)
        rows = self.db.fetchall(
            "SELECT at, rule, status, severity, labels, value, summary, runbook, code "
            f"FROM alert_events WHERE {' AND '.join(where)} ORDER BY at DESC LIMIT {int(limit)}",
            tuple(params),
        )
        keys = ("at", "rule", "status", "severity", "labels", "value", "summary", "runbook", "code")
        events = [dict(zip(keys, row, strict=True)) for row in rows]
        for event in events:
            event["labels"] = orjson.loads(event["labels"])
        return events
