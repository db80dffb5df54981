"""A failed scheduled run is logged as one ``key=value`` line, not a Python dict; the real
`rastup-data scheduler run` of a job that fails prints its detail once, as JSON on stdout,
with one line on stderr saying it failed."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from rastup_data.config import Settings
from rastup_data.environments import load_profile
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.scheduler.jobs import JobContext, JobOutcome, RunControl
from rastup_data.scheduler.records import detail_line
from rastup_data.scheduler.runner import Scheduler
from rastup_data.state import open_state


def test_detail_line_keeps_words_bare_and_quotes_the_rest_as_json() -> None:
    detail = {
        "code": "EXPERIMENT_INVALID",
        "message": "/x: no such folder (from 'env'). To fix this, pass a=b",
        "exit": 2,
        "tail": ["line one", "two"],
        "nested": {"k": None},
        "seconds": 1.5,
        "empty": "",
    }
    assert detail_line(detail) == (
        "code=EXPERIMENT_INVALID "
        "message=\"/x: no such folder (from 'env'). To fix this, pass a=b\" "
        'exit=2 tail=["line one","two"] nested={"k":null} seconds=1.5 empty=""'
    )
    assert detail_line({}) == ""


def test_a_failed_scheduled_run_is_logged_as_one_key_value_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Nobody waits for a run the schedule started: its failure is the log's to tell.
    layout = LakeLayout(tmp_path / "lake")
    with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
        profile = replace(load_profile("test"), schedule={})
        context = JobContext(layout, state, profile, Settings.from_env({}, lake=layout.root))
        scheduler = Scheduler(context, jobs={"refusing": RefusingJob()})
        with caplog.at_level(logging.WARNING, logger="rastup_data.scheduler.runner"):
            outcome = scheduler.run_job(RefusingJob(), datetime.now(UTC))
            quiet = scheduler.run_job(RefusingJob(), datetime.now(UTC), log_failure=False)
    assert outcome.status == quiet.status == "failed"
    assert set(outcome.detail) == {"code", "message", "seconds"}
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith(
        'scheduled job refusing failed: code=EXPERIMENT_INVALID message="no such folder" seconds='
    )


@dataclass(frozen=True)
class RefusingJob:
    """A light job that refuses with a code (a unit-test stand-in for a failing job)."""

    name: str = "refusing"
    heavy: bool = False

    def run(self, context: JobContext, control: RunControl) -> JobOutcome:
        raise RastupError(ErrorCode.EXPERIMENT_INVALID, "no such folder")


def test_scheduler_run_of_a_failing_job_prints_its_detail_once(tmp_path: Path) -> None:
    missing = tmp_path / "no-experiments"
    env = {**os.environ, "RASTUP_ENV": "test", "RASTUP_EXPERIMENTS_DIR": str(missing)}
    command = ("scheduler", "run", "guardrails", "--lake", str(tmp_path / "lake"))
    proc = subprocess.run(
        [sys.executable, "-m", "rastup_data.cli", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    # The outcome, detail and all, is the JSON on stdout...
    run = orjson.loads(proc.stdout)
    assert (run["job"], run["status"], run["code"]) == (
        "guardrails",
        "failed",
        "EXPERIMENT_INVALID",
    )
    assert run["message"].startswith(f"{missing}: ")
    assert run["seconds"] >= 0
    # ... and stderr says it failed in one line, without repeating the detail.
    assert proc.stderr.splitlines() == [
        "error: job guardrails failed (EXPERIMENT_INVALID); its detail is the JSON on stdout."
    ]
