"""``kind: quantile`` — a histogram's quantile over a window against a threshold: the
seed's "ingest p95 above 120 s for 10 min"."""

from __future__ import annotations

from dataclasses import dataclass

from rastup_data.alerts.promql import duration
from rastup_data.alerts.reader import Comparison, RuleReader
from rastup_data.alerts.samples import LabelSet
from rastup_data.alerts.selectors import Selector
from rastup_data.alerts.series import SeriesStore, histogram_quantile

__all__ = ["QuantileFamily", "QuantileParams"]


@dataclass(frozen=True, slots=True)
class QuantileParams:
    histogram: str
    q: float
    window_s: float
    comparison: Comparison

    @property
    def buckets(self) -> Selector:
        return Selector(f"{self.histogram}_bucket")


def bucket_increases(
    histogram: str, store: SeriesStore, window_s: float, now: float
) -> dict[float, float]:
    """{upper bound: events in the window} of a histogram, summed over its series."""
    grown: dict[float, float] = {}
    for labels, value in store.increase(Selector(f"{histogram}_bucket"), window_s, now).items():
        bound = float(dict(labels).get("le", "nan"))
        grown[bound] = grown.get(bound, 0.0) + value
    return grown


class QuantileFamily:
    kind = "quantile"

    def parse(self, reader: RuleReader) -> QuantileParams:
        q = reader.check.number(reader.require("q"), reader.where("q"))
        if not 0 < q < 1:
            reader.check.fail(reader.where("q"), f"a quantile is in (0, 1), got {q}")
        name = reader.check.name(reader.require("histogram"), reader.where("histogram"))
        return QuantileParams(name, q, reader.duration("window"), reader.comparison())

    def tracked(self, params: QuantileParams) -> dict[Selector, float]:
        return {params.buckets: params.window_s}

    def evaluate(
        self, params: QuantileParams, store: SeriesStore, now: float
    ) -> dict[LabelSet, float]:
        grown = bucket_increases(params.histogram, store, params.window_s, now)
        value = histogram_quantile(params.q, grown)
        return {(): value} if params.comparison.holds(value) else {}

    def promql(self, params: QuantileParams) -> str:
        rate = f"rate({params.buckets.render()}[{duration(params.window_s)}])"
        return (
            f"histogram_quantile({params.q!r}, sum by (le) ({rate})) {params.comparison.promql()}"
        )
