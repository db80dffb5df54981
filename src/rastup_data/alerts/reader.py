"""Reading one rule's YAML: selectors, durations, quantities, comparisons, profile values.

A value written ``${alarms.nrt_freshness.above}`` is taken from the environment profile
(:data:`PROFILE_VALUES` lists what a rule may name), so one rule serves every environment.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rastup_data.alerts.selectors import Selector, SelectorError, parse_selector
from rastup_data.environments import DocumentChecker, EnvironmentProfile
from rastup_data.environments.document import join_path

__all__ = ["PROFILE_VALUES", "Comparison", "RuleReader"]


def _seconds_between(profile: EnvironmentProfile) -> float:
    """Seconds from the marts deadline to the marts alarm (06:00 → 07:00: 3600)."""
    deadline = profile.slo("marts_on_time").deadline
    assert deadline is not None
    day = datetime(2000, 1, 1)
    late = datetime.combine(day, profile.alarms.marts_late_at)
    return (late - datetime.combine(day, deadline)).total_seconds()


def _threshold(name: str) -> Callable[[EnvironmentProfile], float]:
    def value(profile: EnvironmentProfile) -> float:
        threshold = profile.slo(name).threshold_s
        assert threshold is not None
        return threshold

    return value


#: The profile values a rule may name with ``${…}``.
PROFILE_VALUES: Mapping[str, Callable[[EnvironmentProfile], float]] = {
    "alarms.ingest_lag_p95.above": lambda p: p.alarms.ingest_lag_p95_s,
    "alarms.ingest_lag_p95.for": lambda p: p.alarms.ingest_lag_for_s,
    "alarms.nrt_freshness.above": lambda p: p.alarms.nrt_freshness_s,
    "alarms.marts_late_after": _seconds_between,
    "alarms.bi_refresh_consecutive_failures": lambda p: float(
        p.alarms.bi_refresh_consecutive_failures
    ),
    "budgets.alarm_at": lambda p: p.budgets.alarm_at,
    "slo.ingest_latency.threshold": _threshold("ingest_latency"),
    "slo.nrt_freshness.threshold": _threshold("nrt_freshness"),
}

_REFERENCE = re.compile(r"^\$\{([a-z0-9_.]+)\}$")


@dataclass(frozen=True, slots=True)
class Comparison:
    """``above`` (>), ``at_least`` (>=) or ``below`` (<) a threshold."""

    op: str
    value: float

    def holds(self, observed: float) -> bool:
        if math.isnan(observed):
            return False
        if self.op == ">":
            return observed > self.value
        if self.op == ">=":
            return observed >= self.value
        return observed < self.value

    def promql(self) -> str:
        return f"{self.op} {self.value!r}"


_COMPARISONS = {"above": ">", "at_least": ">=", "below": "<"}


class RuleReader:
    """One rule's body with the checks every family shares."""

    def __init__(
        self,
        check: DocumentChecker,
        body: Mapping[str, Any],
        path: str,
        profile: EnvironmentProfile,
    ) -> None:
        self.check = check
        self.body = body
        self.path = path
        self.profile = profile

    def where(self, key: str) -> str:
        return join_path(self.path, key)

    def has(self, key: str) -> bool:
        return key in self.body

    def require(self, key: str) -> Any:
        if key not in self.body:
            self.check.fail(self.where(key), "missing")
        return self._resolved(key)

    def _resolved(self, key: str) -> Any:
        value = self.body[key]
        match = _REFERENCE.match(value) if isinstance(value, str) else None
        if match is None:
            return value
        getter = PROFILE_VALUES.get(match[1])
        if getter is None:
            self.check.fail(
                self.where(key),
                f"unknown profile value {value} (one of {', '.join(sorted(PROFILE_VALUES))})",
            )
        return getter(self.profile)

    def selector(self, key: str) -> Selector:
        text = self.check.text(self.require(key), self.where(key))
        try:
            return parse_selector(text)
        except SelectorError as exc:
            self.check.fail(self.where(key), str(exc))

    def duration(self, key: str, default: float | None = None) -> float:
        if key not in self.body and default is not None:
            return default
        value = self.require(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)  # a profile value, already in seconds
        return self.check.duration(value, self.where(key))

    def quantity(self, key: str, default: float = 0.0) -> float:
        """A number, a share (``5%``), a count (``50k``) or a size (``1 GB``)."""
        if key not in self.body:
            return default
        value = self.require(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and value.strip().endswith("%"):
            return self.check.ratio(value, self.where(key))
        if isinstance(value, str) and value.strip()[-1:] in {"B"}:
            return float(self.check.size(value, self.where(key)))
        return float(self.check.count(value, self.where(key)))

    def labels(self, key: str) -> tuple[str, ...]:
        if key not in self.body:
            return ()
        return tuple(self.check.strings(self.body[key], self.where(key)))

    def comparison(self) -> Comparison:
        given = [key for key in _COMPARISONS if key in self.body]
        if len(given) != 1:
            self.check.fail(self.path, "give exactly one of above, at_least or below")
        return Comparison(_COMPARISONS[given[0]], self.quantity(given[0]))
