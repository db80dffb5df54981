"""Definitions and the metrics catalogue are found wherever a command runs."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.collector.assign import AssignmentService
from rastup_data.experiments.home import HomeSource, find_definitions, shipped_examples

ROOT = Path(__file__).parents[2]
CLEAN_ENV = {"RASTUP_EXPERIMENTS_DIR": None, "RASTUP_METRICS_CATALOG": None}


def _list(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, ["experiments", "list", "--format", "json", *args], env={**CLEAN_ENV, **(env or {})}
    )
    return result.exit_code, result.stdout, result.stderr


def test_list_outside_the_repository_uses_the_shipped_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = _list()
    assert code == 0, err
    keys = {row["key"] for row in orjson.loads(out)}
    assert keys == {p.stem for p in (ROOT / "experiments").glob("[!_]*.yaml")}
    assert "shipped with rastup-data" in err
    assert "RASTUP_EXPERIMENTS_DIR" in err


def test_the_environment_points_at_a_project_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "metrics", project / "metrics")
    (project / "experiments").mkdir()
    for name in ("checkout_copy.yaml", "_layers.yaml"):
        shutil.copy(ROOT / "experiments" / name, project / "experiments")
    monkeypatch.chdir(tmp_path)
    code, out, err = _list(env={"RASTUP_EXPERIMENTS_DIR": str(project / "experiments")})
    assert code == 0, err
    assert [row["key"] for row in orjson.loads(out)] == ["checkout_copy"]
    assert "shipped" not in err


def test_a_missing_folder_says_what_was_searched_and_how_to_point_elsewhere(
    tmp_path: Path,
) -> None:
    code, _, err = _list("--experiments-dir", str(tmp_path / "nope"))
    assert code == 2
    assert "EXPERIMENT_INVALID" in err
    assert f"{tmp_path / 'nope'}: no such experiments folder (from the command line)" in err
    assert "--experiments-dir DIR" in err
    assert "RASTUP_EXPERIMENTS_DIR" in err
    code, _, err = _list(env={"RASTUP_EXPERIMENTS_DIR": str(tmp_path / "gone")})
    assert code == 2
    assert f"{tmp_path / 'gone'}: no such experiments folder (from RASTUP_EXPERIMENTS_DIR)" in err


def test_a_missing_catalogue_names_the_file_looked_for(tmp_path: Path) -> None:
    (tmp_path / "experiments").mkdir()
    code, _, err = _list("--experiments-dir", str(tmp_path / "experiments"))
    assert code == 2
    assert f"{tmp_path / 'metrics' / 'catalog.yaml'}: no metrics catalogue there" in err
    assert "RASTUP_METRICS_CATALOG" in err


def test_the_current_folder_wins_over_the_shipped_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "metrics", tmp_path / "metrics")
    (tmp_path / "experiments").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RASTUP_EXPERIMENTS_DIR", raising=False)
    home = find_definitions()
    assert home.source is HomeSource.CURRENT_FOLDER
    assert home.experiments_dir == tmp_path / "experiments"
    assert home.catalog == tmp_path / "metrics" / "catalog.yaml"


def test_the_wheel_ships_the_examples_where_the_fallback_looks() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included["experiments"] == "rastup_data/_examples/experiments"
    assert included["metrics"] == "rastup_data/_examples/metrics"
    # In a checkout the fallback is the repository's own folders, the ones the wheel ships.
    assert shipped_examples() == ROOT / "experiments"


def test_assignment_outside_the_repository_uses_the_shipped_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RASTUP_EXPERIMENTS_DIR", raising=False)
    service = AssignmentService(tmp_path / "lake", None, None)
    answer, _ = service.assign({"experiment": "checkout_copy", "anon_id": "a_visitor"})
    assert answer["experiment"] == "checkout_copy"
    assert answer["variant"] in {"control", "treatment", None}


def test_serve_refuses_a_missing_experiments_folder_before_listening(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["serve", "--lake", str(tmp_path / "lake"), "--experiments", str(tmp_path / "nope")],
        env=CLEAN_ENV,
    )
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope'}: no such experiments folder" in result.stderr
