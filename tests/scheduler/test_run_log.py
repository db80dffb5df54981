"""A failed run is logged as one ``key=value`` line, not a Python dict: the rule as a unit,
and the real `rastup-data scheduler run` of a job that fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from rastup_data.scheduler.records import detail_line


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


def test_scheduler_run_of_a_failing_job_logs_one_key_value_line(tmp_path: Path) -> None:
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
    assert orjson.loads(proc.stdout)["code"] == "EXPERIMENT_INVALID"
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("scheduled job guardrails")]
    assert line.startswith(
        f'scheduled job guardrails failed: code=EXPERIMENT_INVALID message="{missing}: '
    )
    assert " seconds=" in line
    assert "{'" not in proc.stderr
