"""Each probe against a lake and state database put in a known state."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from bronze_fixture import envelope, write_bronze

from rastup_data.alerts.probes import ProbeContext
from rastup_data.alerts.probes.builds import BuildsProbe
from rastup_data.alerts.probes.queries import QueriesProbe
from rastup_data.alerts.probes.scheduler import SchedulerProbe
from rastup_data.alerts.probes.spool import SpoolProbe
from rastup_data.alerts.probes.volume import VolumeProbe
from rastup_data.alerts.samples import Sample
from rastup_data.environments import load_profile
from rastup_data.governance import AuditLog, AuditRecord
from rastup_data.lake.layout import LakeLayout
from rastup_data.spool.segments import segment_name
from rastup_data.state import SCHEDULER_SINCE, OpsControls, StateDB, open_state
from rastup_data.transform.runs import BuildRun, append_build_run

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def lake(tmp_path: Path) -> LakeLayout:
    return LakeLayout(tmp_path / "lake")


@pytest.fixture
def state(lake: LakeLayout) -> StateDB:
    db = open_state(lake=lake.root)
    yield db  # type: ignore[misc]
    db.close()


def _context(lake: LakeLayout, state: StateDB, now: datetime, env: str = "test") -> ProbeContext:
    profile = replace(load_profile(env), time_zone=NEW_YORK)
    return ProbeContext(lake, state, profile, now)


def _values(samples: list[Sample], name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {s.labels: s.value for s in samples if s.name == name}


def _run(lake: LakeLayout, finished: datetime, status: str = "published", **extra: object) -> None:
    at = finished.astimezone(UTC).isoformat()
    append_build_run(lake, BuildRun("build", at, at, 12.0, status, **extra))  # type: ignore[arg-type]


def test_marts_are_late_after_the_local_deadline_until_a_build_publishes(
    lake: LakeLayout, state: StateDB
) -> None:
    morning = datetime(2026, 3, 10, 5, 30, tzinfo=NEW_YORK)
    probe = BuildsProbe()
    # An empty lake has nothing to build: never late.
    late = _values(
        probe.samples(_context(lake, state, morning + timedelta(hours=2))),
        "rastup_marts_late_seconds",
    )
    assert late == {(): 0.0}
    write_bronze(lake, [envelope("search.click", "2026-03-09 12:00")], name="b")
    _run(lake, morning - timedelta(days=1), alerts=("recon_variance_exceeds_money_in_flight",))
    before = probe.samples(_context(lake, state, morning))
    assert _values(before, "rastup_marts_late_seconds") == {(): 0.0}  # 05:30, deadline 06:00
    at_0730 = probe.samples(_context(lake, state, morning + timedelta(hours=2)))
    assert _values(at_0730, "rastup_marts_late_seconds") == {(): 5400.0}
    assert _values(at_0730, "rastup_quality_alert_raised") == {
        (("alert", "recon_variance_exceeds_money_in_flight"),): 1.0
    }
    _run(lake, morning + timedelta(hours=2, minutes=5))  # the build publishes at 07:35
    after = probe.samples(_context(lake, state, morning + timedelta(hours=2, minutes=10)))
    assert _values(after, "rastup_marts_late_seconds") == {(): 0.0}
    assert _values(after, "rastup_quality_alert_raised") == {
        (("alert", "recon_variance_exceeds_money_in_flight"),): 0.0
    }


def test_marts_are_owed_only_for_a_day_with_earlier_events_the_scheduler_made_due(
    lake: LakeLayout, state: StateDB
) -> None:
    probe = BuildsProbe()
    nine = datetime(2026, 3, 10, 9, 0, tzinfo=NEW_YORK)  # deadline 06:00, day start 04:00 UTC

    def late() -> float:
        return _values(probe.samples(_context(lake, state, nine)), "rastup_marts_late_seconds")[()]

    # A brand-new lake: its first events arrived this morning (in the UTC day's partition
    # that began the evening before), nothing has ever been built.
    write_bronze(lake, [envelope("search.click", nine - timedelta(minutes=30))], name="a")
    OpsControls(state).set(SCHEDULER_SINCE, (nine - timedelta(minutes=45)).isoformat(), by="t")
    assert late() == 0.0
    # Without a scheduler on the lake, only the events count: still nothing owed today.
    OpsControls(state).clear(SCHEDULER_SINCE)
    assert late() == 0.0
    # An event received at 22:00 yesterday (local), in the same UTC partition: owed.
    write_bronze(lake, [envelope("search.click", nine - timedelta(hours=11))], name="b")
    assert late() == 3 * 3600.0
    # The scheduler first started after today's 05:00 slot: it never made today's build due.
    OpsControls(state).set(SCHEDULER_SINCE, (nine - timedelta(hours=1)).isoformat(), by="t")
    assert late() == 0.0
    # It ran since yesterday: today's build was due at 05:00 and nothing published.
    OpsControls(state).set(SCHEDULER_SINCE, (nine - timedelta(days=1)).isoformat(), by="t")
    assert late() == 3 * 3600.0
    _run(lake, nine - timedelta(minutes=1))
    assert late() == 0.0


def test_a_failed_last_build_is_failing_until_one_publishes(
    lake: LakeLayout, state: StateDB
) -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    _run(lake, now - timedelta(hours=3))
    _run(lake, now - timedelta(hours=2), "failed", code="CTAS_FAILURE")
    failing = _values(BuildsProbe().samples(_context(lake, state, now)), "rastup_build_failing")
    assert failing == {(("code", "CTAS_FAILURE"),): 1.0, (("code", "QUALITY_CHECK_FAILED"),): 0.0}
    _run(lake, now - timedelta(hours=1))
    failing = _values(BuildsProbe().samples(_context(lake, state, now)), "rastup_build_failing")
    assert set(failing.values()) == {0.0}


def test_volumes_compare_the_last_hour_with_the_same_hour_of_earlier_days(
    lake: LakeLayout, state: StateDB
) -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    events = []
    for day, clicks in ((1, 100), (2, 300), (0, 20)):  # 100 and 300 before: baseline 200
        at = now - timedelta(days=day, minutes=30)
        events += [envelope("search.click", at, received_at=at) for _ in range(clicks)]
    at = now - timedelta(minutes=90)  # outside the last hour: not counted
    events += [envelope("search.click", at, received_at=at) for _ in range(50)]
    write_bronze(lake, events, name="v")
    bad = lake.root / "bronze" / "_bad" / f"dt={now.date()}"
    bad.mkdir(parents=True)
    with duckdb.connect() as conn:
        conn.execute(
            "COPY (SELECT ?::TIMESTAMPTZ AS received_at, 'EVENT_SCHEMA_INVALID' AS code, 'm' AS "
            "message, 'e' || i AS event_id, CASE WHEN i < 60 THEN 'checkout.start' ELSE "
            "'DROP TABLE x; --' END AS event, '{}' AS raw FROM range(70) t(i)) "
            f"TO '{bad / 'q.parquet'}' (FORMAT parquet)",
            [now - timedelta(minutes=10)],
        )
    samples = VolumeProbe().samples(_context(lake, state, now))
    key = (("event", "search.click"),)
    assert _values(samples, "rastup_ingest_hour_events")[key] == 20
    assert _values(samples, "rastup_ingest_hour_baseline_events")[key] == 200
    quarantined = _values(samples, "rastup_quarantine_hour_events")
    assert quarantined == {(("event", "(invalid)"),): 10, (("event", "checkout.start"),): 60}
    assert set(_values(samples, "rastup_quarantine_hour_baseline_events").values()) == {0.0}


def test_the_oldest_waiting_segment_of_every_worker_spool(lake: LakeLayout, state: StateDB) -> None:
    now = datetime.now(UTC)
    assert _values(
        SpoolProbe().samples(_context(lake, state, now)), "rastup_lander_oldest_segment_age_seconds"
    ) == {(): 0.0}
    worker = lake.spool / "w1"
    worker.mkdir(parents=True)
    segment = worker / f"{segment_name('c0ffee00', 7)}.events.ndjson"
    segment.write_text("{}\n")
    os.utime(segment, (now.timestamp() - 250, now.timestamp() - 250))
    age = _values(
        SpoolProbe().samples(_context(lake, state, now)), "rastup_lander_oldest_segment_age_seconds"
    )
    assert age[()] == pytest.approx(250, abs=1)


def _audit(
    state: StateDB, at: datetime, scanned: int, status: str = "ok", code: str | None = None
) -> None:
    AuditLog(state).append(
        AuditRecord(
            query_id=f"q{at.timestamp()}{status}",
            at=at.isoformat(),
            env="test",
            principal="p",
            role="admin",
            path="cli",
            sql="SELECT 1",
            relations=(),
            columns=(),
            rows=0,
            scanned_bytes=scanned,
            billed_bytes=scanned,
            duration_ms=1.0,
            status=status,
            code=code,
        )
    )


def test_query_refusals_and_scanned_bytes_from_the_audit_log(
    lake: LakeLayout, state: StateDB
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    _audit(state, now - timedelta(days=1, minutes=20), 1000)
    _audit(state, now - timedelta(days=3, minutes=20), 3000)
    _audit(state, now - timedelta(minutes=5), 9000)
    _audit(state, now - timedelta(minutes=4), 0, "refused", "ATHENA_SCANNED_BYTES_BREACH")
    samples = QueriesProbe().samples(_context(lake, state, now))
    refused = _values(samples, "rastup_query_refused_last_hour")
    assert refused[(("code", "ATHENA_SCANNED_BYTES_BREACH"),)] == 1
    assert refused[(("code", "PARTITION_FILTER_REQUIRED"),)] == 0
    assert _values(samples, "rastup_query_scanned_hour_bytes") == {(): 9000}
    assert _values(samples, "rastup_query_scanned_hour_baseline_bytes") == {(): 2000}


def test_failed_jobs_and_guardrail_findings_from_the_scheduler_runs(
    lake: LakeLayout, state: StateDB
) -> None:
    rows = [
        ("r1", "daily_build", "2026-03-10T05:00:00+00:00", "failed", "{}"),
        ("r2", "daily_build", "2026-03-11T05:00:00+00:00", "succeeded", "{}"),
        ("r3", "extract_refresh", "2026-03-11T06:00:00+00:00", "failed", "{}"),
        (
            "r4",
            "guardrails",
            "2026-03-11T07:00:00+00:00",
            "succeeded",
            '{"experiments": [{"key": "exp_a", "srm": true, "guardrails_failed": '
            '[{"variant": "treatment", "metric": "refund_rate"}]}]}',
        ),
    ]
    for run_id, job, at, status, detail in rows:
        state.execute(
            "INSERT INTO scheduler_runs (run_id, job, due_at, started_at, finished_at, status, "
            "detail, runner) VALUES (?, ?, ?, ?, ?, ?, ?, 'test')",
            (run_id, job, at, at, at, status, detail),
        )
    samples = SchedulerProbe().samples(_context(lake, state, datetime.now(UTC)))
    assert _values(samples, "rastup_scheduler_job_failing") == {
        (("job", "daily_build"),): 0.0,
        (("job", "extract_refresh"),): 1.0,
        (("job", "guardrails"),): 0.0,
    }
    assert _values(samples, "rastup_experiment_srm") == {(("experiment", "exp_a"),): 1.0}
    assert _values(samples, "rastup_experiment_guardrail_failed") == {
        (("experiment", "exp_a"), ("metric", "refund_rate"), ("variant", "treatment")): 1.0
    }


def test_bi_refresh_failures_in_a_row_count_since_the_last_success(
    lake: LakeLayout, state: StateDB
) -> None:
    from rastup_data.alerts.probes.bi import BiRefreshProbe

    rows = [
        ("r1", "ds_trust", "2026-03-10T06:15:00+00:00", "ok"),
        ("r2", "ds_trust", "2026-03-10T14:15:00+00:00", "failed"),
        ("r3", "ds_trust", "2026-03-11T06:15:00+00:00", "failed"),
        ("r4", "ds_comms", "2026-03-10T06:15:00+00:00", "failed"),
        ("r5", "ds_comms", "2026-03-11T06:15:00+00:00", "ok"),
    ]
    for run_id, dataset, at, status in rows:
        state.execute(
            "INSERT INTO bi_refresh_runs (run_id, dataset, trigger, started_at, finished_at, "
            "duration_ms, status, row_count, bytes) VALUES (?, ?, 'schedule', ?, ?, 1, ?, 0, 0)",
            (run_id, dataset, at, at, status),
        )
    samples = BiRefreshProbe().samples(_context(lake, state, datetime.now(UTC)))
    assert _values(samples, "rastup_bi_refresh_consecutive_failures") == {
        (("dataset", "ds_comms"),): 0.0,
        (("dataset", "ds_trust"),): 2.0,
    }
