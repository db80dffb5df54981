"""The runner: due slots run once and are recorded, a missed slot is caught up after a
restart, one runner per lake, pause and daily-only controls, a paused child really stops."""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.collector.conftest import descendants, process_state
from tests.waiting import PATIENCE_S, wait_until

from rastup_data.config import Settings
from rastup_data.environments import ScheduleEntry, load_profile
from rastup_data.errors import RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.scheduler.jobs import ChildCommandJob, JobContext, JobOutcome, RunControl
from rastup_data.scheduler.runner import (
    Scheduler,
    check_schedule,
    daily_only_control,
    paused_control,
)
from rastup_data.state import OpsControls, StateDB, open_state

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@dataclass
class CountingJob:
    """A light job that counts its runs (a unit-test stand-in for real work)."""

    name: str
    heavy: bool = False
    runs: list[datetime] = field(default_factory=list)

    def run(self, context: JobContext, control: RunControl) -> JobOutcome:
        self.runs.append(datetime.now(UTC))
        return JobOutcome("succeeded", {"n": len(self.runs)})


def _context(tmp_path: Path, state: StateDB, schedule: dict[str, ScheduleEntry]) -> JobContext:
    profile = replace(load_profile("test"), schedule=schedule)
    layout = LakeLayout(tmp_path / "lake")
    return JobContext(layout, state, profile, Settings.from_env({}, lake=layout.root))


@pytest.fixture
def state(tmp_path: Path) -> StateDB:
    db = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    yield db  # type: ignore[misc]
    db.close()


def _wait(scheduler: Scheduler) -> None:
    for lane in scheduler._lanes.values():
        if lane is not None:
            lane.join(PATIENCE_S)


def test_a_missed_daily_slot_runs_once_after_a_restart(tmp_path: Path, state: StateDB) -> None:
    daily = CountingJob("daily_build", heavy=True)
    schedule = {
        "daily_build": ScheduleEntry("daily_build", at=(datetime.min.time().replace(hour=5),))
    }
    OpsControls(state).set("scheduler.since", (NOON - timedelta(days=3)).isoformat(), by="test")
    scheduler = Scheduler(_context(tmp_path, state, schedule), jobs={"daily_build": daily})
    scheduler.prepare()
    assert scheduler.poll(NOON) == ["daily_build"]  # today's 05:00 was missed: caught up
    _wait(scheduler)
    assert scheduler.poll(NOON + timedelta(minutes=1)) == []  # done for that slot
    (run,) = scheduler.runs.recent("daily_build")
    assert (run.status, run.due_at) == ("succeeded", NOON.replace(hour=5))
    assert scheduler.poll(NOON + timedelta(days=1)) == ["daily_build"]  # the next day's slot
    _wait(scheduler)
    assert len(daily.runs) == 2


def test_slots_before_the_first_start_are_not_due(tmp_path: Path, state: StateDB) -> None:
    daily = CountingJob("daily_build", heavy=True)
    schedule = {
        "daily_build": ScheduleEntry("daily_build", at=(datetime.min.time().replace(hour=5),))
    }
    scheduler = Scheduler(_context(tmp_path, state, schedule), jobs={"daily_build": daily})
    scheduler.prepare()  # first start is now: today's 05:00 (if passed) predates it
    assert scheduler.poll(datetime.now(UTC)) == []


def test_pause_and_daily_only_controls(tmp_path: Path, state: StateDB) -> None:
    refresh = CountingJob("refresh")
    build = CountingJob("build", heavy=True)
    six_am = datetime.min.time().replace(hour=6)
    schedule = {
        "refresh": ScheduleEntry("refresh", at=(six_am, six_am.replace(hour=11))),
        "build": ScheduleEntry("build", at=(six_am,)),
    }
    controls = OpsControls(state)
    controls.set("scheduler.since", (NOON - timedelta(days=1)).isoformat(), by="test")
    scheduler = Scheduler(
        _context(tmp_path, state, schedule), jobs={"refresh": refresh, "build": build}
    )
    scheduler.prepare()
    controls.set(paused_control("heavy"), "1", by="test")
    controls.set(daily_only_control("refresh"), "1", by="test")
    started = scheduler.poll(NOON)
    _wait(scheduler)
    assert started == ["refresh"]  # the build is paused with every heavy job
    assert [r.due_at.hour for r in scheduler.runs.recent("refresh")] == [6]  # not 11: daily only
    controls.clear(paused_control("heavy"))
    controls.clear(daily_only_control("refresh"))
    assert sorted(scheduler.poll(NOON + timedelta(seconds=1))) == ["build", "refresh"]
    _wait(scheduler)
    assert sorted(r.due_at.hour for r in scheduler.runs.recent("refresh")) == [6, 11]


