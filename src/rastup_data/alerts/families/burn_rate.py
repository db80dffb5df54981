"""``kind: burn_rate`` — one multiwindow alert of an SLO (made from the rules file's
``slos``, three per SLO; see :mod:`rastup_data.alerts.slo` for the maths)."""

from __future__ import annotations

from dataclasses import dataclass

from rastup_data.alerts.reader import RuleReader
from rastup_data.alerts.samples import LabelSet
from rastup_data.alerts.selectors import Selector
from rastup_data.alerts.series import SeriesStore
from rastup_data.alerts.slo import BurnWindow, Indicator, recording_name

__all__ = ["BurnRateFamily", "BurnRateParams"]


@dataclass(frozen=True, slots=True)
class BurnRateParams:
    slo: str
    indicator: Indicator
    window: BurnWindow
    error_budget: float

    @property
    def limit(self) -> float:
        """The error ratio both windows must pass: factor × budget."""
        return self.window.factor * self.error_budget


class BurnRateFamily:
    kind = "burn_rate"

    def parse(self, reader: RuleReader) -> BurnRateParams:
        reader.check.fail(reader.path, "burn-rate rules are made from `slos`, not written")

    def tracked(self, params: BurnRateParams) -> dict[Selector, float]:
        return dict.fromkeys(params.indicator.selectors(), params.window.long_s)

    def evaluate(
        self, params: BurnRateParams, store: SeriesStore, now: float
    ) -> dict[LabelSet, float]:
        long = params.indicator.error_ratio(store, params.window.long_s, now)
        short = params.indicator.error_ratio(store, params.window.short_s, now)
        if long is None or short is None:
            return {}
        if long > params.limit and short > params.limit:
            return {(("slo", params.slo),): long / params.error_budget}
        return {}

    def promql(self, params: BurnRateParams) -> str:
        slo = f'{{slo="{params.slo}"}}'
        long = f"{recording_name(params.window.long_s)}{slo}"
        short = f"{recording_name(params.window.short_s)}{slo}"
        limit = f"{params.limit:.6g}"
        # The value is the long window's burn rate (error ratio ÷ budget).
        return (
            f"({long} / {params.error_budget:.6g}) > {params.window.factor:g} and {short} > {limit}"
        )
