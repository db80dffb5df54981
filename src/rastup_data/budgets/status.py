"""Budget status: each resource's use against the environment's limit, alarm at 80 %."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rastup_data.budgets.meters import METERS, MeterContext
from rastup_data.environments import EnvironmentProfile, Resource
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import StateDB

__all__ = ["BudgetReport", "ResourceUsage", "measure_budgets"]

_PERIOD = {
    Resource.LAKE_STORAGE: "now",
    Resource.SCANNED_PER_DAY: "today (UTC)",
    Resource.BUILD_COMPUTE_PER_DAY: "today (UTC)",
    Resource.EXTRACT_STORAGE: "now",
    Resource.INGEST_EVENTS_PER_DAY: "today (UTC)",
}


@dataclass(frozen=True, slots=True)
class ResourceUsage:
    """One resource: what is used, the limit, and the share that raises the alarm."""

    resource: Resource
    used: float
    limit: float
    alarm_at: float

    @property
    def ratio(self) -> float:
        return self.used / self.limit if self.limit else 0.0

    @property
    def state(self) -> str:
        """``ok``, ``alarm`` (at or past the alarm share) or ``over`` (past the limit)."""
        if self.used > self.limit:
            return "over"
        return "alarm" if self.ratio >= self.alarm_at else "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource.value,
            "seed": self.resource.seed_name,
            "unit": self.resource.unit,
            "period": _PERIOD[self.resource],
            "used": self.used,
            "limit": self.limit,
            "ratio": round(self.ratio, 6),
            "alarm_at": self.alarm_at,
            "state": self.state,
        }


@dataclass(frozen=True, slots=True)
class BudgetReport:
    """Every resource of one environment, measured at ``at``."""

    env: str
    at: datetime
    usages: tuple[ResourceUsage, ...]

    def usage(self, resource: Resource) -> ResourceUsage:
        return next(u for u in self.usages if u.resource is resource)

    @property
    def alarms(self) -> tuple[ResourceUsage, ...]:
        return tuple(u for u in self.usages if u.state != "ok")

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "at": self.at.isoformat(),
            "resources": [u.to_json() for u in self.usages],
        }


def measure_budgets(
    layout: LakeLayout,
    profile: EnvironmentProfile,
    state: StateDB,
    *,
    now: datetime | None = None,
) -> BudgetReport:
    """Measure the five resources of ``profile``'s environment (daily ones for UTC today)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    context = MeterContext(layout, state, profile.name, moment.date())
    usages = tuple(
        ResourceUsage(
            resource,
            METERS[resource](context),
            profile.budgets.limit(resource),
            profile.budgets.alarm_at,
        )
        for resource in Resource
    )
    return BudgetReport(profile.name, moment, usages)