def test_one_runner_per_lake_and_takeover(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    alerts = CountingJob("alerts")
    schedule = {"alerts": ScheduleEntry("alerts", every_s=1.0)}
    with open_state(url) as one, open_state(url) as two:
        first = Scheduler(_context(tmp_path, one, schedule), jobs={"alerts": alerts})
        second = Scheduler(_context(tmp_path, two, schedule), jobs={"alerts": alerts})
        first.start()
        wait_until(lambda: first.holding, "the first runner holding the lake's lock")
        second.start()
        time.sleep(1.5)
        assert first.holding
        assert not second.holding  # on standby while the first holds the lake's lock
        first.stop()
        wait_until(lambda: second.holding, "the standby runner taking over")
        second.stop()
    assert len(alerts.runs) >= 1


class _TickingJob(ChildCommandJob):
    """A child that appends a line every 0.1 s (stands in for a build)."""

    def command(self, context: JobContext) -> list[str]:
        script = (
            "import sys, time\n"
            "with open(sys.argv[1], 'a') as f:\n"
            "    for i in range(60):\n"
            "        f.write('t\\n'); f.flush(); time.sleep(0.1)\n"
        )
        return [sys.executable, "-c", script, str(context.layout.root / "ticks")]


def _ticks(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _state_of_child_writing(path: Path) -> str | None:
    """The /proc state letter (T: stopped) of this process's child writing ``path``."""
    for pid in descendants(os.getpid()):
        try:
            if str(path).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                return process_state(pid)
        except OSError:
            continue
    return None


def test_pausing_a_heavy_job_stops_its_child_until_resumed(tmp_path: Path, state: StateDB) -> None:
    context = _context(tmp_path, state, {})
    context.layout.root.mkdir(parents=True)
    paused = threading.Event()
    job = _TickingJob("daily_build", ())
    control = RunControl(paused=paused.is_set)
    runner = threading.Thread(target=lambda: results.append(job.run(context, control)))
    results: list[JobOutcome] = []
    runner.start()
    ticks = context.layout.root / "ticks"
    wait_until(lambda: _ticks(ticks) >= 5, "five ticks of the child")
    paused.set()
    wait_until(lambda: _state_of_child_writing(ticks) == "T", "the child stopped (SIGSTOP)")
    seen_stopped = time.monotonic()
    stopped_at = _ticks(ticks)
    time.sleep(1.0)  # ten ticks' time
    assert _ticks(ticks) == stopped_at, "the paused child kept running"
    paused.clear()
    resumed = time.monotonic()
    runner.join(PATIENCE_S)
    (outcome,) = results
    assert outcome.status == "succeeded"
    assert _ticks(ticks) == 60
    # It was stopped at least from when it was seen stopped until it was resumed (the
    # detail is rounded to 0.1 s).
    assert outcome.detail["paused_s"] >= resumed - seen_stopped - 0.05


def test_a_schedule_with_an_unknown_job_or_too_many_refreshes_is_refused() -> None:
    with pytest.raises(RastupError, match="'backup', which is not a job"):
        check_schedule(
            {"backup": ScheduleEntry("backup", every_s=60)}, {"alerts": CountingJob("alerts")}
        )
    seven = tuple(datetime.min.time().replace(hour=h) for h in range(6, 13))
    refresh = {"extract_refresh": ScheduleEntry("extract_refresh", at=seven)}
    with pytest.raises(RastupError, match="runs 7 times a day; at most 6"):
        check_schedule(refresh, {"extract_refresh": CountingJob("extract_refresh")})
