"""`rastup-data quality check|compare --lake`: the gates and the drill on the published build."""

from __future__ import annotations

import importlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from bronze_fixture import envelope, write_bronze
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import GateOutcome
from rastup_data.transform.runs import build_runs
from rastup_data.transform.warehouse import warehouse_dirs


def _no_gates(
    conn: duckdb.DuckDBPyConnection,
    as_of: datetime | None = None,
    *,
    lake: str | None = None,
    ahead: object = None,
) -> GateOutcome:
    return GateOutcome.not_run("a one-event lake cannot meet the volume gates")


def _check(*args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(cli, ["quality", "check", "--format", "json", *args])
    report = orjson.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, report, result.stderr


def test_check_reads_the_published_build_of_the_lake(
    layout: LakeLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        importlib.import_module("rastup_data.transform.build"), "run_gates", _no_gates
    )
    view = envelope(
        "profile.viewed",
        "2026-01-05 10:00",
        {"listing_id": "l_1", "listing_type": "talent", "source": "search"},
    )
    write_bronze(layout, [view], name="one")
    built = CliRunner().invoke(cli, ["build", "--lake", str(layout.root)])
    assert built.exit_code == 0, built.output
    published = warehouse_dirs(layout).builds.current()
    assert published is not None

    as_of = ["--as-of", "2026-01-05T11:00:00+00:00"]
    code, from_lake, err = _check("--lake", str(layout.root), *as_of)
    assert code in (0, 2), err
    results = {r["name"]: r["status"] for r in from_lake["results"]}  # type: ignore[union-attr]
    assert any(name.startswith("silver.") for name in results), results
    assert any(name.startswith("bronze.") for name in results), results
    # …the checks of the published file itself, which --db reads without the lake's Bronze.
    _, from_file, _ = _check("--db", str(published), *as_of)
    on_file = {r["name"]: r["status"] for r in from_file["results"]}  # type: ignore[union-attr]
    assert on_file
    assert {name: results[name] for name in on_file} == on_file
    assert len(results) > len(on_file), "the lake's Bronze checks are missing"


def test_check_on_a_missing_lake_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-lake"
    code, _, err = _check("--lake", str(missing))
    assert code == 2
    assert "LAKE_NOT_FOUND" in err
    assert str(missing) in err
    assert not missing.exists()


def test_check_on_a_lake_with_nothing_published_says_build_first(tmp_path: Path) -> None:
    (tmp_path / "lake").mkdir()
    code, _, err = _check("--lake", str(tmp_path / "lake"))
    assert code == 2
    assert "nothing is published" in err


def test_check_judges_the_data_by_its_own_clock_as_the_build_did(built_lake: Any) -> None:
    """Without --as-of the verdict is the build's gate's on the same data (a lake of past
    simulated days, published); --as-of now measures the same build against the wall
    clock, and weeks-old data is stale."""
    lake = str(built_lake.root)
    code, report, err = _check("--lake", lake)
    assert code == 0, err
    results = report["results"]
    assert isinstance(results, list)
    warned = sorted(r["name"] for r in results if r["status"] == "failed")
    (run,) = [r for r in build_runs(built_lake.layout, date(2000, 1, 1)) if r.build_id]
    assert warned == sorted(run.warnings)
    freshness = [r for r in results if r["kind"] == "freshness"]
    assert freshness
    assert all(float(r["observed"]) < 36 for r in freshness if r["observed"] is not None)

    code, now, err = _check("--lake", lake, "--as-of", "now")
    assert code == 2
    assert "QUALITY_CHECK_FAILED" in err
    assert "unchanged (this command only reads it)" in err
    assert "Nothing was published" not in err
    stale = [r for r in now["results"] if r["kind"] == "freshness" and r["status"] == "failed"]
    assert stale
    assert any(r["severity"] == "error" for r in stale)


def test_check_refuses_an_as_of_it_cannot_read(built_lake: Any) -> None:
    code, _, err = _check("--lake", str(built_lake.root), "--as-of", "yesterday")
    assert code == 2
    assert "CONFIG_INVALID" in err
    assert "or now" in err
