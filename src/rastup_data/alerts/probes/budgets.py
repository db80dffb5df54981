"""The five budgets as shares of their limits (``rastup_budget_used_ratio{resource}``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rastup_data.alerts.probes.base import ProbeContext
from rastup_data.alerts.samples import Sample
from rastup_data.budgets import measure_budgets

__all__ = ["BudgetsProbe"]


class BudgetsProbe:
    name = "budgets"
    every_s = 300.0  # walks the lake's files
    gauges: ClassVar[Mapping[str, str]] = {
        "rastup_budget_used_ratio": "Share of the environment's budget used (now or today, UTC).",
    }

    def samples(self, context: ProbeContext) -> list[Sample]:
        report = measure_budgets(context.layout, context.profile, context.state, now=context.now)
        return [
            Sample.of("rastup_budget_used_ratio", usage.ratio, resource=usage.resource.value)
            for usage in report.usages
        ]
