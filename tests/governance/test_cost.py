# ruff: noqa: E501 -- SQL cases read best one per line.
"""Scanned bytes the way Athena bills, checked against Parquet footers read independently;
the partition-filter guard, the per-query cap, the daily budget and its alarm."""

from __future__ import annotations

import copy
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from gate_fixture import ADMIN, ANALYST

from rastup_data.environments import Resource, load_profile
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, Principal, QueryPath
from rastup_data.governance.cost import CostModel
from rastup_data.governance.lineage import Lineage, Predicate, RelationRead
from rastup_data.governance.policy import default_policy_path, load_policy, parse_policy
from rastup_data.governance.relations import RelationView, SourceKind
from rastup_data.lake.layout import LakeLayout
from rastup_data.ops.metrics import PlatformMetrics
from rastup_data.state import open_state

MIB = 1024 * 1024


def footer_bytes(files: list[Path], columns: set[str], keep_group=None) -> int:  # type: ignore[no-untyped-def]
    """The pruned minimum, straight from the footers: compressed chunk sizes of ``columns``
    in the row groups ``keep_group(row_group_metadata)`` keeps."""
    total = 0
    for path in files:
        meta = pq.ParquetFile(path).metadata
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            if keep_group is not None and not keep_group(group):
                continue
            for c in range(group.num_columns):
                chunk = group.column(c)
                if chunk.path_in_schema in columns:
                    total += chunk.total_compressed_size
    return total


def test_bronze_estimate_equals_the_footers_of_the_partition_read(
    gate: Gate, lake: LakeLayout
) -> None:
    sql = "SELECT user_id, event FROM bronze.events WHERE dt = DATE '2026-01-06'"
    plan = gate.explain(ADMIN, sql, path=QueryPath.CLI)
    files = sorted((lake.root / "bronze" / "events" / "dt=2026-01-06").glob("*.parquet"))
    expected = footer_bytes(files, {"user_id", "event"})
    assert expected > 0
    assert plan.estimate.scanned_bytes == expected
    everything = footer_bytes(
        sorted((lake.root / "bronze" / "events").rglob("*.parquet")), {"user_id", "event"}
    )
    assert plan.estimate.scanned_bytes < everything
    assert plan.estimate.billed_bytes == 10 * MIB
    result = gate.run(ADMIN, sql, path=QueryPath.CLI)
    assert result.scanned_bytes == expected


def test_min_max_pruning_matches_an_independent_footer_computation(tmp_path: Path) -> None:
    folder = tmp_path / "bronze" / "events"
    for day in ("2026-01-05", "2026-01-06"):
        part = folder / f"dt={day}"
        part.mkdir(parents=True)
        table = pa.table(
            {"seq": list(range(10_000)), "user_id": [f"u_{i % 97}" for i in range(10_000)]}
        )
        pq.write_table(table, part / "f.parquet", row_group_size=1_000, compression="zstd")
    view = RelationView(
        name="bronze.events", kind=SourceKind.PARQUET, source_sql="", columns=(),
        city_filter=None, erasure_columns=(), partition_column="dt", location=str(folder),
    )  # fmt: skip
    predicates = (
        Predicate("dt", "eq", (date(2026, 1, 6),)),
        Predicate("seq", "between", (2_500, 4_200)),
    )
    read = RelationRead("bronze.events", frozenset({"user_id"}), predicates)
    estimate = CostModel(load_policy().cost).estimate(
        Lineage((read,), exact=True), {view.name: view}, {}
    )

    def overlaps(group: pq.RowGroupMetaData) -> bool:
        stats = group.column(0).statistics
        return bool(stats.max >= 2_500 and stats.min <= 4_200)

    expected = footer_bytes([folder / "dt=2026-01-06" / "f.parquet"], {"user_id"}, overlaps)
    assert estimate.reads[0].row_groups_read == 3
    assert estimate.reads[0].row_groups_total == 10
    assert estimate.scanned_bytes == expected


