"""Every command that reads a lake refuses a missing one at once, names it, creates nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rastup_data.cli import cli

COMMANDS = [
    ["build"],
    ["lake", "stats"],
    ["lake", "compact"],
    ["replay"],
    ["replay", "--dry-run"],
    ["query", "SELECT 1"],
    ["experiments", "analyze", "checkout_copy"],
    ["quality", "check"],
    ["quality", "compare", "--golden", "{golden}"],
    ["cost", "report"],
    ["audit", "verify"],
    ["catalog", "export-gold"],
    ["catalog", "ddl", "--engine", "athena"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_missing_lake_is_an_error_with_its_path(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "misspelled-lake"
    golden = tmp_path / "golden.json"
    golden.write_text('{"kpi_marketplace_daily": []}')
    args = [a.replace("{golden}", str(golden)) for a in command]
    result = CliRunner().invoke(cli, [*args, "--lake", str(missing)])
    assert result.exit_code == 2, result.output
    assert "LAKE_NOT_FOUND" in result.stderr
    assert f"no lake at {missing}: the path does not exist" in result.stderr
    assert "--lake" in result.stderr
    assert not missing.exists(), "the command created the lake it was told to read"


def test_build_of_an_empty_lake_says_bronze_is_empty_and_writes_nothing(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    result = CliRunner().invoke(cli, ["build", "--lake", str(lake)])
    assert result.exit_code == 2
    assert f"Bronze at {lake / 'bronze' / 'events'} is missing" in result.stderr
    assert "lake load FILE" in result.stderr
    assert list(lake.iterdir()) == [], "a refused build left files behind"
    (lake / "bronze" / "events").mkdir(parents=True)
    result = CliRunner().invoke(cli, ["build", "--lake", str(lake)])
    assert f"Bronze at {lake / 'bronze' / 'events'} is empty" in result.stderr
    assert [p.name for p in lake.iterdir()] == ["bronze"]


def test_lake_stats_of_an_existing_lake_still_works(tmp_path: Path) -> None:
    (tmp_path / "lake").mkdir()
    result = CliRunner().invoke(cli, ["lake", "stats", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("lake", "endpoint", "says"),
    [
        ("s3://", None, "not an S3 lake URL: 's3://'"),
        ("s3://audit-bucket/lake?versioned=1", None, "not an S3 lake URL"),
        ("s3://audit-bucket/endpoint-a", "minio:9000", "RASTUP_S3_ENDPOINT 'minio:9000' is not"),
        ("s3://audit-bucket/endpoint-b", "not a url", "RASTUP_S3_ENDPOINT 'not a url' is not"),
    ],
)
@pytest.mark.parametrize("command", [["lake", "stats"], ["build"], ["serve", "--port", "0"]])
def test_a_malformed_s3_lake_or_endpoint_is_a_coded_error(
    tmp_path: Path, command: list[str], lake: str, endpoint: str | None, says: str
) -> None:
    env = {"RASTUP_S3_ENDPOINT": endpoint, "RASTUP_WORK_DIR": str(tmp_path / "work")}
    result = CliRunner().invoke(cli, [*command, "--lake", lake], env=env)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert f"CONFIG_INVALID: {says}" in result.stderr
    assert "Traceback" not in result.output
