"""The soak benchmark's own helpers: restamped bodies, the process tree's CPU, lake bytes."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from benchmarks._common import tree_cpu_seconds
from benchmarks.bench_soak import _Build, _rates, event_pool, lake_bytes, restamped_body


def test_bodies_are_json_arrays_of_fresh_events_cycling_through_the_pool() -> None:
    pool = event_pool(50)
    assert len({e["event"] for e in pool}) >= 20  # the simulator covers the catalogue
    before = datetime.now(UTC)
    events = orjson.loads(restamped_body(pool, len(pool) - 2, 5))
    assert [e["event"] for e in events] == [pool[i % len(pool)]["event"] for i in range(-2, 3)]
    assert len({e["ids"]["event_id"] for e in events}) == 5
    stamped = datetime.fromisoformat(events[0]["occurred_at"].replace("Z", "+00:00"))
    assert abs((stamped - before).total_seconds()) < 5


def test_tree_cpu_counts_children_that_already_finished() -> None:
    # The child burns 0.8 s by its own precise clock; /proc accounts in clock ticks, sampled,
    # so the tree is asked for 0.6 s: a margin for the ticks, far above the parent's own time.
    burn = "import time\nend = time.process_time() + 0.8\nwhile time.process_time() < end: pass"
    script = (
        f"import subprocess, sys, time\nsubprocess.run([sys.executable, '-c', {burn!r}])\n"
        "time.sleep(30)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while tree_cpu_seconds(parent.pid) < 0.6 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert tree_cpu_seconds(parent.pid) >= 0.6
    finally:
        parent.kill()
        parent.wait()


def test_lake_bytes_per_top_folder(tmp_path: Path) -> None:
    (tmp_path / "bronze" / "events").mkdir(parents=True)
    (tmp_path / "bronze" / "events" / "a.parquet").write_bytes(b"x" * 100)
    (tmp_path / "_node").mkdir()
    (tmp_path / "_node" / "state.db").write_bytes(b"y" * 7)
    assert lake_bytes(tmp_path) == {"_node": 7, "bronze": 100, "total": 107}


def test_rates_are_positive_numbers() -> None:
    assert _rates("10000,100000") == [10_000, 100_000]
    with pytest.raises(argparse.ArgumentTypeError):
        _rates("fast")
    with pytest.raises(argparse.ArgumentTypeError):
        _rates("0")


def test_the_build_during_load_is_timed_to_its_exit_not_to_the_end_of_the_load(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    command = [sys.executable, "-c", "import time; time.sleep(0.3); print('published')"]
    build = _Build(lake, "test", 0.0, command)
    build.due(0.0)
    deadline = time.monotonic() + 2.5  # the load goes on for seconds after the build
    while time.monotonic() < deadline:
        build.poll()
        time.sleep(0.1)
    report = build.finish()
    assert report is not None
    assert report["exit_code"] == 0
    assert 0.3 <= report["seconds"] < 1.5
    assert report["output_tail"] == ["published"]
