"""`rastup-data build`: progress model by model, the published build, failing checks."""

from __future__ import annotations

import importlib
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from bronze_fixture import envelope, write_bronze
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import GateOutcome
from rastup_data.transform.warehouse import warehouse_dirs


def _view(listing_type: str) -> dict[str, object]:
    return envelope(
        "profile.viewed",
        "2026-01-05 10:00",
        {"listing_id": "l_1", "listing_type": listing_type, "source": "search"},
    )


def _no_gates(
    conn: duckdb.DuckDBPyConnection,
    manifest: Path,
    as_of: datetime | None = None,
    *,
    lake: str | None = None,
    ahead: object = None,
) -> GateOutcome:
    return GateOutcome.not_run("a one-event lake cannot meet the volume gates")


def test_build_command_reports_progress_and_failures(
    layout: LakeLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_module = importlib.import_module("rastup_data.transform.build")
    monkeypatch.setattr(build_module, "run_gates", _no_gates)
    runner = CliRunner()
    write_bronze(layout, [_view("talent")], name="ok")
    ok = runner.invoke(cli, ["build", "--lake", str(layout.root)])
    assert ok.exit_code == 0, ok.output
    assert "silver.fact_profile_views" in ok.stdout
    assert "gold.kpi_funnel_daily" in ok.stdout
    published = warehouse_dirs(layout).builds.current()
    assert published is not None
    assert f"published build {Path(published).stem}" in ok.stdout

    write_bronze(layout, [_view("robot")], name="bad")
    bad = runner.invoke(cli, ["build", "--lake", str(layout.root)])
    assert bad.exit_code == 2
    assert "FAILED dbt check accepted_values_map_fact_profile_views" in bad.stderr
    assert "'robot'" in bad.stderr
    assert "QUALITY_CHECK_FAILED" in bad.stderr
    assert warehouse_dirs(layout).builds.current() == published

    wrong = runner.invoke(
        cli, ["build", "--lake", str(layout.root), "--from", "2026-01-05", "--to", "2026-01-01"]
    )
    assert wrong.exit_code == 2
    assert "CONFIG_INVALID" in wrong.stderr
