"""Query-gate benchmark: the gate's overhead on dashboard-style queries, and how close its
scanned-bytes estimate is to the pruned minimum computed independently from the footers.

A simulated marketplace is landed through the direct lander and built once under
``benchmarks/out/gate``. Overhead: for each dashboard query, the wall time of
``Gate.run`` (parse, check, lineage, cost estimate, guards, run, audit append) minus the
time of running the same checked SQL on the same warm secure session directly — the
baseline in the same run. Estimate: for Bronze queries with partition and min/max
predicates, the gate's estimate divided by the compressed bytes of the referenced column
chunks in the surviving row groups, summed with pyarrow from the footers.

``python -m benchmarks.bench_gate [--users N --days D --iterations K]`` prints one JSON
object.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from benchmarks._common import machine
from rastup_data.governance import Gate, Principal, QueryPath
from rastup_data.lake.layout import LakeLayout
from rastup_data.lander.direct import land_ndjson
from rastup_data.simulate import simulate
from rastup_data.state import open_state
from rastup_data.transform import BuildOptions, build

OUT = Path(__file__).parent / "out" / "gate"

#: One query per dashboard tile family, as a dashboard would send them.
DASHBOARD = {
    "gmv_by_day": "SELECT dt, sum(bookings) AS bookings, sum(gmv_cents) AS gmv, "
    "sum(platform_fee_cents) / nullif(sum(gmv_cents), 0) AS take_rate "
    "FROM gold.kpi_marketplace_daily WHERE dt >= DATE '{first}' GROUP BY dt ORDER BY dt",
    "gmv_by_city": "SELECT city, sum(gmv_cents) AS gmv FROM gold.kpi_marketplace_daily "
    "GROUP BY city ORDER BY gmv DESC",
    "funnel": "SELECT stage, sum(users) AS users FROM gold.kpi_funnel_daily GROUP BY stage",
    "recon": "SELECT dt, variance_cents FROM gold.ops_recon_daily ORDER BY dt DESC LIMIT 7",
    "payout_backlog": "SELECT age_bucket, payouts, amount_cents FROM gold.ops_payout_backlog",
    "trust": "SELECT sum(idv_passed) / nullif(sum(idv_passed) + sum(idv_failed), 0) AS pass_rate "
    "FROM gold.kpi_trust_daily",
    "promotions": "SELECT campaign_id, sum(impressions), sum(clicks), sum(spend_cents) "
    "FROM gold.kpi_promotions_daily GROUP BY 1 ORDER BY 4 DESC LIMIT 10",
    "comms": "SELECT channel, avg(delivery_rate), avg(bounce_rate) FROM gold.kpi_comms_daily "
    "GROUP BY channel",
}

#: Bronze queries for the estimate check: (SQL, columns read, day range, event filter).
ESTIMATES = (
    ("SELECT event, user_id FROM bronze.events WHERE dt = DATE '{d1}'", {"event", "user_id"}),
    (
        "SELECT count(DISTINCT anon_id) FROM bronze.events WHERE dt BETWEEN DATE '{d1}' "
        "AND DATE '{d2}'",
        {"anon_id"},
    ),
    ("SELECT payload FROM bronze.events WHERE dt >= DATE '{d2}'", {"payload"}),
    (
        "SELECT occurred_at, context FROM bronze.events WHERE dt IN (DATE '{d1}', DATE '{d3}')",
        {"occurred_at", "context"},
    ),
)


def prepare(users: int, days: int) -> LakeLayout:
    """The benchmark lake: simulated, landed and built once, reused while its size matches."""
    root = OUT / f"u{users}_d{days}"
    layout = LakeLayout(root / "lake")
    if (root / "BUILT").exists():
        return layout
    summary = simulate(root / "sim", seed=11, days=days, users=users, start=date(2026, 1, 1))
    by_day: dict[str, list[bytes]] = {}
    with open(summary.events_path, "rb") as lines:
        for line in lines:
            try:
                day = str(orjson.loads(line).get("occurred_at", ""))[:10]
            except orjson.JSONDecodeError:
                day = ""
            by_day.setdefault(day if len(day) == 10 else "2026-01-01", []).append(line)
    for day, lines_of_day in sorted(by_day.items()):
        # Received at noon of the day it happened: one Bronze partition per day.
        noon = datetime.fromisoformat(f"{day}T12:00:00+00:00")
        land_ndjson(layout, lines_of_day, name=f"bench-{day}", received_at=noon)
    build(layout, BuildOptions(full_refresh=True))
    (root / "BUILT").write_text(datetime.now(UTC).isoformat())
    return layout


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure_overhead(
    gate: Gate, who: Principal, queries: dict[str, str], iterations: int
) -> dict[str, dict[str, float]]:
    """Per query: gated and direct times, taken round-robin over the queries so a noisy
    stretch of the shared machine spreads over all of them instead of hitting one."""
    checked: dict[str, str] = {}
    for name, sql in queries.items():
        gate.run(who, sql, path=QueryPath.DASHBOARD)  # warm the session and the caches
        checked[name] = gate.explain(who, sql, path=QueryPath.DASHBOARD).sql
    session = gate._session(who)
    gated: dict[str, list[float]] = {name: [] for name in queries}
    direct: dict[str, list[float]] = {name: [] for name in queries}
    for _ in range(iterations):
        for name, sql in queries.items():
            started = time.perf_counter()
            gate.run(who, sql, path=QueryPath.DASHBOARD)
            middle = time.perf_counter()
            session.cursor().execute(checked[name]).fetchall()
            ended = time.perf_counter()
            gated[name].append((middle - started) * 1000)
            direct[name].append((ended - middle) * 1000)
    out = {}
    for name in queries:
        overhead = [g - d for g, d in zip(gated[name], direct[name], strict=True)]
        out[name] = {
            "gated_p50_ms": statistics.median(gated[name]),
            "direct_p50_ms": statistics.median(direct[name]),
            "overhead_p50_ms": statistics.median(overhead),
            "overhead_p95_ms": quantile(overhead, 0.95),
        }
    return out


def pruned_minimum(layout: LakeLayout, columns: set[str], keep_day: Callable[[str], bool]) -> int:
    """Compressed bytes of ``columns`` in the files of the kept ``dt=`` partitions, from
    pyarrow's footer metadata (no predicate on other columns: every row group counts)."""
    total = 0
    for part in sorted(layout.bronze_events.glob("dt=*")):
        if not keep_day(part.name.removeprefix("dt=")):
            continue
        for path in sorted(part.glob("*.parquet")):
            meta = pq.ParquetFile(path).metadata
            for g in range(meta.num_row_groups):
                group = meta.row_group(g)
                for c in range(group.num_columns):
                    chunk = group.column(c)
                    if chunk.path_in_schema in columns:
                        total += chunk.total_compressed_size
    return total


