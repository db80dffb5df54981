"""`rastup-data scheduler`: a job run now is recorded (the daily build in a real child
process, its failure and the alerts it raises), status shows it, and pause, resume, degrade
and restore steer the schedule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import orjson
import pytest
from bronze_fixture import envelope, write_bronze
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform.runs import build_runs


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LakeLayout:
    monkeypatch.setenv("RASTUP_ENV", "test")
    layout = LakeLayout(tmp_path / "lake")
    click = {
        "search_id": "s_1",
        "listing_id": "l_1",
        "listing_type": "talent",
        "rank": 1,
        "is_promoted": False,
        "promotion_id": None,
    }
    write_bronze(
        layout, [envelope("search.click", "2026-03-09 12:00", click, user_id="u_1")], name="b"
    )
    return layout


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_run_status_pause_resume_degrade_restore(lake: LakeLayout) -> None:
    where = ("--lake", str(lake.root))
    # The daily build runs `rastup-data build` in a child process; one search click is too
    # little for the freshness gates, so it fails, and the run records why.
    failed = CliRunner().invoke(cli, ["scheduler", "run", "daily_build", *where])
    assert failed.exit_code == 1, failed.output
    run = orjson.loads(failed.stdout)  # the detail once, on stdout; one line on stderr
    assert failed.stderr == "error: job daily_build failed; its detail is the JSON on stdout.\n"
    assert (run["status"], run["exit"], run["command"]) == ("failed", 2, ["rastup-data", "build"])
    assert any("QUALITY_CHECK_FAILED" in line for line in run["tail"])
    assert [(r.status, r.code) for r in build_runs(lake, date(2000, 1, 1))] == [
        ("failed", "QUALITY_CHECK_FAILED")
    ]
    code, output = _invoke("scheduler", "run", "alerts", *where)
    assert code == 0, output
    # (marts_late fires too after 07:00 UTC: no build was published today.)
    assert {"quality_check_failed", "scheduled_job_failing"} <= set(orjson.loads(output)["firing"])

    assert _invoke("scheduler", "pause", "--heavy", "--reason", "lander behind", *where)[0] == 0
    assert _invoke("scheduler", "degrade", "lifecycle", *where)[0] == 0
    code, output = _invoke("scheduler", "status", *where, "--format", "json")
    assert code == 0, output
    jobs = {job["job"]: job for job in orjson.loads(output)["jobs"]}
    assert set(jobs) == {"daily_build", "lifecycle", "compaction", "alerts", "guardrails"}
    assert jobs["daily_build"]["last_run"]["status"] == "failed"
    assert jobs["daily_build"]["state"] == ["paused (heavy)"]
    assert jobs["compaction"]["state"] == ["paused (heavy)"]
    assert jobs["lifecycle"]["state"] == ["paused (heavy)", "daily only"]
    notified = jobs["alerts"]["last_run"]["detail"]["notified"]
    assert {"firing:quality_check_failed", "firing:scheduled_job_failing"} <= set(notified)
    assert jobs["alerts"]["state"] == []

    assert _invoke("scheduler", "resume", "--heavy", *where)[0] == 0
    assert _invoke("scheduler", "restore", "lifecycle", *where)[0] == 0
    code, output = _invoke("scheduler", "status", *where)
    assert code == 0, output
    assert "paused" not in output
    assert "daily_build" in output


def test_unknown_jobs_are_refused(lake: LakeLayout) -> None:
    code, output = _invoke("scheduler", "pause", "backups", "--lake", str(lake.root))
    assert code == 2
    assert "CONFIG_INVALID: no job named 'backups'" in output


def test_the_compaction_job_merges_the_landers_small_files(lake: LakeLayout) -> None:
    """The lander writes a file per spool segment; the hourly `compaction` job merges a
    partition's small files in a child process, every row kept."""
    view = {"listing_id": "l_1", "listing_type": "talent", "source": "search"}
    for n in range(5):
        event = envelope("profile.viewed", f"2026-03-09 12:0{n}", view, user_id=f"u_{n}")
        write_bronze(lake, [event], name=f"segment-{n}")
    partition = lake.root / "bronze" / "events" / "dt=2026-03-09"
    assert len(list(partition.glob("*.parquet"))) == 6
    code, output = _invoke("scheduler", "run", "compaction", "--lake", str(lake.root))
    assert code == 0, output
    run = orjson.loads(output)
    assert (run["status"], run["command"]) == ("succeeded", ["rastup-data", "lake", "compact"])
    (merged,) = partition.glob("*.parquet")
    assert merged.name.startswith("compacted-")
    rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{merged}')").fetchall()
    assert rows == [(6,)]
