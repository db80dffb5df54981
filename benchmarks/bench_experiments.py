"""Experiment analysis benchmark: 1 M units x 10 metrics, each with one CUPED covariate.

Builds a unit table in memory (not timed), then times ``analyze_units`` on it: SRM,
per-variant moments, CUPED, Welch tests, corrections and the recommendation. Also times
the same analysis after a Parquet round trip (read included). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from rastup_data.experiments.analysis import AnalysisPlan, analyze_units


def unit_table(units: int, metrics: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, units)
    columns: dict[str, Any] = {"variant": pa.array(np.array(["control", "treatment"])[arm])}
    for m in range(metrics):
        pre = rng.gamma(2.0, 3.0, units)
        columns[f"m{m}_pre"] = pre
        columns[f"m{m}"] = 1.0 + 0.7 * pre + rng.normal(0.0, 1.0, units) + 0.01 * arm
    return pa.table(columns)


def run(units: int, metrics: int, repeats: int) -> dict[str, Any]:
    table = unit_table(units, metrics)
    names = [f"m{m}" for m in range(metrics)]
    covariates = {name: f"{name}_pre" for name in names}
    timings = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = analyze_units(table, "control", names, plan=AnalysisPlan(covariates=covariates))
        timings.append(time.perf_counter() - started)
    assert result is not None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "units.parquet"
        pq.write_table(table, path)
        started = time.perf_counter()
        analyze_units(
            pq.read_table(path), "control", names, plan=AnalysisPlan(covariates=covariates)
        )
        with_read = time.perf_counter() - started
    return {
        "benchmark": "experiments_analysis",
        "units": units,
        "metrics": metrics,
        "cuped_covariates_per_metric": 1,
        "seconds": round(min(timings), 3),
        "seconds_all_runs": [round(t, 3) for t in timings],
        "seconds_with_parquet_read": round(with_read, 3),
        "recommendation": result.recommendation,
        "target_seconds": 5.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(orjson.dumps(run(args.units, args.metrics, args.repeats)).decode())


if __name__ == "__main__":
    main()
