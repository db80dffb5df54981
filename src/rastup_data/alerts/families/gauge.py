"""``kind: gauge`` — a gauge's current value (the largest per ``by`` group) against a
threshold: NRT freshness, budget shares, a failing build, blocked erasures."""

from __future__ import annotations

from dataclasses import dataclass

from rastup_data.alerts.promql import aggregation
from rastup_data.alerts.reader import Comparison, RuleReader
from rastup_data.alerts.samples import LabelSet
from rastup_data.alerts.selectors import Selector
from rastup_data.alerts.series import SeriesStore, aggregate

__all__ = ["GaugeFamily", "GaugeParams"]


@dataclass(frozen=True, slots=True)
class GaugeParams:
    metric: Selector
    comparison: Comparison
    by: tuple[str, ...] = ()


class GaugeFamily:
    kind = "gauge"

    def parse(self, reader: RuleReader) -> GaugeParams:
        return GaugeParams(reader.selector("metric"), reader.comparison(), reader.labels("by"))

    def tracked(self, params: GaugeParams) -> dict[Selector, float]:
        return {params.metric: 0.0}

    def evaluate(
        self, params: GaugeParams, store: SeriesStore, now: float
    ) -> dict[LabelSet, float]:
        values = aggregate(store.latest(params.metric, now), params.by, "max")
        return {k: v for k, v in values.items() if params.comparison.holds(v)}

    def promql(self, params: GaugeParams) -> str:
        current = aggregation("max", params.by, params.metric.render())
        return f"{current} {params.comparison.promql()}"
