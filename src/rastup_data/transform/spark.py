"""The same dbt models on local Spark: ``rastup-data build --target spark``.

PySpark runs in this process on the machine's Java (17 or newer), with the ``spark``
target of ``dbt/profiles.yml`` (dbt-spark's ``session`` method, which joins the session
started here). Before dbt runs, the build registers its two inputs in the session's
catalogue: ``bronze.events``, a Parquet table over the lake's Bronze folder (partitions
discovered afresh each build), and ``privacy.tombstones``, the erased ids.

Where results go: ``<work>/spark/warehouse/<schema>.db/<table>`` (Parquet), catalogued
in an embedded Derby metastore at ``<work>/spark/metastore_db``; any Spark pointed at the
same metastore (or at the folders) reads them.

What is simpler than the DuckDB build (docs/scale-out.md): every Spark build is a full
rebuild from Bronze (Parquet tables take no DELETE, which incremental runs and erasure
need); the audit is dbt's tests only (the quality gates read DuckDB), and there is no
atomic publish: tables are replaced one by one in place, so a reader during a build (or
after a failed one) can see some tables of the new build next to others of the old. A
failed model or test raises :class:`BuildFailed` like the DuckDB build does. Like the DuckDB
build it holds the lake's ``build`` lock, so it never runs at the same time as one.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.existing import require_bronze
from rastup_data.lake.layout import BRONZE_EVENTS, BUILD_LOCK, LakeLayout
from rastup_data.transform._dbt import NodeOutcome, run_dbt
from rastup_data.transform.build import (
    BuildEvent,
    BuildFailed,
    CheckFailure,
    ProgressCallback,
    node_text,
    raise_for_model_errors,
)
from rastup_data.transform.dbt_lake import dbt_lake
from rastup_data.transform.tombstones import read_tombstones
from rastup_data.transform.warehouse import warehouse_dirs

__all__ = [
    "SPARK_TARGET",
    "SparkBuildResult",
    "SparkPaths",
    "build_on_spark",
    "spark_paths",
    "spark_session",
]

#: The profile target (dbt/profiles.yml) of a build on local Spark.
SPARK_TARGET = "spark"
#: Spark's settings for a small local build on a shared machine: two cores, a few shuffle
#: partitions (Spark's 200 would make every small aggregate 200 tasks), no web UI or
#: progress bars.
_SETTINGS = {
    "spark.master": "local[2]",
    "spark.app.name": "rastup-build",
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "1g",
}
_LOG_CONFIG = Path(__file__).with_name("spark_log4j2.properties")


@dataclass(frozen=True, slots=True)
class SparkPaths:
    """Where local Spark keeps its tables and catalogue, in this node's work folder."""

    root: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def metastore(self) -> Path:
        return self.root / "metastore_db"


@dataclass(frozen=True, slots=True)
class SparkBuildResult:
    """What a Spark build built: every dbt node, where the tables are, how long it took."""

    warehouse: Path
    nodes: tuple[NodeOutcome, ...]
    seconds: float

    @property
    def models(self) -> tuple[NodeOutcome, ...]:
        return tuple(n for n in self.nodes if n.resource_type == "model")

    @property
    def tests(self) -> tuple[NodeOutcome, ...]:
        return tuple(n for n in self.nodes if n.resource_type == "test")


def spark_paths(layout: LakeLayout) -> SparkPaths:
    return SparkPaths(layout.work.path("spark"))