def estimate_ratios(gate: Gate, days: list[str]) -> list[dict[str, Any]]:
    d1, d2, d3 = days[1], days[2], days[-1]
    keeps = (
        lambda d: d == d1,
        lambda d: d1 <= d <= d2,
        lambda d: d >= d2,
        lambda d: d in (d1, d3),
    )
    admin = Principal("bench-admin", "admin")
    out = []
    for (template, columns), keep in zip(ESTIMATES, keeps, strict=True):
        sql = template.format(d1=d1, d2=d2, d3=d3)
        estimate = gate.explain(admin, sql, path=QueryPath.CLI).estimate.scanned_bytes
        minimum = pruned_minimum(gate.layout, columns, keep)
        out.append(
            {"sql": sql, "estimate": estimate, "pruned_minimum": minimum,
             "ratio": estimate / minimum if minimum else None}
        )  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_gate", description=__doc__)
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    layout = prepare(args.users, args.days)
    state_file = OUT / "state.db"
    state_file.unlink(missing_ok=True)
    days = sorted(p.name.removeprefix("dt=") for p in layout.bronze_events.glob("dt=*"))
    with Gate(layout, state=open_state(f"sqlite:///{state_file}"), env="dev") as gate:
        who = Principal("bench-analyst", "analyst")
        sqls = {name: sql.format(first=days[0]) for name, sql in DASHBOARD.items()}
        queries = measure_overhead(gate, who, sqls, args.iterations)
        ratios = estimate_ratios(gate, days)
    overall = statistics.median(q["overhead_p50_ms"] for q in queries.values())
    result = {
        "benchmark": "gate",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "users": args.users,
        "days": args.days,
        "iterations": args.iterations,
        "overhead_p50_ms_median_over_queries": overall,
        "overhead_p50_target_ms": 5.0,
        "queries": queries,
        "estimates": ratios,
    }
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
