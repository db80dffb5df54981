"""``kind: anomaly`` — the last hour against the same hour of the previous days.

The probes export both numbers as gauges per group (``current`` and ``baseline``, the mean
of the same hour over the previous seven days), so the rule is a ratio: ``above: 3`` fires
when current > 3 × baseline (and current ≥ ``min_current``), ``below: 0.5`` when current <
0.5 × baseline (and baseline ≥ ``min_baseline``). A baseline under 1 counts as 1, so a
spike from nothing is a spike.
"""

from __future__ import annotations

from dataclasses import dataclass

from rastup_data.alerts.promql import aggregation
from rastup_data.alerts.reader import Comparison, RuleReader
from rastup_data.alerts.samples import LabelSet
from rastup_data.alerts.selectors import Selector
from rastup_data.alerts.series import SeriesStore, aggregate

__all__ = ["AnomalyFamily", "AnomalyParams"]


@dataclass(frozen=True, slots=True)
class AnomalyParams:
    current: Selector
    baseline: Selector
    comparison: Comparison
    by: tuple[str, ...] = ()
    min_current: float = 0.0
    min_baseline: float = 0.0


class AnomalyFamily:
    kind = "anomaly"

    def parse(self, reader: RuleReader) -> AnomalyParams:
        comparison = reader.comparison()
        if comparison.op == ">=":
            reader.check.fail(reader.path, "an anomaly is above or below its baseline")
        return AnomalyParams(
            current=reader.selector("current"),
            baseline=reader.selector("baseline"),
            comparison=comparison,
            by=reader.labels("by"),
            min_current=reader.quantity("min_current"),
            min_baseline=reader.quantity("min_baseline"),
        )

    def tracked(self, params: AnomalyParams) -> dict[Selector, float]:
        return {params.current: 0.0, params.baseline: 0.0}

    def evaluate(
        self, params: AnomalyParams, store: SeriesStore, now: float
    ) -> dict[LabelSet, float]:
        current = aggregate(store.latest(params.current, now), params.by)
        baseline = aggregate(store.latest(params.baseline, now), params.by)
        found = {}
        for key in current.keys() | baseline.keys():
            now_value, usual = current.get(key, 0.0), baseline.get(key, 0.0)
            if now_value < params.min_current or usual < params.min_baseline:
                continue
            ratio = now_value / max(usual, 1.0)
            if params.comparison.holds(ratio):
                found[key] = ratio
        return found

    def promql(self, params: AnomalyParams) -> str:
        current = aggregation("sum", params.by, params.current.render())
        baseline = aggregation("sum", params.by, params.baseline.render())
        expression = f"({current} / clamp_min({baseline}, 1)) {params.comparison.promql()}"
        if params.min_current:
            expression += f" and {current} >= {params.min_current!r}"
        if params.min_baseline:
            expression += f" and {baseline} >= {params.min_baseline!r}"
        return expression