def spark_session(paths: SparkPaths) -> Any:
    """This process's local Spark session, started on first use with its warehouse and
    Derby metastore under ``paths`` (a JVM hosts one session: a later call returns the
    running one, whatever its folders). SPARK_UNAVAILABLE without PySpark or Java."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise RastupError(
            ErrorCode.SPARK_UNAVAILABLE,
            f"PySpark is not installed ({exc}). To fix this, install the spark extra: "
            "`make setup` or `uv sync --extra spark`.",
        ) from None
    paths.root.mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.enableHiveSupport()
    settings = {
        **_SETTINGS,
        "spark.sql.warehouse.dir": str(paths.warehouse),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={paths.metastore};create=true"
        ),
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={paths.root} -Dlog4j2.configurationFile={_LOG_CONFIG.as_uri()}"
        ),
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        with warnings.catch_warnings():  # its pandas version check; the build uses no pandas
            warnings.filterwarnings("ignore", "PySpark does not yet", FutureWarning)
            session = builder.getOrCreate()
    except Exception as exc:  # PySpark raises its own runtime errors when the JVM fails
        text = str(exc).strip()
        first = text.splitlines()[0].rstrip(".") if text else type(exc).__name__
        raise RastupError(
            ErrorCode.SPARK_UNAVAILABLE,
            f"local Spark did not start: {first}. To fix this, install Java 17 or newer "
            "(scripts/ensure-java.sh) and put it on PATH.",
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def build_on_spark(
    layout: LakeLayout,
    *,
    tombstones: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> SparkBuildResult:
    """Build Silver and Gold (and the BI datasets) from Bronze on local Spark, in full.

    Raises :class:`BuildFailed` when a model or a dbt test fails, LAKE_NOT_FOUND when
    Bronze has no events, CONFIG_INVALID for a lake on S3 (this Spark has no S3 client).
    """
    if layout.is_remote:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"build --target spark reads a lake on local disk, not {layout.lake.uri()}: "
            "local Spark has no S3 filesystem. Build a lake on S3 with the default target.",
        )
    require_bronze(layout)
    report = progress or (lambda _event: None)
    began = time.monotonic()
    paths = spark_paths(layout)
    dirs = warehouse_dirs(layout)
    # The lake's build lock too: Spark lists Bronze's files again for every model, so a
    # compaction swap, a purge or retention waits until the build has read them.
    with dirs.work.lock("spark-build"), dirs.store.lock(BUILD_LOCK):
        report(BuildEvent("start", f"full build on local Spark into {paths.warehouse}"))
        session = spark_session(paths)
        erased = tombstones if tombstones is not None else read_tombstones(layout)
        register_inputs(session, layout, erased)
        invocation = run_dbt(
            ["build", "--exclude", "tag:nrt", "--full-refresh"],
            target_dir=dirs.dbt_target("spark"),
            variables=dbt_lake(layout).variables,
            on_node=lambda node: report(BuildEvent("node", node_text(node), node)),
            target=SPARK_TARGET,
        )
        raise_for_model_errors(invocation)
        _raise_for_failed_tests(invocation.nodes)
    return SparkBuildResult(paths.warehouse, invocation.nodes, time.monotonic() - began)


def register_inputs(session: Any, layout: LakeLayout, erased: Sequence[str]) -> None:
    """``bronze.events`` over the lake's Bronze Parquet (its ``dt`` partitions found now,
    columns merged across files) and ``privacy.tombstones`` with the erased ids."""
    events = Path(layout.lake.uri(BRONZE_EVENTS))
    session.sql("CREATE DATABASE IF NOT EXISTS bronze")
    session.sql("DROP TABLE IF EXISTS bronze.events")
    session.sql(
        "CREATE TABLE bronze.events USING PARQUET "
        f"OPTIONS (path {_literal(str(events))}, mergeSchema 'true')"
    )
    session.sql("MSCK REPAIR TABLE bronze.events")
    session.sql("CREATE DATABASE IF NOT EXISTS privacy")
    rows = [(u, None) for u in sorted({u for u in erased if u})]
    frame = session.createDataFrame(rows, schema="user_id string, requested_at timestamp")
    frame.write.mode("overwrite").saveAsTable("privacy.tombstones")


def _raise_for_failed_tests(nodes: Sequence[NodeOutcome]) -> None:
    failed = [n for n in nodes if n.resource_type == "test" and n.status in {"fail", "error"}]
    if not failed:
        return
    failures = [
        CheckFailure("dbt", n.name, (n.message or f"{n.failures or 0} failing row(s)").strip())
        for n in failed
    ]
    names = ", ".join(f.name for f in failures)
    raise BuildFailed(
        ErrorCode.QUALITY_CHECK_FAILED,
        f"{len(failures)} dbt test(s) failed on Spark: {names}. The Spark warehouse holds "
        "this build's tables as they are; fix the data or the model and rebuild.",
        failures=failures,
        nodes=nodes,
    )


def _literal(text: str) -> str:
    """A single-quoted Spark SQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
