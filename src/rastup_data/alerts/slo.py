"""Service-level indicators, their error budgets, and the burn-rate windows.

An SLO promises that a share ``objective`` of what it measures is good; the **error
budget** is the rest, ``b = 1 − objective``. Over a window ``W`` the indicator's **error
ratio** ``e(W)`` is the share that was bad, and the **burn rate** is ``e(W) / b``: at burn
rate 1 the budget lasts exactly the SLO period (30 days); at 14.4 two per cent of it is gone
in one hour.

Multiwindow, multi-burn-rate alerts (Google SRE workbook, "Alerting on SLOs", table 5-8)
fire when both a long and a short window burn faster than a factor ``f``:
``e(long) > f·b and e(short) > f·b``. The long window gives significance, the short one
makes the alert stop soon after the burning does:

| alert | long | short | factor | budget spent when it fires | severity |
|---|---|---|---|---|---|
| fast | 1 h | 5 min | 14.4 | 2 % | page |
| slow | 6 h | 30 min | 6 | 5 % | page |
| budget | 3 d | 6 h | 1 | 10 % | ticket |

Indicators:

- ``ratio`` — bad events over all events (counters): ``e = Δbad / Δtotal``;
- ``latency`` — events slower than the threshold (a histogram with a bucket at it):
  ``e = 1 − Δbucket{le=T} / Δcount``;
- ``time_above`` — time a gauge spent above the threshold: ``e = share of samples with
  g > T`` (Prometheus: ``avg_over_time((g > bool T)[W:1m])``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rastup_data.alerts.model import AlertSeverity
from rastup_data.alerts.promql import aggregation, duration
from rastup_data.alerts.selectors import Matcher, MatchOp, Selector
from rastup_data.alerts.series import SeriesStore

__all__ = [
    "BURN_WINDOWS",
    "RECORDED_WINDOWS",
    "BurnWindow",
    "Indicator",
    "LatencyIndicator",
    "RatioIndicator",
    "TimeAboveIndicator",
    "recording_name",
]


@dataclass(frozen=True, slots=True)
class BurnWindow:
    """One multiwindow alert: its name suffix, windows, factor and severity."""

    name: str
    long_s: float
    short_s: float
    factor: float
    severity: AlertSeverity


#: The Google SRE workbook's recommended windows (1 h/5 min ×14.4, 6 h/30 min ×6, 3 d/6 h ×1).
BURN_WINDOWS: tuple[BurnWindow, ...] = (
    BurnWindow("fast_burn", 3600.0, 300.0, 14.4, AlertSeverity.PAGE),
    BurnWindow("slow_burn", 6 * 3600.0, 1800.0, 6.0, AlertSeverity.PAGE),
    BurnWindow("budget_burn", 3 * 86400.0, 6 * 3600.0, 1.0, AlertSeverity.TICKET),
)

#: Every window an error ratio is recorded over (the union of the alerts' windows).
RECORDED_WINDOWS: tuple[float, ...] = tuple(
    sorted({w.long_s for w in BURN_WINDOWS} | {w.short_s for w in BURN_WINDOWS})
)


def recording_name(window_s: float) -> str:
    """``rastup:slo_error_ratio:rate1h``: the recorded error ratio over a window."""
    return f"rastup:slo_error_ratio:rate{duration(window_s)}"


class Indicator(Protocol):
    """How an SLO measures bad (``ratio``, ``latency`` or ``time_above``)."""

    @property
    def kind(self) -> str: ...

    def selectors(self) -> tuple[Selector, ...]: ...

    def error_ratio(self, store: SeriesStore, window_s: float, now: float) -> float | None:
        """The share of bad over the window; None when nothing was measured."""
        ...

    def promql(self, window_s: float) -> str:
        """The error ratio over a window, in PromQL."""
        ...


def _total(store: SeriesStore, selector: Selector, window_s: float, now: float) -> float:
    return sum(store.increase(selector, window_s, now).values())


@dataclass(frozen=True, slots=True)
class RatioIndicator:
    """Bad events over all events (two counters)."""

    bad: Selector
    total: Selector
    kind: str = "ratio"

    def selectors(self) -> tuple[Selector, ...]:
        return (self.bad, self.total)

    def error_ratio(self, store: SeriesStore, window_s: float, now: float) -> float | None:
        total = _total(store, self.total, window_s, now)
        return _total(store, self.bad, window_s, now) / total if total > 0 else None

    def promql(self, window_s: float) -> str:
        w = duration(window_s)
        bad = aggregation("sum", (), f"rate({self.bad.render()}[{w}])")
        total = aggregation("sum", (), f"rate({self.total.render()}[{w}])")
        return f"{bad} / {total}"


@dataclass(frozen=True, slots=True)
class LatencyIndicator:
    """Events slower than the threshold: the histogram must have a bucket at it."""

    histogram: str
    threshold: float
    kind: str = "latency"

    @property
    def buckets(self) -> Selector:
        return Selector(f"{self.histogram}_bucket")

    @property
    def count(self) -> Selector:
        return Selector(f"{self.histogram}_count")

    def selectors(self) -> tuple[Selector, ...]:
        return (self.buckets, self.count)

    def error_ratio(self, store: SeriesStore, window_s: float, now: float) -> float | None:
        total = _total(store, self.count, window_s, now)
        if total <= 0:
            return None
        good = sum(
            value
            for labels, value in store.increase(self.buckets, window_s, now).items()
            if float(dict(labels).get("le", "nan")) == self.threshold
        )
        return 1.0 - good / total

    def promql(self, window_s: float) -> str:
        w = duration(window_s)
        # prometheus_client writes bucket bounds as Python floats: 60.0 -> le="60.0".
        le = Matcher("le", MatchOp.EQ, repr(float(self.threshold)))
        bucket = Selector(self.buckets.name, (le,)).render()
        good = aggregation("sum", (), f"rate({bucket}[{w}])")
        total = aggregation("sum", (), f"rate({self.count.render()}[{w}])")
        return f"1 - ({good} / {total})"


@dataclass(frozen=True, slots=True)
class TimeAboveIndicator:
    """Time a gauge spent above the threshold (sampled at each evaluation)."""

    gauge: Selector
    threshold: float
    kind: str = "time_above"

    def selectors(self) -> tuple[Selector, ...]:
        return (self.gauge,)

    def error_ratio(self, store: SeriesStore, window_s: float, now: float) -> float | None:
        shares = store.share_above(self.gauge, self.threshold, window_s, now)
        return max(shares.values()) if shares else None

    def promql(self, window_s: float) -> str:
        gauge = aggregation("max", (), self.gauge.render())
        return f"avg_over_time(({gauge} > bool {self.threshold!r})[{duration(window_s)}:1m])"
