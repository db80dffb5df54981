"""``kind: counter`` — a counter's growth over a window above a count, or above a share of
another counter's growth (``ratio_of``): e.g. invalid events as a share of all events."""

from __future__ import annotations

from dataclasses import dataclass

from rastup_data.alerts.promql import aggregation, duration
from rastup_data.alerts.reader import Comparison, RuleReader
from rastup_data.alerts.samples import LabelSet
from rastup_data.alerts.selectors import Selector
from rastup_data.alerts.series import SeriesStore, aggregate

__all__ = ["CounterFamily", "CounterParams"]


@dataclass(frozen=True, slots=True)
class CounterParams:
    metric: Selector
    window_s: float
    comparison: Comparison
    ratio_of: Selector | None = None
    by: tuple[str, ...] = ()


class CounterFamily:
    kind = "counter"

    def parse(self, reader: RuleReader) -> CounterParams:
        return CounterParams(
            metric=reader.selector("metric"),
            window_s=reader.duration("window"),
            comparison=reader.comparison(),
            ratio_of=reader.selector("ratio_of") if reader.has("ratio_of") else None,
            by=reader.labels("by"),
        )

    def tracked(self, params: CounterParams) -> dict[Selector, float]:
        tracked = {params.metric: params.window_s}
        if params.ratio_of is not None:
            tracked[params.ratio_of] = params.window_s
        return tracked

    def evaluate(
        self, params: CounterParams, store: SeriesStore, now: float
    ) -> dict[LabelSet, float]:
        grown = aggregate(store.increase(params.metric, params.window_s, now), params.by)
        if params.ratio_of is not None:
            totals = aggregate(store.increase(params.ratio_of, params.window_s, now), params.by)
            grown = {k: grown.get(k, 0.0) / total for k, total in totals.items() if total > 0}
        return {k: v for k, v in grown.items() if params.comparison.holds(v)}

    def promql(self, params: CounterParams) -> str:
        window = duration(params.window_s)
        grown = aggregation("sum", params.by, f"increase({params.metric.render()}[{window}])")
        if params.ratio_of is not None:
            total = aggregation("sum", params.by, f"increase({params.ratio_of.render()}[{window}])")
            grown = f"({grown} / {total})"
        return f"{grown} {params.comparison.promql()}"
