"""The alert evaluation as a job: one evaluator per runner (it remembers the samples its
windows need), ticked at each run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rastup_data.alerts import AlertEvaluator, default_sinks, load_rules
from rastup_data.alerts.history import AlertHistory
from rastup_data.scheduler.jobs.base import JobContext, JobOutcome, RunControl

__all__ = ["AlertsJob"]


@dataclass(frozen=True, slots=True)
class AlertsJob:
    name: str = "alerts"
    heavy: bool = False

    def evaluator(
        self, context: JobContext, exposition: Callable[[], str] | None = None
    ) -> AlertEvaluator:
        """This runner's evaluator, made on first use (``serve`` makes it with its metrics)."""
        evaluator = context.kept.get(self.name)
        if evaluator is None:
            history = AlertHistory(context.state, context.profile.name)
            evaluator = AlertEvaluator(
                load_rules(context.profile),
                context.profile,
                sources=(context.layout, context.state),
                sinks=default_sinks(history, context.settings),
                exposition=exposition,
            )
            context.kept[self.name] = evaluator
        assert isinstance(evaluator, AlertEvaluator)
        return evaluator

    def run(self, context: JobContext, control: RunControl) -> JobOutcome:
        evaluator = self.evaluator(context)
        notes = evaluator.tick()
        firing = sorted({a.rule for a in evaluator.tracker.active() if a.status == "firing"})
        return JobOutcome(
            "succeeded",
            {"notified": [f"{n.status}:{n.rule}" for n in notes], "firing": firing},
        )
