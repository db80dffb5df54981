"""Same arguments, same bytes; another seed, another marketplace; the CLI shell."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.simulate import SimulationConfig, iter_event_lines, simulate


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = simulate(tmp_path / "a", seed=5, days=3, users=700)
    second = simulate(tmp_path / "b", seed=5, days=3, users=700)
    assert first.events_path.read_bytes() == second.events_path.read_bytes()
    assert first.golden_path.read_bytes() == second.golden_path.read_bytes()
    assert first.sent > 10_000


def test_other_seed_other_bytes(tmp_path: Path) -> None:
    first = simulate(tmp_path / "a", seed=5, days=2, users=500)
    second = simulate(tmp_path / "b", seed=6, days=2, users=500)
    assert first.events_path.read_bytes() != second.events_path.read_bytes()
    golden_a = orjson.loads(first.golden_path.read_bytes())
    golden_b = orjson.loads(second.golden_path.read_bytes())
    assert golden_a["marts"] != golden_b["marts"]


def test_generator_form_yields_the_file_lines(tmp_path: Path) -> None:
    summary = simulate(tmp_path, seed=3, days=2, users=400)
    lines = list(iter_event_lines(SimulationConfig(seed=3, days=2, users=400)))
    assert lines == summary.events_path.read_bytes().splitlines()
    assert len(lines) == summary.sent


def test_start_date_moves_every_event(tmp_path: Path) -> None:
    summary = simulate(tmp_path, seed=3, days=2, users=300, start=date(2027, 3, 10))
    days = {orjson.loads(line)["occurred_at"][:10] for line in _parsable(summary.events_path)}
    assert days == {"2027-03-10", "2027-03-11"}


def _parsable(path: Path) -> list[bytes]:
    out = []
    for line in path.read_bytes().splitlines():
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        out.append(line)
    return out


def test_cli_writes_both_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "simulate",
            "--out",
            str(tmp_path),
            "--seed",
            "2",
            "--days",
            "1",
            "--users",
            "300",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "lines" in result.output
    golden = orjson.loads((tmp_path / "golden.json").read_bytes())
    lines = (tmp_path / "events.ndjson").read_bytes().splitlines()
    assert golden["ingest"]["sent"] == len(lines)
    assert golden["meta"]["start"] == "2026-11-01"


def test_cli_rejects_bad_arguments_with_a_code(tmp_path: Path) -> None:
    runner = CliRunner()
    for args in (["--start", "yesterday"], ["--days", "0"], ["--users", "-5"]):
        result = runner.invoke(cli, ["simulate", "--out", str(tmp_path), *args])
        assert result.exit_code == 2
        assert "CONFIG_INVALID" in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "events.ndjson").exists()


def test_progress_bar_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    simulate(tmp_path, seed=1, days=2, users=200, show_progress=True)
    captured = capsys.readouterr()
    assert "simulating" in captured.err
    assert "day 2/2" in captured.err
    assert captured.out == ""


def test_bytes_do_not_depend_on_the_process_hash_seed(tmp_path: Path) -> None:
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        subprocess.run(
            [
                sys.executable,
                "-m",
                "rastup_data.cli",
                "simulate",
                "--out",
                str(out),
                "--users",
                "300",
                "--days",
                "2",
                "--no-progress",
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        outputs.append(((out / "events.ndjson").read_bytes(), (out / "golden.json").read_bytes()))
    assert outputs[0] == outputs[1]
