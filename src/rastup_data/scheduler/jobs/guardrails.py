"""Guardrail metric jobs: analyse every running experiment and record what must stop.

For each experiment whose definition says it runs now, the full analysis (CUPED,
sequential, SRM, guardrails with their margins) is read from the published build. The
run's detail lists each experiment's SRM flag, failed guardrails, recommendation and
reasons; the alert rules ``experiment_guardrail_breach`` and ``experiment_srm`` fire from it
with the stop advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.scheduler.jobs.base import JobContext, JobOutcome, RunControl

__all__ = ["GuardrailsJob"]


def _finding(analysis: Any) -> dict[str, Any]:
    from rastup_data.experiments.stats import GuardrailStatus, MetricRole

    result = analysis.result
    failed = [
        {"variant": row.variant, "metric": row.metric}
        for row in result.results
        if row.role is MetricRole.GUARDRAIL
        and row.guardrail is GuardrailStatus.FAIL
        and not row.is_control
    ]
    return {
        "key": analysis.units.experiment.key,
        "srm": bool(result.srm_flag),
        "srm_p_value": float(result.srm_p_value),
        "guardrails_failed": failed,
        "recommendation": result.recommendation,
        "reasons": list(result.reasons),
    }


@dataclass(frozen=True, slots=True)
class GuardrailsJob:
    name: str = "guardrails"
    heavy: bool = False

    def run(self, context: JobContext, control: RunControl) -> JobOutcome:
        from rastup_data.experiments.definitions import load_experiments
        from rastup_data.experiments.home import find_experiments_dir
        from rastup_data.experiments.lake import analyze_experiment

        folder, _ = find_experiments_dir(context.experiments_dir, settings=context.settings)
        now = datetime.now(UTC)
        running = [e for e in load_experiments(folder) if e.is_running(now)]
        findings: list[dict[str, Any]] = []
        errors: list[dict[str, str]] = []
        for experiment in running:
            if control.stopping.is_set():
                break
            try:
                findings.append(
                    _finding(
                        analyze_experiment(context.layout, experiment.key, experiments_dir=folder)
                    )
                )
            except RastupError as exc:
                errors.append(
                    {"key": experiment.key, "code": exc.code.value, "message": exc.message}
                )
        unexpected = [e for e in errors if e["code"] != ErrorCode.QUERY_INVALID.value]
        detail = {"experiments": findings, "errors": errors, "running": [e.key for e in running]}
        if running and not findings and not unexpected:
            return JobOutcome("skipped", {**detail, "reason": "no published build to analyse yet"})
        return JobOutcome("failed" if unexpected else "succeeded", detail)