def test_warehouse_estimates_add_up_by_column(gate: Gate) -> None:
    def scanned(columns: str) -> int:
        sql = f"SELECT {columns} FROM gold.kpi_marketplace_daily"
        return gate.explain(ADMIN, sql, path=QueryPath.CLI).estimate.scanned_bytes

    city, gmv = scanned("city"), scanned("gmv_cents")
    assert city > 0
    assert gmv > 0
    assert scanned("city, gmv_cents") == city + gmv
    assert scanned("count(*)") == 0
    assert scanned("*") > city + gmv


def test_an_outer_joins_condition_does_not_prune_its_preserved_side(gate: Gate) -> None:
    def events_read(sql: str) -> int:
        reads = gate.explain(ADMIN, sql, path=QueryPath.REPORT).estimate.reads
        return sum(r.scanned_bytes for r in reads if r.relation == "silver.events_deduped")

    scan = "SELECT e.user_id, e.dt, e.city, k.city FROM silver.events_deduped AS e"
    on = "ON e.dt = DATE '1999-01-01' AND k.city = e.city"
    whole = events_read(scan + " CROSS JOIN gold.kpi_marketplace_daily AS k")
    assert whole > 0
    assert events_read(f"{scan} LEFT JOIN gold.kpi_marketplace_daily AS k {on}") == whole
    assert events_read(f"{scan} FULL JOIN gold.kpi_marketplace_daily AS k {on}") == whole
    assert events_read(f"{scan} JOIN gold.kpi_marketplace_daily AS k {on}") == 0
    assert events_read(f"{scan} RIGHT JOIN gold.kpi_marketplace_daily AS k {on}") == 0


def test_explain_does_not_run_or_bill(gate: Gate) -> None:
    plan = gate.explain(ANALYST, "SELECT city FROM gold.kpi_marketplace_daily", path=QueryPath.CLI)
    assert plan.relations == ("gold.kpi_marketplace_daily",)
    assert plan.columns == ("gold.kpi_marketplace_daily.city",)
    record = gate.audit.records()[-1]
    assert (record.status, record.scanned_bytes, record.billed_bytes, record.rows) == (
        "explained",
        0,
        0,
        0,
    )


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM silver.events_deduped",
        "SELECT count(*) FROM silver.events_deduped WHERE dt IS NOT NULL",
        "SELECT count(*) FROM silver.events_deduped WHERE dt = dt",
        "WITH e AS (SELECT * FROM silver.events_deduped) SELECT count(*) FROM e WHERE dt = DATE '2026-01-05'",
        "SELECT count(*) FROM bronze.events WHERE event = 'search.impression'",
        "SELECT count(*) FROM silver.fact_search_impressions WHERE dt = DATE '2026-01-05' OR city = 'nyc'",
    ],
)
def test_large_relations_need_a_constant_dt_predicate(gate: Gate, sql: str) -> None:
    with pytest.raises(RastupError) as error:
        gate.run(ADMIN, sql, path=QueryPath.CLI)
    assert error.value.code is ErrorCode.PARTITION_FILTER_REQUIRED


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM silver.events_deduped WHERE dt = DATE '2026-01-05'",
        "SELECT count(*) FROM silver.events_deduped e WHERE e.dt BETWEEN DATE '2026-01-05' AND DATE '2026-01-06'",
        "SELECT count(*) FROM silver.events_deduped WHERE DATE '2026-01-05' <= dt",
        "SELECT count(*) FROM bronze.events WHERE dt IN (DATE '2026-01-05', DATE '2026-01-07')",
        "SELECT count(*) FROM gold.kpi_marketplace_daily",
    ],
)
def test_a_dt_predicate_satisfies_the_guard(gate: Gate, sql: str) -> None:
    assert gate.run(ADMIN, sql, path=QueryPath.CLI).rows[0][0] > 0


