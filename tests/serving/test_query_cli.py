"""`rastup-data query` over a published build: formats, table listing, coded errors."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bronze_fixture import envelope, write_bronze
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.serving import list_tables, open_published, run_query
from rastup_data.transform import BuildOptions, build


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> LakeLayout:
    layout = LakeLayout(Path(tmp_path_factory.mktemp("serving")) / "lake")
    events = [
        envelope(
            "booking.leg.confirmed",
            f"2026-01-0{day} 12:00",
            {
                "booking_id": f"bk_{day}",
                "leg_id": f"lg_{day}",
                "provider_id": "p_1",
                "provider_type": "talent",
                "amount_cents": 1_000 * day,
                "currency": "USD",
                "service_date": "2026-02-01",
            },
            user_id="u_1",
            city=city,
        )
        for day, city in ((5, "nyc"), (6, "lax"), (6, "nyc"))
    ]
    write_bronze(layout, events, name="legs")
    build(layout, BuildOptions(quality_gates=False))
    return layout


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_format_prints_an_array_of_row_objects(lake: LakeLayout) -> None:
    code, out, _ = _invoke(
        "query",
        "--lake",
        str(lake.root),
        "--format",
        "json",
        "SELECT dt, city, gmv_cents, take_rate FROM gold.kpi_marketplace_daily ORDER BY dt, city",
    )
    assert code == 0
    assert json.loads(out) == [
        {"dt": "2026-01-05", "city": "nyc", "gmv_cents": 5_000, "take_rate": 0.0},
        {"dt": "2026-01-06", "city": "lax", "gmv_cents": 6_000, "take_rate": 0.0},
        {"dt": "2026-01-06", "city": "nyc", "gmv_cents": 6_000, "take_rate": 0.0},
    ]


def test_csv_and_table_formats(lake: LakeLayout) -> None:
    sql = "SELECT city, sum(gmv_cents) AS gmv FROM gold.kpi_marketplace_daily GROUP BY 1 ORDER BY 1"
    code, out, _ = _invoke("query", "--lake", str(lake.root), "--format", "csv", sql)
    assert code == 0
    assert list(csv.reader(io.StringIO(out))) == [
        ["city", "gmv"],
        ["lax", "6000"],
        ["nyc", "11000"],
    ]
    code, out, _ = _invoke("query", "--lake", str(lake.root), sql)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["city", "gmv"]
    assert lines[2].split() == ["lax", "6000"]
    assert lines[-1] == "(2 rows)"


def test_tables_lists_silver_gold_and_nrt_only(lake: LakeLayout) -> None:
    code, out, _ = _invoke("query", "--lake", str(lake.root), "--tables", "--format", "json")
    assert code == 0
    names = {row["table"] for row in json.loads(out)}
    assert {
        "gold.kpi_marketplace_daily",
        "silver.fact_booking_legs",
        "nrt.ops_recon",
        "nrt.ops_payout_backlog",
        "nrt.ops_dispute_queue",
        "bronze.events",
    } <= names
    assert not any(n.startswith(("privacy.", "main.")) for n in names)
    with open_published(lake) as conn:
        published = {t.name for t in list_tables(conn)}
    assert published == {n for n in names if not n.startswith("bronze.")}


def test_bad_sql_is_a_coded_error_without_traceback(lake: LakeLayout) -> None:
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rastup_data.cli",
            "query",
            "--lake",
            str(lake.root),
            "SELECT nope FROM gold.kpi_marketplace_daily",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "QUERY_INVALID" in proc.stderr
    assert "nope" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_writes_to_the_published_build_are_refused(lake: LakeLayout) -> None:
    with open_published(lake) as conn:
        with pytest.raises(RastupError) as error:
            run_query(conn, "DELETE FROM gold.kpi_marketplace_daily")
        assert error.value.code is ErrorCode.QUERY_INVALID
        assert run_query(conn, "SELECT count(*) FROM gold.kpi_marketplace_daily").rows == ((3,),)


def test_query_without_published_build_or_sql(tmp_path: Path) -> None:
    sql = "SELECT * FROM gold.kpi_marketplace_daily"
    code, _, err = _invoke("query", "--lake", str(tmp_path / "missing"), sql)
    assert code == 2
    assert "LAKE_NOT_FOUND" in err
    assert str(tmp_path / "missing") in err
    assert not (tmp_path / "missing").exists()
    (tmp_path / "empty").mkdir()
    code, _, err = _invoke("query", "--lake", str(tmp_path / "empty"), sql)
    assert code == 2
    assert "QUERY_INVALID" in err
    assert "rastup-data build" in err
    code, _, err = _invoke("query", "--lake", str(tmp_path / "empty"))
    assert code == 2
    assert "no SQL given" in err
