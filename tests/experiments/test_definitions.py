"""Experiment YAML validation: the shipped folder is valid; every mistake is a coded error
that names the file and the field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.assign_cli import validate
from rastup_data.experiments.catalog import Direction, load_catalog
from rastup_data.experiments.definitions import (
    MarginKind,
    MetricRole,
    UnitType,
    lint_experiments,
    load_experiments,
)

REPO = Path(__file__).resolve().parents[2]
CATALOG = load_catalog(REPO / "metrics" / "catalog.yaml")

VALID: dict[str, Any] = {
    "key": "good_one",
    "description": "a valid experiment",
    "owner": "tests",
    "unit": "user",
    "start": "2026-01-01T00:00:00Z",
    "end": "2026-03-01",
    "layer": "main",
    "variants": [{"name": "control", "weight": 50}, {"name": "treatment", "weight": 50}],
    "targeting": {"city": ["nyc", "lax"], "platform": "ios"},
    "metrics": {
        "primary": ["booking_conversion"],
        "secondary": [{"name": "gmv_per_user", "direction": "increase"}],
        "guardrails": [{"name": "refund_rate", "margin": 0.1, "margin_kind": "absolute"}],
    },
    "cuped": {"covariates": ["bookings_per_user"], "pre_period_days": 14},
    "sequential": True,
    "alpha": 0.01,
}


def _folder(tmp_path: Path, *specs: dict[str, Any], layers: Any = None) -> Path:
    folder = tmp_path / "experiments"
    folder.mkdir(exist_ok=True)
    for spec in specs:
        (folder / f"{spec.get('key', 'nokey')}.yaml").write_text(yaml.safe_dump(spec))
    layers = layers if layers is not None else {"layers": [{"name": "main", "holdout_pct": 10}]}
    (folder / "_layers.yaml").write_text(yaml.safe_dump(layers))
    return folder


def test_shipped_experiments_are_valid_and_as_specified() -> None:
    assert lint_experiments(REPO / "experiments", CATALOG) == []
    experiments = load_experiments(REPO / "experiments")
    search = experiments.get("search_ranking_v2")
    assert [(v.name, v.weight) for v in search.variants] == [("control", 50), ("treatment", 50)]
    assert [m.name for m in search.metrics_with_role(MetricRole.PRIMARY)] == ["booking_conversion"]
    checkout = experiments.get("checkout_copy")
    assert checkout.variant_names == ("control", "treatment")
    for experiment in experiments:
        assert experiment.unit is UnitType.USER
        assert experiment.layer is not None
        assert experiment.layer in experiments.layers


def test_a_full_definition_loads_every_field(tmp_path: Path) -> None:
    experiment = load_experiments(_folder(tmp_path, VALID), CATALOG).get("good_one")
    assert experiment.salt == "good_one"
    assert experiment.end is not None
    assert experiment.end.isoformat() == "2026-03-01T00:00:00+00:00"
    assert experiment.targeting.matches({"city": "lax", "platform": "ios", "extra": 1})
    assert not experiment.targeting.matches({"city": "lax", "platform": "web"})
    guardrail = experiment.metrics_with_role(MetricRole.GUARDRAIL)[0]
    assert (guardrail.name, guardrail.margin, guardrail.margin_kind) == (
        "refund_rate",
        0.1,
        MarginKind.ABSOLUTE,
    )
    # Direction comes from the catalogue unless the experiment overrides it.
    assert guardrail.direction is Direction.DECREASE
    assert experiment.cuped is not None
    assert experiment.cuped.pre_period_days == 14
    assert (experiment.sequential, experiment.alpha, experiment.control) == (
        True,
        0.01,
        "control",
    )


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(spec: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = spec
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return mutate


_DELETE = object()

MISTAKES = [
    ("owner", _DELETE, "owner"),
    ("unit", "device", "unit"),
    ("variants", [{"name": "control", "weight": 1}], "variants"),
    ("variants.1.name", "control", "variants[1].name"),
    ("variants.0.weight", 0, "variants[0].weight"),
    ("variants.0.weight", "fifty", "variants[0].weight"),
    ("variants.0.weight", 0.00001, "variants[0].weight"),
    ("variants.0.colour", "red", "variants[0].colour"),
    ("key", "other_key", "key"),
    ("colour", "blue", "colour"),
    ("start", _DELETE, "start"),
    ("start", "2026-01-01T00:00:00", "start"),
    ("start", "soon", "start"),
    ("end", "2025-01-01", "end"),
    ("metrics.primary", ["no_such_metric"], "metrics.primary[0].name"),
    ("metrics.primary", _DELETE, "metrics.primary"),
    ("metrics.secondary", ["booking_conversion"], "metrics.secondary[0]"),
    ("metrics.guardrails.0.margin", _DELETE, "metrics.guardrails[0].margin"),
    ("metrics.guardrails.0.margin", -0.1, "metrics.guardrails[0].margin"),
    ("metrics.guardrails.0.margin_kind", "percent", "metrics.guardrails[0].margin_kind"),
    ("metrics.secondary.0.direction", "up", "metrics.secondary[0].direction"),
    ("metrics.secondary.0.margin", 0.1, "metrics.secondary[0].margin"),
    ("cuped.covariates", ["nope"], "cuped.covariates[0]"),
    ("cuped.pre_period_days", 0, "cuped.pre_period_days"),
    ("alpha", 0.7, "alpha"),
    ("alpha", 0, "alpha"),
    ("sequential", "yes", "sequential"),
    ("layer", "elsewhere", "layer"),
    ("layer_slice", [5000, 100], "layer_slice"),
    ("targeting.city", {"in": ["nyc"]}, "targeting.city"),
    ("targeting.city", [], "targeting.city"),
]


@pytest.mark.parametrize(("path", "value", "field"), MISTAKES)
def test_mistakes_are_coded_errors_naming_file_and_field(
    tmp_path: Path, path: str, value: Any, field: str
) -> None:
    spec = copy.deepcopy(VALID)
    _set(path, value)(spec)
    folder = _folder(tmp_path)
    (folder / "good_one.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(RastupError) as info:
        load_experiments(folder, CATALOG)
    assert info.value.code is ErrorCode.EXPERIMENT_INVALID
    message = info.value.message
    assert f"{folder / 'good_one.yaml'}:" in message
    assert f"field {field}" in message


def test_layer_slice_needs_a_layer(tmp_path: Path) -> None:
    spec = {k: v for k, v in VALID.items() if k != "layer"}
    spec["layer_slice"] = [0, 100]
    with pytest.raises(RastupError) as info:
        load_experiments(_folder(tmp_path, spec), CATALOG)
    assert "field layer_slice" in info.value.message


def test_broken_yaml_and_wrong_shapes_are_coded(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "broken.yaml").write_text("key: [unclosed\n")
    (folder / "listy.yaml").write_text("- just\n- a list\n")
    problems = lint_experiments(folder, CATALOG)
    assert [p.code for p in problems] == [ErrorCode.EXPERIMENT_INVALID] * 2
    assert "broken.yaml: not valid YAML at line" in str(problems[0])
    assert "listy.yaml: field (top level): must be a mapping" in str(problems[1])


def test_lint_reports_every_bad_file_and_overlapping_slices(tmp_path: Path) -> None:
    left = {**VALID, "key": "left", "layer_slice": [0, 6000]}
    right = {**VALID, "key": "right", "layer_slice": [5000, 10000]}
    bad = {**VALID, "key": "bad", "unit": "planet"}
    problems = lint_experiments(_folder(tmp_path, left, right, bad), CATALOG)
    messages = [p.message for p in problems]
    assert len(messages) == 2
    assert "bad.yaml: field unit" in messages[0]
    assert "right.yaml: field layer_slice: overlaps left" in messages[1]


@pytest.mark.parametrize(
    ("layers", "field"),
    [
        ({"layers": [{"name": "main", "holdout_pct": 150}]}, "layers[0].holdout_pct"),
        ({"layers": [{"name": "main", "holdout_pct": 2.555}]}, "layers[0].holdout_pct"),
        ({"layers": [{"name": "main"}, {"name": "main"}]}, "layers[1].name"),
        ({"layers": [{"name": "Main Layer"}]}, "layers[0].name"),
        ({"groups": []}, "groups"),
    ],
)
def test_layer_file_mistakes_are_coded(tmp_path: Path, layers: Any, field: str) -> None:
    with pytest.raises(RastupError) as info:
        load_experiments(_folder(tmp_path, VALID, layers=layers), CATALOG)
    assert info.value.code is ErrorCode.EXPERIMENT_INVALID
    assert f"_layers.yaml: field {field}" in info.value.message


def test_missing_folder_is_a_coded_error(tmp_path: Path) -> None:
    with pytest.raises(RastupError) as info:
        load_experiments(tmp_path / "nowhere", CATALOG)
    assert info.value.code is ErrorCode.EXPERIMENT_INVALID


def test_validate_command_lists_problems_and_exits_2(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {**VALID, "alpha": 2})
    catalog = str(REPO / "metrics" / "catalog.yaml")
    result = CliRunner().invoke(validate, ["--experiments-dir", str(folder), "--catalog", catalog])
    assert result.exit_code == 2
    assert "EXPERIMENT_INVALID" in result.output
    assert "field alpha" in result.output
    assert "Traceback" not in result.output
    ok = CliRunner().invoke(validate, ["--experiments-dir", str(REPO / "experiments")])
    assert ok.exit_code == 0, ok.output
    assert "ok: 2 experiment(s) valid" in ok.output
