"""The whole path with the lake on the local S3 API: commands, the drill, the query gate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from rastup_data.governance import Gate, QueryPath, local_principal
from rastup_data.lake.layout import LakeLayout
from rastup_data.quality import compare_marts, load_golden
from rastup_data.simulate import simulate
from rastup_data.transform import open_published

pytestmark = pytest.mark.slow


def _cli(*args: str, work: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RASTUP_WORK_DIR=str(work))
    return subprocess.run(
        [sys.executable, "-m", "rastup_data.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )


def test_load_stats_compact_build_and_query_on_s3_equal_the_golden_kpis(
    s3_lake: str, tmp_path: Path
) -> None:
    simulate(tmp_path / "sim", seed=3, days=4, users=300)
    events = (tmp_path / "sim" / "events.ndjson").read_bytes().splitlines(keepends=True)
    half = len(events) // 2
    for name, part in (("one", events[:half]), ("two", events[half:])):
        (tmp_path / f"{name}.ndjson").write_bytes(b"".join(part))
        loaded = _cli("lake", "load", "--lake", s3_lake, str(tmp_path / f"{name}.ndjson"),
                      "--name", name, work=tmp_path / "work")  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr

    before = _cli("lake", "stats", "--lake", s3_lake, "--format", "json", work=tmp_path / "work")
    assert before.returncode == 0, before.stderr
    compacted = _cli("lake", "compact", "--lake", s3_lake, work=tmp_path / "work")
    assert compacted.returncode == 0, compacted.stderr
    after = _cli("lake", "stats", "--lake", s3_lake, "--format", "json", work=tmp_path / "work")
    stats_before, stats_after = (json.loads(r.stdout)["partitions"] for r in (before, after))
    rows_before, rows_after = _rows_by_table(stats_before), _rows_by_table(stats_after)
    assert rows_before == rows_after
    assert rows_before["events"] > 1_000
    assert _files(stats_after) < _files(stats_before)

    replayed = _cli("replay", "--lake", s3_lake, "--dry-run", work=tmp_path / "work")
    assert replayed.returncode == 0, replayed.stderr
    assert "quarantined" in replayed.stdout + replayed.stderr

    built = _cli("build", "--lake", s3_lake, work=tmp_path / "work")
    assert built.returncode == 0, built.stderr + built.stdout

    # Another machine (its own work folder) reads the published build from the lake.
    reader = LakeLayout(s3_lake, tmp_path / "reader")
    golden = load_golden(tmp_path / "sim" / "golden.json")
    with open_published(reader) as conn:
        comparison = compare_marts(conn, golden)
    assert comparison.ok, comparison.render()

    with Gate.open(s3_lake) as gate:
        bronze = gate.run(
            local_principal(),
            "SELECT count(*) FROM bronze.events WHERE dt >= DATE '2000-01-01'",
            path=QueryPath.CLI,
        )
        gold = gate.run(
            local_principal(),
            "SELECT sum(bookings) FROM gold.kpi_marketplace_daily",
            path=QueryPath.CLI,
        )
        # The secure session reads only the policy's folders on S3, and nothing can widen that.
        cursor = gate._session(local_principal()).cursor()
        outside = f"SELECT count(*) FROM read_parquet('{s3_lake}/warehouse/**')"
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            cursor.execute(outside)
        with pytest.raises(duckdb.Error, match="locked"):
            cursor.execute("SET enable_external_access = true")
    assert int(bronze.rows[0][0]) == rows_after["events"]
    assert int(gold.rows[0][0]) > 0

    sql = "SELECT count(*) AS n FROM gold.kpi_funnel_daily"
    queried = _cli("query", "--lake", s3_lake, "--format", "json", sql, work=tmp_path / "work")
    assert queried.returncode == 0, queried.stderr
    assert "n" in queried.stdout


def test_a_missing_bucket_is_one_line_with_its_code(s3_lake: str, tmp_path: Path) -> None:
    done = _cli("lake", "stats", "--lake", "s3://no-such-bucket/lake", work=tmp_path / "work")
    assert done.returncode != 0
    assert "STORAGE_UNAVAILABLE" in done.stderr
    assert "Traceback" not in done.stderr


def _rows_by_table(stats: list[dict[str, object]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for part in stats:
        totals[str(part["table"])] = totals.get(str(part["table"]), 0) + int(part["rows"])  # type: ignore[call-overload]
    return totals


def _files(stats: list[dict[str, object]]) -> int:
    return sum(int(part["files"]) for part in stats)  # type: ignore[call-overload]
