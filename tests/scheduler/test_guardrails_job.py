"""The guardrail job analyses every running experiment of a built lake and records, per
experiment, what the analysis found (the alert rules read it)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rastup_data.alerts.probes import ProbeContext
from rastup_data.alerts.probes.scheduler import SchedulerProbe
from rastup_data.config import Settings
from rastup_data.environments import load_profile
from rastup_data.experiments.home import shipped_examples
from rastup_data.experiments.lake import analyze_experiment
from rastup_data.scheduler.jobs import JOBS, JobContext
from rastup_data.scheduler.runner import Scheduler
from rastup_data.state import open_state


def test_running_experiments_are_analysed_and_recorded(built_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    layout = built_lake.layout
    with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
        context = JobContext(
            layout,
            state,
            load_profile("test"),
            Settings.from_env({}, lake=layout.root),
            shipped_examples(),
        )
        outcome = Scheduler(context).run_job(JOBS["guardrails"], datetime.now(UTC))
        assert outcome.status == "succeeded", outcome.detail
        findings = {f["key"]: f for f in outcome.detail["experiments"]}
        assert set(findings) == set(outcome.detail["running"])
        assert findings, "the shipped examples run during the simulated days"
        for key, found in findings.items():
            result = analyze_experiment(layout, key, experiments_dir=shipped_examples()).result
            assert found["srm"] == result.srm_flag
            assert found["recommendation"] == result.recommendation
            failed = {
                (r.variant, r.metric)
                for r in result.results
                if r.role == "guardrail" and r.guardrail == "fail"
            }
            assert {(g["variant"], g["metric"]) for g in found["guardrails_failed"]} == failed
        samples = SchedulerProbe().samples(
            ProbeContext(layout, state, context.profile, datetime.now(UTC))
        )
        srm = {
            dict(s.labels)["experiment"]: s.value
            for s in samples
            if s.name == "rastup_experiment_srm"
        }
        assert srm == {key: float(f["srm"]) for key, f in findings.items()}
