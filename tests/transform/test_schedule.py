"""Ready dbt nodes start critical path first: the heaviest remaining chain gets a thread first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rastup_data.transform._dbt import run_dbt
from rastup_data.transform._schedule import DEFAULT_WEIGHT, critical_paths, previous_seconds


def test_a_nodes_path_is_its_weight_plus_its_heaviest_chain_below() -> None:
    #      root
    #     /  |  \
    #    a   b   c
    #    |       |
    #    d       e -- f
    successors = {
        "root": ["a", "b", "c"],
        "a": ["d"],
        "b": [],
        "c": ["e"],
        "d": [],
        "e": ["f"],
        "f": [],
    }
    weights = {"root": 1.0, "a": 5.0, "b": 2.0, "c": 0.5, "d": 1.0, "e": 0.5, "f": 0.25}
    paths = critical_paths(successors, weights)
    assert paths["f"] == 0.25
    assert paths["e"] == 0.75
    assert paths["c"] == 1.25
    assert paths["a"] == 6.0
    assert paths["b"] == 2.0
    assert paths["root"] == 7.0  # through a and d, the heaviest chain


def test_nodes_without_a_weight_count_a_millisecond_so_structure_breaks_ties() -> None:
    paths = critical_paths({"x": ["y"], "y": ["z"], "z": [], "w": []}, {})
    assert paths["x"] == pytest.approx(3 * DEFAULT_WEIGHT)
    assert paths["w"] == pytest.approx(DEFAULT_WEIGHT)


def test_a_long_chain_does_not_recurse() -> None:
    chain = {f"n{i}": [f"n{i + 1}"] for i in range(5000)} | {"n5000": []}
    assert critical_paths(chain, {})["n0"] == pytest.approx(5001 * DEFAULT_WEIGHT)


def test_history_is_read_from_the_previous_run_results(tmp_path: Path) -> None:
    assert previous_seconds(tmp_path) == {}
    (tmp_path / "run_results.json").write_text("{not json")
    assert previous_seconds(tmp_path) == {}
    results = {
        "results": [
            {"unique_id": "model.p.a", "execution_time": 1.5},
            {"unique_id": "model.p.b", "execution_time": None},
        ]
    }
    (tmp_path / "run_results.json").write_text(json.dumps(results))
    assert previous_seconds(tmp_path) == {"model.p.a": 1.5}


def _project(tmp_path: Path, *, declared: bool) -> Path:
    """root, then five light models and one heavy one, all ready together; one dbt thread."""
    project = tmp_path / "project"
    models = project / "models"
    models.mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: sched\nversion: '1.0'\nprofile: sched\nconfig-version: 2\n"
        "models:\n  sched:\n    +materialized: table\n"
    )
    (project / "profiles.yml").write_text(
        "sched:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{tmp_path / 'sched.duckdb'}'\n      threads: 1\n"
    )
    (models / "root.sql").write_text("select 1 as x\n")
    for name in ("a1", "a2", "a3", "a4", "a5"):
        (models / f"{name}.sql").write_text("select x from {{ ref('root') }}\n")
    weight = "{{ config(meta={'schedule_weight': 3}) }}\n" if declared else ""
    (models / "z_heavy.sql").write_text(
        f"{weight}select sum(hash(i)) as n from range(20000000) as t(i), {{{{ ref('root') }}}}\n"
    )
    return project


def _order(project: Path, target: Path) -> list[str]:
    finished: list[str] = []
    invocation = run_dbt(
        ["run"],
        target_dir=target,
        variables={},
        project_dir=project,
        on_node=lambda node: finished.append(node.name),
    )
    assert invocation.success, invocation.error
    return finished


def test_dbt_starts_the_heaviest_ready_node_first_once_it_has_timings(tmp_path: Path) -> None:
    project = _project(tmp_path, declared=False)
    target = tmp_path / "target"
    # No timings yet: dbt's own order (depth, then name) puts the heavy model last.
    assert _order(project, target) == ["root", "a1", "a2", "a3", "a4", "a5", "z_heavy"]
    # The first run's timings make the heavy model the longest path: it now goes first (the
    # light ones follow in the order of their own timings).
    order = _order(project, target)
    assert order[:2] == ["root", "z_heavy"]
    assert sorted(order[2:]) == ["a1", "a2", "a3", "a4", "a5"]


def test_a_new_target_folder_is_ordered_by_the_machines_last_timings(tmp_path: Path) -> None:
    """A lake's first build has no run results of its own: the timings this machine kept
    from its last invocation of the same kind order it."""
    project = _project(tmp_path, declared=False)
    assert _order(project, tmp_path / "lake-a" / "build")[-1] == "z_heavy"
    order = _order(project, tmp_path / "lake-b" / "build")
    assert order[:2] == ["root", "z_heavy"]
    # Kept per kind of invocation (the target folder's name): an NRT-like folder has none.
    assert _order(project, tmp_path / "lake-c" / "nrt")[-1] == "z_heavy"


def test_a_declared_weight_orders_a_first_build(tmp_path: Path) -> None:
    project = _project(tmp_path, declared=True)
    assert _order(project, tmp_path / "target") == [
        "root",
        "z_heavy",
        "a1",
        "a2",
        "a3",
        "a4",
        "a5",
    ]


def test_a_relative_target_folder_is_the_working_folders_not_the_projects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, declared=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    _order(project, Path("target"))
    assert (work / "target" / "run_results.json").is_file()
    # Files written into the project would change what a kept parse depends on.
    assert not (project / "target").exists()
