"""Cost guards of an environment: the per-query cap (the workgroup's bytes cap) and the
daily scanned-bytes budget, measured from the audit log, with the alarm share (80 %). The
numbers are the environment profile's (``queries.cap``, ``budgets.scanned_per_day``,
``budgets.alarm_at``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rastup_data.environments import EnvironmentProfile
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance.audit import AuditLog

__all__ = ["BudgetStatus", "CostGuard", "human_bytes"]


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} B"


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """Scanned bytes so far today in an environment against its daily budget."""

    env: str
    day: str
    scanned_bytes: int
    budget_bytes: int
    alarm_ratio: float

    @property
    def ratio(self) -> float:
        return self.scanned_bytes / self.budget_bytes if self.budget_bytes else 0.0

    @property
    def alarm(self) -> bool:
        return self.ratio >= self.alarm_ratio


class CostGuard:
    """Refuses a query before it runs when it would break the cap or the budget."""

    def __init__(self, profile: EnvironmentProfile, audit: AuditLog) -> None:
        self.profile = profile
        self.env = profile.name
        self.query_cap = profile.query_cap
        self.audit = audit

    def status(self, now: datetime | None = None) -> BudgetStatus:
        day = (now or datetime.now(UTC)).astimezone(UTC).date().isoformat()
        return BudgetStatus(
            env=self.env,
            day=day,
            scanned_bytes=self.audit.scanned_on(self.env, day),
            budget_bytes=self.profile.daily_scan_budget,
            alarm_ratio=self.profile.budgets.alarm_at,
        )

    def check(self, estimate: int) -> BudgetStatus:
        """ATHENA_SCANNED_BYTES_BREACH if ``estimate`` passes the cap or today's budget."""
        if estimate > self.query_cap:
            raise RastupError(
                ErrorCode.ATHENA_SCANNED_BYTES_BREACH,
                f"the query would scan {human_bytes(estimate)}, over the {self.env} per-query "
                f"cap of {human_bytes(self.query_cap)}. To fix this, add a dt filter or "
                "read fewer columns (`query --explain` shows the estimate).",
            )
        status = self.status()
        if status.scanned_bytes + estimate > status.budget_bytes:
            raise RastupError(
                ErrorCode.ATHENA_SCANNED_BYTES_BREACH,
                f"the {self.env} daily budget of {human_bytes(status.budget_bytes)} would be "
                f"passed ({human_bytes(status.scanned_bytes)} scanned today, this query "
                f"{human_bytes(estimate)}). To fix this, wait for tomorrow (UTC) or ask for a "
                "budget raise.",
            )
        return status
