"""Refreshing extracts from the published build: snapshots switch atomically, the gate reads
them, failures keep the previous snapshot and raise BI_REFRESH_FAILED on the second in a row."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow.parquet as pq
import pytest

from rastup_data.bi import (
    RefreshLimits,
    RefreshRequest,
    RunLog,
    bi_status,
    current_snapshot,
    extract_datasets,
    load_schedule,
    refresh_datasets,
)
from rastup_data.bi.home import dashboards_dir
from rastup_data.bi.scheduler import BiScheduler
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, Principal, QueryPath
from rastup_data.lake.layout import LakeLayout
from rastup_data.ops.metrics import PlatformMetrics
from rastup_data.state import open_state
from rastup_data.transform import open_published
from rastup_data.transform.warehouse import warehouse_dirs

SCHEDULE = load_schedule(dashboards_dir())
ROOMY = RefreshLimits(capacity_bytes=10**9, alert_after_failures=2)


def _refresh(layout: LakeLayout, *names: str, **kw: Any) -> list[Any]:
    metrics = kw.pop("metrics", None)
    with open_state(lake=layout.root) as state:
        request = RefreshRequest(datasets=names, limits=kw.pop("limits", ROOMY), **kw)
        return refresh_datasets(layout, SCHEDULE, state, request, metrics)


def _errors(metrics: PlatformMetrics, code: ErrorCode) -> float:
    for line in metrics.exposition().decode().splitlines():
        if line.startswith("rastup_errors_total{") and f'code="{code.value}"' in line:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(code)


def test_every_dataset_refreshes_into_a_snapshot_equal_to_the_published_table(
    bi_lake: LakeLayout,
) -> None:
    assert set(extract_datasets(bi_lake)) == set(SCHEDULE.names)
    runs = _refresh(bi_lake)
    assert [r.status for r in runs] == ["ok"] * 6
    with open_published(bi_lake) as conn:
        for run in runs:
            snapshot = current_snapshot(bi_lake.lake, run.dataset)
            assert snapshot is not None
            assert snapshot.snapshot_id == run.snapshot
            table = pq.read_table(bi_lake.root / snapshot.folder / "part-00000.parquet")
            expected = conn.execute(f"SELECT count(*) FROM datasets.{run.dataset}").fetchone()
            assert expected is not None
            assert table.num_rows == run.rows == expected[0] > 0
            assert snapshot.bytes == run.bytes > 0
            assert snapshot.as_of is not None


def test_the_gate_reads_the_current_snapshot_and_switches_with_the_pointer(
    bi_lake: LakeLayout, built_lake: Any
) -> None:
    (first,) = _refresh(bi_lake, "ds_kpi_marketplace")
    golden = json.loads(built_lake.golden.read_text())["marts"]["gold.kpi_marketplace_daily"]
    sql = "SELECT sum(gmv_cents), sum(bookings) FROM datasets.ds_kpi_marketplace"
    with Gate.open(bi_lake.root) as gate:
        viewer = Principal("viewer-1", "viewer")
        rows = gate.run(viewer, sql, path=QueryPath.DASHBOARD).rows
        assert rows == ((sum(r["gmv_cents"] for r in golden), sum(r["bookings"] for r in golden)),)
        # A new snapshot with other content: the next query reads it, no restart.
        folder = bi_lake.root / "extracts" / "ds_kpi_marketplace"
        (second,) = _refresh(bi_lake, "ds_kpi_marketplace", now=datetime.now(UTC) + timedelta(1))
        assert second.snapshot != first.snapshot
        part = folder / str(second.snapshot) / "part-00000.parquet"
        table = pq.read_table(part)
        pq.write_table(table.slice(0, 1), part)
        assert gate.run(viewer, sql, path=QueryPath.DASHBOARD).rows != rows
        (folder / "CURRENT").write_text(str(first.snapshot))
        assert gate.run(viewer, sql, path=QueryPath.DASHBOARD).rows == rows


def test_a_city_scoped_analyst_reads_only_their_city_of_an_extract(bi_lake: LakeLayout) -> None:
    _refresh(bi_lake, "ds_comms")
    with Gate.open(bi_lake.root) as gate:
        nyc = Principal("ana-nyc", "analyst", frozenset({"nyc"}))
        rows = gate.run(
            nyc, "SELECT DISTINCT city FROM datasets.ds_comms", path=QueryPath.DASHBOARD
        )
        everyone = gate.run(
            Principal("v", "viewer"), "SELECT DISTINCT city FROM datasets.ds_comms",
            path=QueryPath.DASHBOARD,
        )  # fmt: skip
    assert rows.rows == (("nyc",),)
    assert len(everyone.rows) > 1


def test_a_failure_keeps_the_previous_snapshot_and_the_second_in_a_row_alerts(
    bi_lake: LakeLayout,
) -> None:
    (ok,) = _refresh(bi_lake, "ds_trust")
    metrics = PlatformMetrics()
    pointer = warehouse_dirs(bi_lake).builds.pointer
    published = bi_lake.lake.read_pointer(pointer)
    bi_lake.lake.write_pointer(pointer, "gone.duckdb")  # nothing published any more
    (failed,) = _refresh(bi_lake, "ds_trust", metrics=metrics)
    assert failed.status == "failed"
    assert "published" in str(failed.error)
    assert _errors(metrics, ErrorCode.BI_REFRESH_FAILED) == 0
    (again,) = _refresh(bi_lake, "ds_trust", metrics=metrics)
    assert again.status == "failed"
    assert _errors(metrics, ErrorCode.BI_REFRESH_FAILED) == 1
    snapshot = current_snapshot(bi_lake.lake, "ds_trust")
    assert snapshot is not None
    assert snapshot.snapshot_id == ok.snapshot
    exposition = metrics.exposition().decode()
    assert 'rastup_bi_refreshes_total{dataset="ds_trust",outcome="failed"} 2.0' in exposition
    bi_lake.lake.write_pointer(pointer, str(published))
    with open_state(lake=bi_lake.root) as state:
        status = bi_status(bi_lake, SCHEDULE, state, ROOMY, datetime.now(UTC))
        assert status.alerting() == ("ds_trust",)
        trust = next(s for s in status.datasets if s.dataset == "ds_trust")
        assert (trust.runs_30d, trust.successes_30d, trust.consecutive_failures) == (3, 1, 2)
    _refresh(bi_lake, "ds_trust")
    with open_state(lake=bi_lake.root) as state:
        status = bi_status(bi_lake, SCHEDULE, state, ROOMY, datetime.now(UTC))
    assert status.alerting() == ()
    document = status.to_json()
    row = next(r for r in document["datasets"] if r["dataset"] == "ds_trust")
    assert row["success_ratio_30d"] == pytest.approx(2 / 4)
    assert row["rows"] > 0
    assert document["capacity"]["used_bytes"] > 0


def test_a_refresh_over_the_capacity_fails_and_keeps_the_previous_snapshot(
    bi_lake: LakeLayout,
) -> None:
    (ok,) = _refresh(bi_lake, "ds_studios")
    tight = RefreshLimits(capacity_bytes=ok.bytes + 100, alert_after_failures=2)
    (over,) = _refresh(bi_lake, "ds_studios", limits=tight, now=datetime.now(UTC) + timedelta(1))
    assert over.status == "failed"
    assert "capacity" in str(over.error)
    snapshot = current_snapshot(bi_lake.lake, "ds_studios")
    assert snapshot is not None
    assert snapshot.snapshot_id == ok.snapshot
    folders = [p.name for p in (bi_lake.root / "extracts" / "ds_studios").iterdir() if p.is_dir()]
    assert folders == [ok.snapshot]


def test_old_snapshots_are_collected_keeping_the_newest(bi_lake: LakeLayout) -> None:
    start = datetime.now(UTC)
    ids = [
        _refresh(bi_lake, "ds_comms", now=start + timedelta(minutes=i))[0].snapshot
        for i in range(5)
    ]
    kept = sorted(p.name for p in (bi_lake.root / "extracts" / "ds_comms").iterdir() if p.is_dir())
    assert kept == sorted(ids[-3:])


def test_an_unknown_dataset_is_refused_with_a_code(bi_lake: LakeLayout) -> None:
    with pytest.raises(RastupError) as caught:
        _refresh(bi_lake, "ds_nothing")
    assert caught.value.code is ErrorCode.CONFIG_INVALID


def test_the_scheduler_refreshes_what_is_due_once_a_time(bi_lake: LakeLayout) -> None:
    with open_state(lake=bi_lake.root) as state:
        scheduler = BiScheduler(bi_lake, SCHEDULE, state, ROOMY)
        morning = datetime(2030, 1, 1, 6, 20, tzinfo=UTC)
        due = set(scheduler.due(morning))
        assert due == {"ds_kpi_marketplace", "ds_ops_health", "ds_trust", "ds_promotions",
                       "ds_comms", "ds_studios"}  # fmt: skip
        assert scheduler.run_once(morning) == 6
        assert scheduler.due(morning) == ()
        assert scheduler.run_once(morning) == 0
        assert set(scheduler.due(datetime(2030, 1, 1, 10, 20, tzinfo=UTC))) == {
            "ds_kpi_marketplace", "ds_ops_health",
        }  # fmt: skip
        runs = RunLog(state).runs("ds_studios")
    assert [r.trigger for r in runs] == ["schedule"]


def test_the_operator_controls_pause_and_degrade_the_refresh_job(bi_lake: LakeLayout) -> None:
    from rastup_data.bi.scheduler import DAILY_ONLY_CONTROL, PAUSED_CONTROL
    from rastup_data.state.controls import OpsControls

    with open_state(lake=bi_lake.root) as state:
        scheduler = BiScheduler(bi_lake, SCHEDULE, state, ROOMY)
        controls = OpsControls(state)
        morning = datetime(2030, 1, 1, 6, 20, tzinfo=UTC)
        controls.set(PAUSED_CONTROL, "1", by="test", reason="pipeline lag")
        assert scheduler.due(morning) == ()
        controls.clear(PAUSED_CONTROL)
        assert scheduler.run_once(morning) == 6
        evening = datetime(2030, 1, 1, 18, 20, tzinfo=UTC)
        assert len(scheduler.due(evening)) == 5  # all but ds_studios (06:15 only)
        controls.set(DAILY_ONLY_CONTROL, "1", by="test", reason="pipeline lag")
        assert scheduler.due(evening) == ()
        assert len(scheduler.due(datetime(2030, 1, 2, 6, 20, tzinfo=UTC))) == 6


def test_nothing_published_yet_is_a_skipped_refresh_not_a_failure(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from rastup_data.alerts.probes.base import ProbeContext
    from rastup_data.alerts.probes.bi import BiRefreshProbe
    from rastup_data.environments import load_profile

    empty = LakeLayout(tmp_path / "lake")
    (empty.root / "bronze").mkdir(parents=True)
    metrics = PlatformMetrics()
    with open_state(lake=empty.root) as state:
        scheduler = BiScheduler(empty, SCHEDULE, state, ROOMY, metrics)
        # serve's start-up catch-up, then the next time of the day: twice in a row.
        with caplog.at_level("INFO", logger="rastup_data.bi.refresh"):
            assert scheduler.run_once(datetime(2030, 1, 1, 6, 20, tzinfo=UTC)) == 6
            assert scheduler.run_once(datetime(2030, 1, 1, 10, 20, tzinfo=UTC)) == 2
        skips = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
        assert len(skips) == 2
        assert "nothing is published yet" in skips[0]
        assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
        trust = RunLog(state).runs("ds_kpi_marketplace")
        assert [r.status for r in trust] == ["skipped", "skipped"]
        assert "nothing is published yet" in str(trust[0].error)
        status = bi_status(empty, SCHEDULE, state, ROOMY, datetime(2030, 1, 1, 11, tzinfo=UTC))
        assert status.alerting() == ()
        kpi = next(s for s in status.datasets if s.dataset == "ds_kpi_marketplace")
        assert (kpi.runs_30d, kpi.consecutive_failures, kpi.success_ratio) == (0, 0, None)
        probe = BiRefreshProbe().samples(
            ProbeContext(empty, state, load_profile("test"), datetime(2030, 1, 1, 11, tzinfo=UTC))
        )
        assert {s.value for s in probe} == {0.0}
        assert len(probe) == 6
    assert _errors(metrics, ErrorCode.BI_REFRESH_FAILED) == 0
    exposition = metrics.exposition().decode()
    assert 'rastup_bi_refreshes_total{dataset="ds_kpi_marketplace",outcome="skipped"} 2.0' in (
        exposition
    )
    failed = re.findall(
        r'rastup_bi_refreshes_total\{dataset="[a-z_]+",outcome="failed"\} (\S+)', exposition
    )
    assert len(failed) == 6  # every dataset's series exists from the start ...
    assert set(failed) == {"0.0"}  # ... and no refresh failed
