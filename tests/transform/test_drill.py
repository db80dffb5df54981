"""Drill: simulated marketplace -> land -> build behind the gates -> Gold equals golden."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rastup_data.lake.layout import LakeLayout
from rastup_data.lander import land_ndjson
from rastup_data.quality import compare_marts, load_golden
from rastup_data.simulate import simulate
from rastup_data.transform import build, open_published


@pytest.mark.slow
def test_built_gold_marts_equal_the_simulators_golden_kpis(tmp_path: Path) -> None:
    simulate(tmp_path / "sim", seed=3, days=4, users=300)
    layout = LakeLayout(tmp_path / "lake")
    with open(tmp_path / "sim" / "events.ndjson", "rb") as lines:
        landed = land_ndjson(layout, lines, name="drill")
    assert landed.accepted > 1_000
    assert landed.duplicates > 0, "the simulator resends events; they must count once"

    result = build(layout)
    assert result.gates.ran
    assert result.gates.passed

    golden = load_golden(tmp_path / "sim" / "golden.json")
    assert len(golden) == 10
    with open_published(layout) as conn:
        comparison = compare_marts(conn, golden)
    assert comparison.ok, comparison.render()

    simulated = load_experiments(tmp_path / "sim" / "golden.json")
    with open_published(layout) as conn:
        units = conn.execute(
            "SELECT exp_key, first_variant, count(*) FROM silver.dim_exposure GROUP BY ALL"
        ).fetchall()
    assert {(k, v): n for k, v, n in units} == {
        (key, variant): tally["units"]
        for key, variants in simulated.items()
        for variant, tally in variants.items()
    }


def load_experiments(path: Path) -> dict[str, dict[str, dict[str, int]]]:
    experiments: dict[str, dict[str, dict[str, int]]] = json.loads(path.read_text())["experiments"]
    return experiments
