"""Spark build benchmark: the same full Silver + Gold (+ BI datasets) build of one simulated
lake on local Spark (`build --target spark`) and on DuckDB, in one run.

Steps: simulate a marketplace (``--days``, ``--users``), land it into Bronze, build it in
full on DuckDB (dbt models and tests, no quality gates or NRT: the work the Spark build
also does), start local Spark (timed alone: the JVM and the Derby metastore), then build
on Spark. Prints one JSON object; the ratio is Spark's build (session already up) over
DuckDB's, both measured in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import orjson

from benchmarks._common import machine
from rastup_data.lake.layout import LakeLayout
from rastup_data.lander import land_ndjson
from rastup_data.quality import compare_marts, load_golden
from rastup_data.simulate import simulate
from rastup_data.transform import BuildOptions, build, open_published
from rastup_data.transform.spark import build_on_spark, spark_paths, spark_session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=4, help="simulated days")
    parser.add_argument("--users", type=int, default=800, help="simulated users")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DO_NOT_TRACK", "1")
    root = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    try:
        print(orjson.dumps(run(root, args.days, args.users, args.seed)).decode())
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(root: Path, days: int, users: int, seed: int) -> dict[str, object]:
    simulate(root / "sim", seed=seed, days=days, users=users)
    layout = LakeLayout(root / "lake", work_root=root / "node")
    with open(root / "sim" / "events.ndjson", "rb") as lines:
        landed = land_ndjson(layout, lines, name="bench")
    load_before = os.getloadavg()[0]
    began = time.monotonic()
    duck = build(layout, BuildOptions(quality_gates=False, with_nrt=False))
    duckdb_seconds = time.monotonic() - began
    began = time.monotonic()
    spark_session(spark_paths(layout))
    startup_seconds = time.monotonic() - began
    spark = build_on_spark(layout)
    golden = load_golden(root / "sim" / "golden.json")
    with open_published(layout) as conn:
        duckdb_golden = compare_marts(conn, golden)
    with duckdb.connect() as conn:
        conn.execute("CREATE SCHEMA gold")
        for mart in golden:
            files = spark.warehouse / "gold.db" / mart.removeprefix("gold.") / "*.parquet"
            conn.execute(
                f"CREATE VIEW gold.{mart.removeprefix('gold.')} AS "
                f"SELECT * FROM read_parquet('{files}')"
            )
        spark_golden = compare_marts(conn, golden)
    return {
        "benchmark": "spark_build",
        "days": days,
        "users": users,
        "events_landed": landed.accepted,
        "duckdb_build_s": round(duckdb_seconds, 1),
        "duckdb_models": len(duck.models),
        "duckdb_tests": len(duck.tests),
        "spark_startup_s": round(startup_seconds, 1),
        "spark_build_s": round(spark.seconds, 1),
        "spark_models": len(spark.models),
        "spark_tests": len(spark.tests),
        "spark_over_duckdb": round(spark.seconds / duckdb_seconds, 2),
        "golden_marts": len(golden),
        "duckdb_gold_equals_golden": duckdb_golden.ok,
        "spark_gold_equals_golden": spark_golden.ok,
        "load_avg_before": round(load_before, 2),
        "load_avg_after": round(os.getloadavg()[0], 2),
        "machine": machine(),
    }


if __name__ == "__main__":
    main()
