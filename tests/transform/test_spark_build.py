"""The same dbt models on local Spark (`build --target spark`).

One Bronze, built by DuckDB and by Spark (through the command): every Gold mart holds the
same rows on both engines, and equals the marts computed independently in Python from the
events. The catalogue's Spark DDL (`catalog ddl --engine spark`) runs in the same Spark
session and reads Bronze and the exported Gold as DuckDB does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from bronze_fixture import write_bronze
from click.testing import CliRunner
from helpers import MART_KEYS, assert_rows_equal, plain, published_rows
from market_fixture import market_events
from reference_marts import first_copies, reference_marts

from rastup_data.cli import cli
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import BuildOptions, build
from rastup_data.transform.spark import spark_paths, spark_session

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class TwoBuilds:
    layout: LakeLayout
    events: list[dict[str, Any]]
    spark: Any
    output: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> TwoBuilds:
    root = Path(tmp_path_factory.mktemp("spark"))
    layout = LakeLayout(root / "lake", work_root=root / "node")
    events = market_events()
    half = len(events) // 2
    write_bronze(layout, events[:half], name="part-a")
    write_bronze(layout, events[half:], name="part-b")
    build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    command = ["build", "--target", "spark", "--lake", str(layout.root)]
    done = CliRunner().invoke(cli, [*command, "--work-dir", str(layout.work_dir)])
    assert done.exit_code == 0, done.output
    return TwoBuilds(layout, events, spark_session(spark_paths(layout)), done.output)


def spark_rows(spark: Any, table: str) -> list[dict[str, Any]]:
    return [{k: plain(v) for k, v in row.asDict().items()} for row in spark.table(table).collect()]


def test_spark_builds_every_model_and_passes_every_dbt_test(built: TwoBuilds) -> None:
    nodes = [line.split() for line in built.output.splitlines() if line.startswith("  ")]
    models = [n for n in nodes if n[0] == "model"]
    tests = [n for n in nodes if n[0] == "test"]
    assert len(models) >= 30
    assert len(tests) >= 50
    assert {n[2] for n in models} == {"SUCCESS"}
    assert {n[2] for n in tests} == {"PASS"}
    assert f"{len(models)} models, {len(tests)} tests in" in built.output
    warehouse = built.layout.work_dir / "spark" / "warehouse"
    assert f"built on Spark into {warehouse}" in built.output
    assert (warehouse / "gold.db" / "kpi_marketplace_daily").is_dir()
    gold = {r.tableName for r in built.spark.sql("SHOW TABLES IN gold").collect()}
    assert gold == set(MART_KEYS)


@pytest.mark.parametrize("mart", sorted(MART_KEYS))
def test_spark_gold_mart_equals_duckdbs_and_the_reference(built: TwoBuilds, mart: str) -> None:
    on_spark = spark_rows(built.spark, f"gold.{mart}")
    on_duckdb = published_rows(built.layout, f"gold.{mart}")
    assert on_spark, "the fixture must exercise every mart"
    assert_rows_equal(on_spark, on_duckdb, MART_KEYS[mart])
    assert_rows_equal(on_spark, reference_marts(built.events)[mart], MART_KEYS[mart])


def test_spark_silver_holds_every_event_once_with_the_first_copy(built: TwoBuilds) -> None:
    firsts = {e["event_id"]: e["received_at"] for e in first_copies(built.events)}
    assert len(built.events) > len(firsts), "the fixture must resend some events"
    rows = built.spark.sql(
        "SELECT event_id, unix_micros(received_at) AS micros FROM silver.events_deduped"
    ).collect()
    assert len(rows) == len(firsts)
    assert {r.event_id: r.micros for r in rows} == {
        k: round(v.timestamp() * 1_000_000) for k, v in firsts.items()
    }


def test_catalog_spark_ddl_reads_the_lake_in_local_spark(built: TwoBuilds) -> None:
    lake = str(built.layout.root)
    exported = CliRunner().invoke(cli, ["catalog", "export-gold", "--lake", lake])
    assert exported.exit_code == 0, exported.output
    ddl = CliRunner().invoke(cli, ["catalog", "ddl", "--engine", "spark", "--lake", lake])
    assert ddl.exit_code == 0, ddl.output
    statements = [s.strip() for s in ddl.output.split(";\n") if s.strip()]
    for statement in statements:
        if "rastup_extracts" not in statement:  # BI extracts: none refreshed in this lake
            built.spark.sql(statement.rstrip(";"))

    days = built.spark.sql("SELECT dt, count(*) AS n FROM rastup_bronze.events GROUP BY dt")
    with duckdb.connect() as conn:
        expected = conn.execute(
            f"SELECT dt, count(*) FROM read_parquet('{built.layout.bronze}/events/**/*.parquet', "
            "hive_partitioning = true) GROUP BY dt"
        ).fetchall()
    assert {str(r.dt): r.n for r in days.collect()} == {str(d): n for d, n in expected}
    for mart, keys in MART_KEYS.items():
        through_catalog = spark_rows(built.spark, f"rastup_gold.{mart}")
        assert_rows_equal(through_catalog, spark_rows(built.spark, f"gold.{mart}"), keys)
