"""Each budget meter against an independent count of the same thing, and the 80 % alarm."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from rastup_data.budgets import measure_budgets
from rastup_data.cli import cli
from rastup_data.contracts import load_registry
from rastup_data.contracts.cli import example_lines
from rastup_data.environments import Resource, load_profile
from rastup_data.governance import AuditLog, AuditRecord
from rastup_data.lake.layout import LakeLayout
from rastup_data.lander.direct import land_ndjson
from rastup_data.state import open_state
from rastup_data.transform.runs import BuildRun, append_build_run

NOW = datetime.now(UTC)


@pytest.fixture
def lake(tmp_path: Path) -> LakeLayout:
    layout = LakeLayout(tmp_path / "lake")
    lines = [line.encode() for line in example_lines(load_registry(), NOW)]
    bad = [b'{"event": "search.click", "v": 1}', b"not json"]
    # Received at NOW, the day the meters are read for: a run that passes midnight between
    # this module's import and the test still lands in NOW's partition.
    land_ndjson(layout, [*lines, *bad], name="budget", received_at=NOW)
    extracts = layout.root / "extracts" / "ds_kpi_marketplace"
    extracts.mkdir(parents=True)
    (extracts / "part-0.parquet").write_bytes(b"x" * 12_345)
    for seconds, finished in ((40.0, NOW), (25.5, NOW), (999.0, NOW - timedelta(days=1))):
        append_build_run(
            layout,
            BuildRun("build", finished.isoformat(), finished.isoformat(), seconds, "published"),
        )
    return layout


def _lake_bytes(root: Path) -> int:
    total = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in {"_node", "_locks"}]
        total += sum(os.path.getsize(Path(folder) / f) for f in files if not f.startswith("."))
    return total


def test_each_meter_measures_its_resource(lake: LakeLayout) -> None:
    state = open_state(lake=lake.root)
    record = AuditRecord(
        query_id="q1",
        at=NOW.isoformat(),
        env="test",
        principal="p",
        role="admin",
        path="cli",
        sql="SELECT 1",
        relations=(),
        columns=(),
        rows=1,
        scanned_bytes=7_000_000,
        billed_bytes=10 * 2**20,
        duration_ms=1.0,
        status="ok",
        code=None,
    )
    AuditLog(state).append(record)
    AuditLog(state).append(replace(record, query_id="q2", env="prod"))  # another environment
    report = measure_budgets(lake, load_profile("test"), state, now=NOW)
    state.close()
    rows = sum(
        pq.ParquetFile(p).metadata.num_rows for p in lake.root.glob("bronze/*/dt=*/*.parquet")
    )
    assert rows == len(example_lines(load_registry(), NOW)) + 2
    assert report.usage(Resource.INGEST_EVENTS_PER_DAY).used == rows
    assert report.usage(Resource.EXTRACT_STORAGE).used == 12_345
    assert report.usage(Resource.BUILD_COMPUTE_PER_DAY).used == pytest.approx(65.5)
    assert report.usage(Resource.SCANNED_PER_DAY).used == 7_000_000
    assert report.usage(Resource.LAKE_STORAGE).used == _lake_bytes(lake.root)
    assert all(u.state == "ok" for u in report.usages)


def test_the_alarm_is_at_the_profiles_share_and_over_past_the_limit(lake: LakeLayout) -> None:
    shipped = load_profile("test")
    limits = {**shipped.budgets.limits, Resource.BUILD_COMPUTE_PER_DAY: 80.0}
    limits[Resource.EXTRACT_STORAGE] = 12_000
    profile = replace(shipped, budgets=replace(shipped.budgets, limits=limits))
    with open_state(lake=lake.root) as state:
        report = measure_budgets(lake, profile, state, now=NOW)
    compute = report.usage(Resource.BUILD_COMPUTE_PER_DAY)
    assert compute.ratio == pytest.approx(65.5 / 80)
    assert compute.state == "alarm"  # 82 % ≥ 80 %
    assert report.usage(Resource.EXTRACT_STORAGE).state == "over"
    assert {u.resource for u in report.alarms} == {
        Resource.BUILD_COMPUTE_PER_DAY,
        Resource.EXTRACT_STORAGE,
    }


def test_budget_status_prints_json_and_a_table(
    lake: LakeLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RASTUP_ENV", "test")
    runner = CliRunner()
    result = runner.invoke(cli, ["budget", "status", "--lake", str(lake.root), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.output)
    assert document["env"] == "test"
    assert [r["resource"] for r in document["resources"]] == [r.value for r in Resource]
    extract = document["resources"][3]
    assert extract["used"] == 12_345
    assert extract["seed"] == "QuickSight SPICE capacity"
    table = runner.invoke(cli, ["budget", "status", "--lake", str(lake.root)])
    assert table.exit_code == 0, table.output
    assert "scanned_per_day" in table.output
    assert "Glue DPU-hours" in table.output
