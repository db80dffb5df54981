"""`rastup-data lake load | compact`: a wrong or broken file, or a wrong date, is a coded
error, not a traceback, and nothing is created for a refused usage."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rastup_data.cli import cli


def _refused(result: Result, *, says: str) -> None:
    """A usage error: click's ``Error:`` line with the code."""
    _refused_with_code(result, says="Error: CONFIG_INVALID: ")
    assert says in result.stderr


def _refused_with_code(result: Result, *, says: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert says in result.stderr


def test_load_of_a_missing_file_or_a_folder_is_refused_before_the_lake_is_made(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    missing = tmp_path / "events.ndjson"
    result = CliRunner().invoke(cli, ["lake", "load", "--lake", str(lake), str(missing)])
    _refused(result, says=f"File '{missing}' does not exist")
    result = CliRunner().invoke(cli, ["lake", "load", "--lake", str(lake), str(tmp_path)])
    _refused(result, says=f"File '{tmp_path}' is a directory")
    assert not lake.exists(), "a refused load created the lake"


def test_compact_refuses_a_date_that_is_not_one_and_compacts_the_one_named(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    lines = tmp_path / "bad.ndjson"
    lines.write_text('not json\n{"event": "x"}\n')
    for name in ("a", "b"):
        loaded = CliRunner().invoke(
            cli, ["lake", "load", "--lake", str(lake), str(lines), "--name", name]
        )
        assert loaded.exit_code == 0, loaded.output
    (partition,) = (lake / "bronze" / "_bad").iterdir()
    day = partition.name.removeprefix("dt=")
    assert len(list(partition.glob("*.parquet"))) == 2

    for bad in ("2026-13-01", "yesterday"):
        result = CliRunner().invoke(cli, ["lake", "compact", "--lake", str(lake), "--date", bad])
        _refused(result, says=f"Invalid value for '--date': '{bad}'")
    compact = ["lake", "compact", "--lake", str(lake)]
    other = CliRunner().invoke(cli, [*compact, "--date", "2001-01-01"])
    assert other.exit_code == 0, other.output
    assert "nothing to compact" in other.stdout
    assert len(list(partition.glob("*.parquet"))) == 2

    result = CliRunner().invoke(cli, [*compact, "--date", day])
    assert result.exit_code == 0, result.output
    assert f"bronze/_bad/dt={day}: 2 files -> 1, 4 rows" in result.stdout
    assert len(list(partition.glob("*.parquet"))) == 1


def test_load_of_a_corrupt_gzip_file_is_a_coded_error_saying_where(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    path = tmp_path / "events.ndjson.gz"
    lines = b'not json\n{"event": "x"}\n'
    path.write_bytes(gzip.compress(lines) + b"\x1f\x8b\x08\x00not deflate at all")
    result = CliRunner().invoke(cli, ["lake", "load", "--lake", str(lake), str(path)])
    _refused_with_code(result, says=f"CONFIG_INVALID: cannot read {path} at line 3:")
    assert "Aborted" not in result.output
    assert "load it again" in result.stderr


def test_load_says_how_far_it_got(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rastup_data.lander import lake_cli

    monkeypatch.setattr(lake_cli, "PROGRESS_EVERY", 2)
    lines = tmp_path / "bad.ndjson"
    lines.write_text("".join(f'{{"event": "x{i}"}}\n' for i in range(5)))
    result = CliRunner().invoke(cli, ["lake", "load", "--lake", str(tmp_path / "l"), str(lines)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["  2 lines read", "  4 lines read"]
    assert "5 lines: 0 landed, 0 duplicates, 5 quarantined" in result.stdout


def test_load_into_a_folder_whose_bronze_is_a_file_is_a_coded_error(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / "bronze").write_text("not a folder")
    lines = tmp_path / "bad.ndjson"
    lines.write_text('{"event": "x"}\n')
    result = CliRunner().invoke(cli, ["lake", "load", "--lake", str(lake), str(lines)])
    _refused_with_code(result, says=f"LAND_FAILED: cannot write to the lake at {lake}:")
    assert "load the file again" in result.stderr