def test_reports_are_not_held_to_partition_filters(gate: Gate) -> None:
    rows = gate.run(ADMIN, "SELECT count(*) FROM silver.events_deduped", path=QueryPath.REPORT).rows
    assert rows[0][0] == 96


def _gate_with(
    lake: LakeLayout, tmp_path: Path, *, query_cap: int, daily_budget: int
) -> tuple[Gate, PlatformMetrics]:
    """A gate whose environment profile has this cap and daily scanned-bytes budget."""
    shipped = load_profile("test")
    limits = {**shipped.budgets.limits, Resource.SCANNED_PER_DAY: daily_budget}
    profile = replace(shipped, query_cap=query_cap, budgets=replace(shipped.budgets, limits=limits))
    metrics = PlatformMetrics("test")
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    return Gate(lake, state=state, env=profile, metrics=metrics), metrics


def test_the_per_query_cap_refuses_before_running(lake: LakeLayout, tmp_path: Path) -> None:
    gate, _ = _gate_with(lake, tmp_path, query_cap=100, daily_budget=10**9)
    with gate:
        gate.run(ADMIN, "SELECT city FROM gold.kpi_marketplace_daily", path=QueryPath.CLI)
        with pytest.raises(RastupError) as error:
            gate.run(ADMIN, "SELECT * FROM silver.fact_booking_legs", path=QueryPath.CLI)
        assert error.value.code is ErrorCode.ATHENA_SCANNED_BYTES_BREACH
        assert "per-query cap" in error.value.message
        assert gate.audit.records()[-1].scanned_bytes == 0


def test_the_daily_budget_refuses_and_alarms_at_80_percent(
    gate: Gate, lake: LakeLayout, tmp_path: Path
) -> None:
    sql = "SELECT * FROM gold.kpi_marketplace_daily"
    size = gate.explain(ADMIN, sql, path=QueryPath.CLI).estimate.scanned_bytes
    assert size > 0
    # One query is 45 % of the budget: the second passes 80 % (alarm), the third the budget.
    budget = int(size * 2.2)
    gate, metrics = _gate_with(lake, tmp_path / "budget", query_cap=10**9, daily_budget=budget)
    with gate:
        gate.run(ADMIN, sql, path=QueryPath.CLI)
        assert gate.guard.status().alarm is False
        gate.run(ADMIN, sql, path=QueryPath.CLI)
        alarm = metrics.errors.labels(
            "SCANNED_BYTES_BUDGET_WARNING", "test", "governance", "warning"
        )
        assert alarm._value.get() == 1
        status = gate.guard.status()
        assert status.alarm
        assert status.scanned_bytes == 2 * size
        assert metrics.scanned_today._value.get() == 2 * size
        assert metrics.scanned_budget_ratio._value.get() == pytest.approx(2 / 2.2, rel=0.01)
        assert metrics.scanned_bytes.labels("cli")._value.get() == 2 * size
        with pytest.raises(RastupError) as error:
            gate.run(ADMIN, sql, path=QueryPath.CLI)
        assert error.value.code is ErrorCode.ATHENA_SCANNED_BYTES_BREACH
        assert "daily budget" in error.value.message


def test_a_query_past_its_role_time_limit_is_stopped(lake: LakeLayout, tmp_path: Path) -> None:
    data = copy.deepcopy(yaml.safe_load(default_policy_path().read_text()))
    data["roles"]["viewer"]["limits"]["max_seconds"] = 1
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    viewer = Principal("slow", "viewer")
    with Gate(lake, state=state, policy=parse_policy(data), env="test") as gate:
        started = time.monotonic()
        with pytest.raises(RastupError) as error:
            gate.run(viewer, "SELECT count(*) FROM range(100000000000) AS a", path=QueryPath.CLI)
        assert error.value.code is ErrorCode.QUERY_LIMIT_EXCEEDED
        assert time.monotonic() - started < 10
        assert gate.audit.records()[-1].status == "failed"
        assert gate.run(viewer, "SELECT 1", path=QueryPath.CLI).rows == ((1,),)
