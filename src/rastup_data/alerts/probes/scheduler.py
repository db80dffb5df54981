"""From the scheduler's run records: which jobs' last run failed, and what the last
guardrail run found in the running experiments.

The guardrail job records its findings as the run's detail (JSON)::

    {"experiments": [{"key": "search_ranking_v2", "srm": false,
                      "guardrails_failed": [{"variant": "treatment", "metric": "refund_rate"}],
                      "recommendation": "stop", "reasons": ["…"]}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import orjson

from rastup_data.alerts.probes.base import ProbeContext
from rastup_data.alerts.samples import Sample

__all__ = ["GUARDRAIL_JOB", "SchedulerProbe"]

GUARDRAIL_JOB = "guardrails"


class SchedulerProbe:
    name = "scheduler"
    every_s = 30.0
    gauges: ClassVar[Mapping[str, str]] = {
        "rastup_scheduler_job_failing": "1 when the last finished run of this job failed.",
        "rastup_experiment_guardrail_failed": "1 when the last guardrail run found this "
        "guardrail failed for this variant.",
        "rastup_experiment_srm": "1 when the last guardrail run found a sample ratio mismatch.",
    }

    def samples(self, context: ProbeContext) -> list[Sample]:
        rows = context.state.fetchall(
            "SELECT job, status, detail FROM scheduler_runs r WHERE finished_at = "
            "(SELECT max(finished_at) FROM scheduler_runs s WHERE s.job = r.job "
            "AND s.status IN ('succeeded', 'failed'))",
        )
        samples = []
        for job, status, detail in rows:
            samples.append(
                Sample.of("rastup_scheduler_job_failing", float(status == "failed"), job=job)
            )
            if job == GUARDRAIL_JOB and status == "succeeded":
                samples.extend(_guardrail_samples(detail))
        return samples


def _guardrail_samples(detail: str) -> list[Sample]:
    try:
        found: Any = orjson.loads(detail)
    except orjson.JSONDecodeError:
        return []
    samples = []
    for experiment in found.get("experiments", []) if isinstance(found, dict) else []:
        key = str(experiment.get("key", ""))
        samples.append(
            Sample.of("rastup_experiment_srm", float(bool(experiment.get("srm"))), experiment=key)
        )
        for failed in experiment.get("guardrails_failed", []):
            samples.append(
                Sample.of(
                    "rastup_experiment_guardrail_failed",
                    1.0,
                    experiment=key,
                    variant=str(failed.get("variant", "")),
                    metric=str(failed.get("metric", "")),
                )
            )
    return samples
