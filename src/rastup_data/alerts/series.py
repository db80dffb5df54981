"""The in-process evaluator's memory: recent samples of the series the rules read.

Each evaluation appends the samples matching a tracked selector; a series keeps the points
of the longest window its rules look back over. The functions mirror the PromQL the
exported rules use, so both evaluate the same numbers:

- ``latest`` ≈ an instant vector (the newest point within 5 minutes, Prometheus' lookback);
- ``increase`` = the counter's growth over the window, resets handled as Prometheus does
  (a drop starts the counter again from 0). It measures from the last point at or before
  the window start, without Prometheus' extrapolation to the window's edges;
- ``share_above`` = ``avg_over_time((x > bool T)[W:])``: the share of points in the window
  above the threshold (time-based SLOs: how long the NRT views were stale);
- ``histogram_quantile`` interpolates linearly inside the bucket holding the rank, as
  Prometheus does.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rastup_data.alerts.samples import LabelSet, Sample
from rastup_data.alerts.selectors import Selector

__all__ = ["LOOKBACK_S", "SeriesStore", "aggregate", "histogram_quantile"]

#: How old the newest point of a series may be to count as its current value.
LOOKBACK_S = 300.0


@dataclass(slots=True)
class _Series:
    times: array[float] = field(default_factory=lambda: array("d"))
    values: array[float] = field(default_factory=lambda: array("d"))

    def append(self, t: float, value: float) -> None:
        if self.times and t <= self.times[-1]:
            return  # clocks do not go back; a duplicate tick adds nothing
        self.times.append(t)
        self.values.append(value)

    def trim(self, before: float) -> None:
        """Drop points older than ``before`` but keep the last one before it (a baseline)."""
        cut = bisect.bisect_left(self.times, before) - 1
        if cut > 0:
            del self.times[:cut]
            del self.values[:cut]

    def window(self, start: float, end: float) -> tuple[int, int]:
        """Indices [lo, hi) of the points in (start, end]; lo-1 is the baseline if any."""
        return bisect.bisect_right(self.times, start), bisect.bisect_right(self.times, end)


class SeriesStore:
    """Points of every series matched by a tracked selector, kept ``retention_s`` back."""

    def __init__(self, tracked: Mapping[Selector, float]) -> None:
        """``tracked``: selector → seconds of history its rules need."""
        self._tracked = dict(tracked)
        self._series: dict[tuple[str, LabelSet], _Series] = {}
        self._retention: dict[tuple[str, LabelSet], float] = {}
        self._names = {s.name for s in self._tracked}

    def record(self, t: float, samples: Iterable[Sample]) -> None:
        for sample in samples:
            if sample.name not in self._names:
                continue
            key = (sample.name, sample.labels)
            retention = self._retention.get(key)
            if retention is None:
                labels = dict(sample.labels)
                needed = [w for s, w in self._tracked.items() if s.matches(sample.name, labels)]
                if not needed:
                    continue
                retention = self._retention[key] = max(needed) + 2 * LOOKBACK_S
            series = self._series.setdefault(key, _Series())
            series.append(t, sample.value)
            if len(series.times) % 64 == 0:
                series.trim(t - retention)

    def _matching(self, selector: Selector) -> Iterable[tuple[LabelSet, _Series]]:
        for (name, labels), series in self._series.items():
            if selector.matches(name, dict(labels)):
                yield labels, series

    def latest(self, selector: Selector, now: float) -> dict[LabelSet, float]:
        found = {}
        for labels, series in self._matching(selector):
            lo, hi = series.window(now - LOOKBACK_S, now)
            if hi > lo:
                found[labels] = series.values[hi - 1]
        return found

    def increase(self, selector: Selector, window_s: float, now: float) -> dict[LabelSet, float]:
        found = {}
        for labels, series in self._matching(selector):
            lo, hi = series.window(now - window_s, now)
            if hi <= lo:
                continue
            start = max(lo - 1, 0)
            total = 0.0
            previous = series.values[start]
            for i in range(start + 1, hi):
                value = series.values[i]
                total += value - previous if value >= previous else value
                previous = value
            found[labels] = total
        return found

    def share_above(
        self, selector: Selector, threshold: float, window_s: float, now: float
    ) -> dict[LabelSet, float]:
        found = {}
        for labels, series in self._matching(selector):
            lo, hi = series.window(now - window_s, now)
            if hi > lo:
                above = sum(1 for i in range(lo, hi) if series.values[i] > threshold)
                found[labels] = above / (hi - lo)
        return found

    def span(self, now: float) -> float:
        """Seconds of history held (the oldest point's age), 0 when empty."""
        oldest = min((s.times[0] for s in self._series.values() if s.times), default=now)
        return now - oldest


def aggregate(
    values: Mapping[LabelSet, float], by: tuple[str, ...] = (), op: str = "sum"
) -> dict[LabelSet, float]:
    """``sum by (labels)`` (or ``max by``) over series; ``by=()`` gives one total."""
    grouped: dict[LabelSet, list[float]] = {}
    for labels, value in values.items():
        label_map = dict(labels)
        key = tuple(sorted((name, label_map.get(name, "")) for name in by))
        grouped.setdefault(key, []).append(value)
    reduce = max if op == "max" else sum
    return {key: float(reduce(items)) for key, items in grouped.items()}


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float:
    """The ``q`` quantile of cumulative bucket counts {upper bound: count}; NaN when empty.

    The rank ``q × total`` falls in the first bucket whose cumulative count reaches it; the
    value is interpolated linearly between that bucket's bounds (the first bucket starts at
    0). A rank in the +Inf bucket answers the highest finite bound, as Prometheus does.
    """
    bounds = sorted(buckets)
    if not bounds or (math.isinf(bounds[0]) and len(bounds) == 1):
        return math.nan
    total = buckets[bounds[-1]]
    if total <= 0:
        return math.nan
    rank = q * total
    previous_bound, previous_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return previous_bound
            if count == previous_count:
                return bound
            return previous_bound + (bound - previous_bound) * (rank - previous_count) / (
                count - previous_count
            )
        previous_bound, previous_count = bound, count
    return previous_bound
