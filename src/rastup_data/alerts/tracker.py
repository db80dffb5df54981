"""An alert's life: pending while its condition holds for less than ``for``, firing after,
resolved when it stops holding — each change notified once (deduplicated), a firing alert
again every ``repeat_every``. The state survives restarts in the state database, so a
restarted evaluator neither forgets a firing alert nor notifies it twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from rastup_data.alerts.history import ActiveAlert, AlertHistory, Notification
from rastup_data.alerts.model import Rule, render_summary
from rastup_data.alerts.samples import LabelSet

__all__ = ["AlertTracker", "fingerprint"]


def fingerprint(rule: str, labels: LabelSet) -> str:
    text = rule + "\0" + "\0".join(f"{k}={v}" for k, v in sorted(labels))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class AlertTracker:
    """Turns each evaluation's conditions into notifications."""

    def __init__(self, history: AlertHistory, repeat_every_s: float) -> None:
        self.history = history
        self.repeat_every_s = repeat_every_s
        self._active = {alert.fingerprint: alert for alert in history.active()}

    def active(self) -> list[ActiveAlert]:
        return list(self._active.values())

    def update(
        self, rule: Rule, holding: Mapping[LabelSet, float], now: float
    ) -> list[Notification]:
        """Apply one evaluation of ``rule``; returns what to notify."""
        notes: list[Notification] = []
        seen = set()
        for labels, value in holding.items():
            key = fingerprint(rule.name, labels)
            seen.add(key)
            alert = self._active.get(key)
            if alert is None:
                alert = ActiveAlert(
                    key,
                    rule.name,
                    labels,
                    rule.severity.value,
                    "pending",
                    now,
                    value,
                    "",
                    rule.runbook,
                )
                self._active[key] = alert
            alert.value = value
            alert.summary = render_summary(rule.summary, labels, value)
            note = self._advance(rule, alert, now)
            if note is not None:
                notes.append(note)
            self.history.save(alert)
        for key, alert in list(self._active.items()):
            if alert.rule == rule.name and key not in seen:
                del self._active[key]
                self.history.forget(key)
                if alert.status == "firing":
                    notes.append(self._note("resolved", rule, alert, now))
        return notes

    def _advance(self, rule: Rule, alert: ActiveAlert, now: float) -> Notification | None:
        if alert.status == "pending":
            if now - alert.active_since < rule.for_s:
                return None
            alert.status, alert.fired_at, alert.notified_at = "firing", now, now
            return self._note("firing", rule, alert, now)
        if alert.notified_at is None or now - alert.notified_at >= self.repeat_every_s:
            alert.notified_at = now
            return self._note("repeat", rule, alert, now)
        return None

    def _note(self, status: str, rule: Rule, alert: ActiveAlert, now: float) -> Notification:
        return Notification(
            status=status,
            env=self.history.env,
            rule=rule.name,
            fingerprint=alert.fingerprint,
            labels=alert.labels,
            severity=rule.severity.value,
            value=alert.value,
            summary=alert.summary,
            runbook=rule.runbook,
            at=now,
            code=rule.code.value if rule.code else None,
        )

    def forget_rules_except(self, names: set[str]) -> None:
        """Drop alerts of rules that no longer exist (the rules file changed)."""
        for key, alert in list(self._active.items()):
            if alert.rule not in names:
                del self._active[key]
                self.history.forget(key)
