"""`rastup-data build --target spark`: what it refuses, in one coded line, before any dbt run."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from bronze_fixture import envelope, write_bronze
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import BUILD_LOCK, LakeLayout
from rastup_data.transform import spark

_COMMAND = (sys.executable, "-m", "rastup_data.cli", "build", "--target", "spark")


def _one_event(layout: LakeLayout) -> None:
    view = envelope(
        "profile.viewed",
        "2026-01-05 10:00",
        {"listing_id": "l_1", "listing_type": "talent", "source": "search"},
    )
    write_bronze(layout, [view], name="one")


def test_a_spark_build_is_always_full(layout: LakeLayout) -> None:
    _one_event(layout)
    result = CliRunner().invoke(
        cli, ["build", "--lake", str(layout.root), "--target", "spark", "--from", "2026-01-05"]
    )
    assert result.exit_code == 2
    assert "CONFIG_INVALID" in result.stderr
    assert "always a full rebuild" in result.stderr
    assert not (layout.work_dir / "spark").exists()


def test_without_java_the_build_says_so_in_one_line(layout: LakeLayout, tmp_path: Path) -> None:
    _one_event(layout)
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java"), "DO_NOT_TRACK": "1"}
    done = subprocess.run(
        [*_COMMAND, "--lake", str(layout.root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if "SPARK_UNAVAILABLE" in line]
    assert len(lines) == 1, done.stderr
    assert "Java 17 or newer" in lines[0]
    assert "Traceback" not in done.stderr


def test_a_spark_build_waits_for_the_lakes_build_lock(
    layout: LakeLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spark lists Bronze's files again for every model: a compaction swap, a purge or
    retention must not replace them meanwhile, so the Spark build holds the lake's build
    lock (and does not start while a DuckDB build holds it)."""
    _one_event(layout)
    started = threading.Event()

    def no_session(_paths: object) -> object:
        started.set()
        raise RastupError(ErrorCode.SPARK_UNAVAILABLE, "stands in for Java in this test")

    monkeypatch.setattr(spark, "spark_session", no_session)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            spark.build_on_spark(layout)
        except RastupError as exc:
            failures.append(exc)

    with layout.lake.lock(BUILD_LOCK):
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive()
        assert not started.is_set()
    worker.join(timeout=120)
    assert started.is_set()
    assert [f.code for f in failures if isinstance(f, RastupError)] == [ErrorCode.SPARK_UNAVAILABLE]
    with layout.lake.try_lock(BUILD_LOCK) as held:  # released when the build ended
        assert held
