"""Rule families: one module per kind of rule, behind one registry (like quality checks).

A family reads its parameters from the rule's YAML (:meth:`RuleFamily.parse`), names the
series and history it needs (``tracked``), evaluates in process over the series store
(``evaluate``: the label sets whose condition holds, with their values), and writes the same
condition as PromQL (``promql``) for the exported rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from rastup_data.alerts.families.anomaly import AnomalyFamily
from rastup_data.alerts.families.burn_rate import BurnRateFamily
from rastup_data.alerts.families.counter import CounterFamily
from rastup_data.alerts.families.gauge import GaugeFamily
from rastup_data.alerts.families.quantile import QuantileFamily
from rastup_data.alerts.reader import RuleReader
from rastup_data.alerts.samples import LabelSet
from rastup_data.alerts.selectors import Selector
from rastup_data.alerts.series import SeriesStore

__all__ = ["FAMILIES", "RuleFamily"]


class RuleFamily(Protocol):
    """One kind of rule."""

    kind: str

    def parse(self, reader: RuleReader) -> Any:
        """The family's parameters from the rule's YAML (errors name file and path)."""
        ...

    def tracked(self, params: Any) -> dict[Selector, float]:
        """Each selector the rule reads, with the seconds of history it needs."""
        ...

    def evaluate(self, params: Any, store: SeriesStore, now: float) -> dict[LabelSet, float]:
        """The label sets whose condition holds at ``now``, with the value shown."""
        ...

    def promql(self, params: Any) -> str:
        """The condition as a PromQL expression (its result series are the alerts)."""
        ...


#: Every rule kind the rules file may use. ``burn_rate`` rules are made from ``slos``.
FAMILIES: Mapping[str, RuleFamily] = {
    family.kind: family
    for family in (
        CounterFamily(),
        GaugeFamily(),
        QuantileFamily(),
        AnomalyFamily(),
        BurnRateFamily(),
    )
}
