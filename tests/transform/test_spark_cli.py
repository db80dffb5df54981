"""`rastup-data build --target spark`: what it refuses, in one coded line, before any dbt run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bronze_fixture import envelope, write_bronze
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.lake.layout import LakeLayout

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
