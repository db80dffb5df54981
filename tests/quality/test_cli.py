"""`rastup-data quality` commands through click, on a real warehouse file and the real
dbt project's manifest."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import orjson
import pytest
from click.testing import CliRunner

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.transform.quality_cli import quality


@pytest.fixture
def db(warehouse):
    warehouse.conn.close()
    return warehouse.path


@pytest.fixture
def manifest(manifest_path):
    return ["--manifest", str(manifest_path)]


def _as_of(facts) -> str:
    return (facts.latest_event + timedelta(hours=1)).isoformat()


def test_check_passes_on_good_data(db, facts, manifest):
    result = CliRunner().invoke(
        quality,
        ["check", "--db", str(db), *manifest, "--as-of", _as_of(facts), "--format", "text"],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("quality gate PASSED: ")


def test_check_json_and_blocking_error(db, facts, manifest):
    with duckdb.connect(str(db)) as conn:
        conn.execute(
            "UPDATE gold.ops_payout_backlog SET amount_cents = -5 WHERE age_bucket = '7d+'"
        )
    result = CliRunner().invoke(
        quality,
        ["check", "--db", str(db), *manifest, "--as-of", _as_of(facts), "--format", "json"],
    )
    assert isinstance(result.exception, RastupError)
    assert result.exception.code is ErrorCode.QUALITY_CHECK_FAILED
    data = orjson.loads(result.output)
    assert data["blocking"] == ["gold.ops_payout_backlog.money_non_negative"]


def test_check_table_names_the_failure(db, facts, manifest):
    with duckdb.connect(str(db)) as conn:
        conn.execute("UPDATE gold.kpi_comms_daily SET complaint_rate = 2")
    result = CliRunner().invoke(
        quality, ["check", "--db", str(db), *manifest, "--as-of", _as_of(facts)]
    )
    assert result.exit_code == 0  # a warning does not block
    assert "gold.kpi_comms_daily.daily_rates_in_unit_interval" in result.output


def test_check_with_a_yaml_suite(db, facts, tmp_path):
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "- {name: one, kind: not_null, severity: error, table: silver.dim_user, "
        "params: {columns: [user_id]}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        quality, ["check", "--db", str(db), "--suite", str(suite), "--format", "text"]
    )
    assert result.exit_code == 0, result.output
    assert "1 passed" in result.output


def test_missing_db_and_bad_as_of_are_config_errors(db, tmp_path, manifest):
    result = CliRunner().invoke(quality, ["check", "--db", str(tmp_path / "nope.duckdb")])
    assert result.exception.code is ErrorCode.CONFIG_INVALID
    result = CliRunner().invoke(
        quality, ["check", "--db", str(db), *manifest, "--as-of", "yesterday"]
    )
    assert result.exception.code is ErrorCode.CONFIG_INVALID


def test_a_bare_warehouse_file_is_audited_without_bronze(db, facts):
    """No --manifest and no lake: the packaged project is parsed; Bronze is not known."""
    result = CliRunner().invoke(
        quality, ["check", "--db", str(db), "--as-of", _as_of(facts), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    checked = {r["table"] for r in orjson.loads(result.output)["results"]}
    assert "gold.ops_recon_daily" in checked
    assert not any(table.startswith("bronze.") for table in checked)


def test_compare_exit_codes(db, tmp_path):
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute("SELECT * FROM gold.ops_recon_daily ORDER BY dt").fetchall()
    golden = [
        {
            "dt": r[0].isoformat(),
            "charges_cents": r[1],
            "refunds_cents": r[2],
            "payouts_cents": r[3],
            "fees_cents": r[4],
            "variance_cents": r[5],
        }
        for r in rows
    ]
    path = tmp_path / "golden.json"
    path.write_text(json.dumps({"ops_recon_daily": golden}), encoding="utf-8")
    result = CliRunner().invoke(quality, ["compare", "--db", str(db), "--golden", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("golden comparison OK: 1 mart(s) equal")

    golden[2]["fees_cents"] += 1
    path.write_text(json.dumps({"ops_recon_daily": golden}), encoding="utf-8")
    result = CliRunner().invoke(quality, ["compare", "--db", str(db), "--golden", str(path)])
    assert result.exit_code == 1
    assert f"dt={golden[2]['dt']}  fees_cents: expected {golden[2]['fees_cents']}" in (
        result.output
    )
