"""The helpers behind the build and NRT benchmarks: pacing, quantiles, grouping, Bronze links."""

from __future__ import annotations

import queue
import time
from pathlib import Path

import numpy as np
import pytest
from benchmarks import bench_build, bench_compaction, bench_nrt

from rastup_data.transform import NodeOutcome


def _model(relation: str, seconds: float) -> NodeOutcome:
    name = relation.rpartition(".")[2]
    return NodeOutcome(
        f"model.rastup.{name}", name, "model", relation, "success", None, None, seconds
    )


def test_paced_lines_hold_the_rate_and_cycle_through_the_source() -> None:
    lines = [b"a", b"b", b"c"]
    started = time.perf_counter()
    sent = list(bench_nrt._paced(lines, rate=2_000.0, duration=0.25))
    elapsed = time.perf_counter() - started
    assert len(sent) == 500
    assert sent[:4] == [b"a", b"b", b"c", b"a"]
    # The last line is due at 499/2000 s; a paced sender cannot be faster than that.
    assert elapsed >= 499 / 2_000


def test_summary_quantiles_match_numpy() -> None:
    values = [float(v) for v in np.random.default_rng(3).exponential(5.0, size=401)]
    summary = bench_nrt._summary(values)
    assert summary["samples"] == 401
    assert summary["p50"] == pytest.approx(np.percentile(values, 50), abs=0.01)
    assert summary["p95"] == pytest.approx(np.percentile(values, 95), abs=0.01)
    assert summary["max"] == pytest.approx(max(values), abs=0.01)
    assert bench_nrt._summary([]) == {"samples": 0}


def test_model_seconds_group_by_layer() -> None:
    models = (
        _model("silver.events_deduped", 10.0),
        _model("silver.fact_bookings", 2.5),
        _model("silver.fact_comms", 1.5),
        _model("silver.dim_user", 0.75),
        _model("gold.kpi_marketplace_daily", 0.5),
        _model("gold.kpi_funnel_daily", 0.25),
    )
    assert bench_build._model_seconds_by_layer(models) == {
        "silver.events_deduped": 10.0,
        "silver.facts": 4.0,
        "silver.dims": 0.75,
        "gold": 0.75,
    }


def test_lines_of_day_stop_at_the_next_day_and_keep_it() -> None:
    items: queue.Queue[tuple[int, list[bytes]] | None] = queue.Queue()
    for item in [(0, [b"2", b"3"]), (1, [b"4"]), None]:
        items.put(item)
    pending: list[tuple[int, list[bytes]] | None] = []
    day0 = list(bench_build._lines_of_day((0, [b"1"]), items, pending))
    assert day0 == [b"1", b"2", b"3"]
    assert pending == [(1, [b"4"])]
    first = pending.pop()
    assert first is not None
    assert list(bench_build._lines_of_day(first, items, pending)) == [b"4"]
    assert pending == [None]


def test_link_tree_links_every_bronze_file(tmp_path: Path) -> None:
    source = tmp_path / "src" / "bronze"
    for rel in ("events/dt=2026-11-01/a.parquet", "events/dt=2026-11-02/b.parquet"):
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_bytes(rel.encode())
    (source / "events" / "notes.txt").write_text("not Bronze")
    target = tmp_path / "lake" / "bronze"
    assert bench_build._link_tree(source, target) == 2
    linked = target / "events/dt=2026-11-02/b.parquet"
    assert linked.read_bytes() == b"events/dt=2026-11-02/b.parquet"
    assert linked.stat().st_ino == (source / "events/dt=2026-11-02/b.parquet").stat().st_ino
    assert not (target / "events" / "notes.txt").exists()


def test_build_ratio_is_taken_against_the_median_scan_of_the_run() -> None:
    scans = [
        {"seconds": 2.0, "cpu_seconds": 3.0},
        {"seconds": 9.0, "cpu_seconds": 4.0},
        {"seconds": 3.0, "cpu_seconds": 5.0},
    ]
    baseline = bench_build.scan_baseline(scans)
    assert baseline == {
        "scans": 3,
        "median_s": 3.0,
        "min_s": 2.0,
        "max_s": 9.0,
        "median_cpu_s": 4.0,
    }
    assert bench_build.ratios({"seconds": 45.0, "cpu_seconds": 60.0}, baseline) == {
        "wall": 15.0,
        "cpu": 15.0,
    }


def test_the_compaction_benchmark_lands_segment_files_and_reads_them_merged(
    tmp_path: Path,
) -> None:
    report = bench_compaction.run(events=350, per_file=100, root=tmp_path)
    assert report["small_files"]["files"] == 4  # three full segments and a last short one
    assert report["compacted"]["files"] == 1
    assert report["small_files"]["scan"]["median_s"] > 0
    assert report["compacted"]["nrt_from_scratch_s"] > 0
    assert report["scan_ratio_small_to_compacted"] > 0
