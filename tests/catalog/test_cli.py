"""`rastup-data catalog`: output on stdout, clear one-line errors with codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlglot
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.transform.manifest import build_manifest_path


def test_ddl_defaults_to_the_local_lake_and_its_last_build(built_lake: Any) -> None:
    result = CliRunner().invoke(
        cli, ["catalog", "ddl", "--engine", "spark", "--lake", str(built_lake.root)]
    )
    assert result.exit_code == 0, result.output
    assert f"LOCATION '{built_lake.root.as_uri()}/bronze/events/'" in result.output
    assert len(sqlglot.parse(result.output, read="spark")) > 10


def test_projection_start_must_be_a_date_and_reaches_the_ddl(built_lake: Any) -> None:
    args = ["catalog", "ddl", "--engine", "athena", "--lake", str(built_lake.root)]
    result = CliRunner().invoke(cli, [*args, "--projection-start", "2026-01-05"])
    assert result.exit_code == 0, result.output
    assert "'projection.dt.range'='2026-01-05,NOW'" in result.output
    for bad in ("2026-13-01", "last year"):
        result = CliRunner().invoke(cli, [*args, "--projection-start", bad])
        assert result.exit_code == 2
        assert "projection.dt.range" not in result.output
        assert f"CONFIG_INVALID: Invalid value for '--projection-start': '{bad}'" in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--prefix", "Rastup Prod"], "--prefix 'Rastup Prod' is not a valid name"),
        (["--trino-catalog", "hive; x"], "--trino-catalog 'hive; x' is not a valid name"),
        (["--location", "s3://"], "--location 's3://' is not a URI of the lake root"),
        (["--location", "my-bucket/lake"], "--location 'my-bucket/lake' is not a URI"),
    ],
)
def test_names_and_locations_no_engine_takes_are_refused(
    built_lake: Any, args: list[str], says: str
) -> None:
    result = CliRunner().invoke(
        cli, ["catalog", "ddl", "--engine", "trino", "--lake", str(built_lake.root), *args]
    )
    assert result.exit_code == 2, result.output
    assert f"CONFIG_INVALID: {says}" in result.stderr
    assert "CREATE" not in result.output


def test_export_gold_writes_under_the_lake(built_lake: Any, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["catalog", "export-gold", "--lake", str(built_lake.root), "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "gold" / "kpi_marketplace_daily" / "part-00000.parquet").is_file()
    assert "exported 10 Gold marts" in result.output


def test_a_broken_dataset_list_is_one_line_with_a_code(built_lake: Any, tmp_path: Path) -> None:
    spec = tmp_path / "datasets.yaml"
    spec.write_text("datasets:\n  - layer: gold\n    name: x\n    path: p\n    columns: nope\n")
    result = CliRunner().invoke(
        cli,
        [
            "catalog",
            "ddl",
            "--engine",
            "athena",
            "--lake",
            str(built_lake.root),
            "--manifest",
            str(build_manifest_path(built_lake.layout)),
            "--datasets",
            str(spec),
        ],
    )
    assert result.exit_code == 2
    assert "CONFIG_INVALID: datasets.yaml: datasets[0].columns: unknown column set 'nope'" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_a_model_without_declared_types_is_named(built_lake: Any, tmp_path: Path) -> None:
    spec = tmp_path / "datasets.yaml"
    spec.write_text(
        "datasets:\n  - layer: silver\n    path: s/{name}\n    models: {schema: silver}\n"
    )
    result = CliRunner().invoke(
        cli,
        [
            "catalog",
            "ddl",
            "--engine",
            "trino",
            "--lake",
            str(built_lake.root),
            "--datasets",
            str(spec),
        ],
    )
    assert result.exit_code == 2
    assert "has no data_type for" in result.output
    assert "declare every column with its data_type" in result.output
