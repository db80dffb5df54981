"""Assignment: the shared hashing spec, weights, targeting, holdout, layers, time window."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.assignment import (
    Assigner,
    AssignmentReason,
    bucket_of,
    hash_assignment,
)
from rastup_data.experiments.catalog import load_catalog
from rastup_data.experiments.definitions import (
    ExperimentSet,
    UnitType,
    load_experiments,
    variant_boundaries,
)
from rastup_data.state import StateDB, open_state

REPO = Path(__file__).resolve().parents[2]
CATALOG = load_catalog(REPO / "metrics" / "catalog.yaml")
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _experiment(key: str, **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "key": key,
        "description": "test experiment",
        "owner": "tests",
        "unit": "user",
        "start": "2026-01-01T00:00:00Z",
        "variants": [{"name": "control", "weight": 50}, {"name": "treatment", "weight": 50}],
        "metrics": {"primary": ["booking_conversion"]},
    }
    spec.update(overrides)
    return spec


def _load(folder: Path, *specs: dict[str, Any], layers: list[Any] | None = None) -> ExperimentSet:
    folder.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        (folder / f"{spec['key']}.yaml").write_text(yaml.safe_dump(spec))
    if layers is not None:
        (folder / "_layers.yaml").write_text(yaml.safe_dump({"layers": layers}))
    return load_experiments(folder, CATALOG)


@pytest.fixture
def state(state_url: str) -> Iterator[StateDB]:
    with open_state(state_url) as db:
        yield db


def _spec_bucket(salt: str, unit_id: str) -> int:
    """The hashing spec as written in docs/experiments-definitions.md."""
    digest = hashlib.sha256(f"{salt}:{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10000


def test_buckets_follow_the_published_hashing_spec() -> None:
    for i in range(2000):
        unit = f"u_{i}"
        assert bucket_of("search_ranking_v2", unit) == _spec_bucket("search_ranking_v2", unit)
    assert {bucket_of("s", f"a_{i}") for i in range(20000)} <= set(range(10000))


def test_boundaries_are_cumulative_floors_and_the_last_takes_the_rest() -> None:
    assert variant_boundaries([50, 50]) == (5000, 10000)
    assert variant_boundaries([1, 1, 1]) == (3333, 6666, 10000)
    assert variant_boundaries([10, 20, 70]) == (1000, 3000, 10000)
    # Exact arithmetic: 0.29 * 10000 is 2899.999… in binary floating point.
    assert variant_boundaries([Fraction("0.29"), Fraction("0.71")]) == (2900, 10000)


def test_variant_is_the_range_holding_the_bucket(tmp_path: Path) -> None:
    exps = _load(
        tmp_path / "e",
        _experiment(
            "three_way",
            variants=[
                {"name": "a", "weight": 20},
                {"name": "b", "weight": 30},
                {"name": "c", "weight": 50},
            ],
        ),
    )
    experiment = exps.get("three_way")
    for i in range(3000):
        bucket = _spec_bucket("three_way", f"u_{i}")
        expected = "a" if bucket < 2000 else "b" if bucket < 5000 else "c"
        decision = hash_assignment(experiment, f"u_{i}")
        assert (decision.variant, decision.bucket) == (expected, bucket)


def test_salt_defaults_to_the_key_and_changes_the_split(tmp_path: Path) -> None:
    exps = _load(tmp_path / "e", _experiment("one"), _experiment("two", salt="other"))
    assert exps.get("one").salt == "one"
    assert exps.get("two").salt == "other"
    one = [hash_assignment(exps.get("one"), f"u_{i}").variant for i in range(400)]
    two = [hash_assignment(exps.get("two"), f"u_{i}").variant for i in range(400)]
    assert one != two


@pytest.mark.parametrize(
    "weights",
    [(50, 50), (10, 90), (20, 30, 50), (1, 1, 1)],
)
def test_split_matches_weights_over_100k_units(tmp_path: Path, weights: tuple[int, ...]) -> None:
    names = [f"v{i}" for i in range(len(weights))]
    exps = _load(
        tmp_path / "e",
        _experiment(
            "split_check",
            variants=[{"name": n, "weight": w} for n, w in zip(names, weights, strict=True)],
        ),
    )
    experiment = exps.get("split_check")
    n = 100_000
    counts = Counter(hash_assignment(experiment, f"u_{i}").variant for i in range(n))
    expected = [n * w / sum(weights) for w in weights]
    observed = [counts[name] for name in names]
    assert sum(observed) == n
    result = stats.chisquare(observed, expected)
    assert result.pvalue > 0.001, (observed, expected)


def test_assignment_is_deterministic_across_assigners(tmp_path: Path) -> None:
    exps = _load(tmp_path / "e", _experiment("det"))
    first = Assigner(open_state("sqlite:///:memory:"), exps, clock=lambda: NOW)
    second = Assigner(open_state("sqlite:///:memory:"), exps, clock=lambda: NOW)
    for i in range(300):
        a = first.assign("det", user_id=f"u_{i}")
        b = second.assign("det", user_id=f"u_{i}")
        assert (a.variant, a.bucket) == (b.variant, b.bucket)
        assert a.variant == hash_assignment(exps.get("det"), f"u_{i}").variant
        assert a.reason is AssignmentReason.ASSIGNED
        again = first.assign("det", user_id=f"u_{i}")
        assert (again.variant, again.reason) == (a.variant, AssignmentReason.STICKY)


def test_targeting_admits_only_matching_attributes(tmp_path: Path, state: StateDB) -> None:
    exps = _load(
        tmp_path / "e",
        _experiment("targeted", targeting={"city": ["nyc", "lax"], "platform": "ios"}),
    )
    assigner = Assigner(state, exps, clock=lambda: NOW)
    inside = assigner.assign(
        "targeted", user_id="u_1", attributes={"city": "nyc", "platform": "ios"}
    )
    assert inside.in_experiment
    assert inside.variant in ("control", "treatment")
    for attrs in ({"city": "chi", "platform": "ios"}, {"city": "nyc"}, {}):
        out = assigner.assign("targeted", user_id="u_2", attributes=attrs)
        assert (out.in_experiment, out.variant, out.reason) == (
            False,
            None,
            AssignmentReason.NOT_TARGETED,
        )
    # Not being targeted is not remembered: matching later admits the unit.
    later = assigner.assign(
        "targeted", user_id="u_2", attributes={"city": "lax", "platform": "ios"}
    )
    assert later.in_experiment


def test_holdout_uses_its_own_salt_and_keeps_its_share_out(tmp_path: Path) -> None:
    exps = _load(
        tmp_path / "e",
        _experiment("held", layer="growth"),
        _experiment("also_held", layer="growth"),
        layers=[{"name": "growth", "holdout_pct": 12.5}],
    )
    n = 20_000
    held = 0
    for i in range(n):
        unit = f"u_{i}"
        expected_out = _spec_bucket("holdout:growth", unit) < 1250
        one = hash_assignment(exps.get("held"), unit, exps.layers["growth"])
        two = hash_assignment(exps.get("also_held"), unit, exps.layers["growth"])
        assert (one.reason is AssignmentReason.HOLDOUT) is expected_out
        # The same units are held out of every experiment of the layer.
        assert (two.reason is AssignmentReason.HOLDOUT) is expected_out
        held += expected_out
    share = held / n
    assert abs(share - 0.125) < 4 * (0.125 * 0.875 / n) ** 0.5


def test_holdout_is_sticky_and_reported(tmp_path: Path, state: StateDB) -> None:
    exps = _load(
        tmp_path / "e",
        _experiment("held", layer="growth"),
        layers=[{"name": "growth", "holdout_pct": 50}],
    )
    assigner = Assigner(state, exps, clock=lambda: NOW)
    unit = next(f"u_{i}" for i in range(100) if _spec_bucket("holdout:growth", f"u_{i}") < 5000)
    for _ in range(2):
        result = assigner.assign("held", user_id=unit)
        assert (result.in_experiment, result.variant, result.reason) == (
            False,
            None,
            AssignmentReason.HOLDOUT,
        )


def test_layer_slices_make_experiments_mutually_exclusive(tmp_path: Path) -> None:
    exps = _load(
        tmp_path / "e",
        _experiment("left", layer="search", layer_slice=[0, 4000]),
        _experiment("right", layer="search", layer_slice=[4000, 10000]),
        layers=[{"name": "search"}],
    )
    layer = exps.layers["search"]
    in_left = in_right = 0
    for i in range(5000):
        unit = f"u_{i}"
        left = hash_assignment(exps.get("left"), unit, layer).in_experiment
        right = hash_assignment(exps.get("right"), unit, layer).in_experiment
        assert left != right
        assert left is (_spec_bucket("layer:search", unit) < 4000)
        in_left += left
        in_right += right
    assert 0.37 < in_left / 5000 < 0.43


def test_only_running_experiments_assign(tmp_path: Path, state: StateDB) -> None:
    exps = _load(
        tmp_path / "e",
        _experiment("windowed", start="2026-03-01T00:00:00Z", end="2026-04-01T00:00:00Z"),
    )
    assigner = Assigner(state, exps)
    before = assigner.assign("windowed", user_id="u_1", at=datetime(2026, 2, 1, tzinfo=UTC))
    during = assigner.assign("windowed", user_id="u_1", at=datetime(2026, 3, 15, tzinfo=UTC))
    after = assigner.assign("windowed", user_id="u_1", at=datetime(2026, 4, 1, tzinfo=UTC))
    assert (before.in_experiment, before.reason) == (False, AssignmentReason.NOT_STARTED)
    assert during.in_experiment
    assert (after.in_experiment, after.variant, after.reason) == (
        False,
        None,
        AssignmentReason.ENDED,
    )


def test_unit_kinds_pick_their_ids(tmp_path: Path, state: StateDB) -> None:
    exps = _load(
        tmp_path / "e",
        _experiment("per_device", unit="anon"),
        _experiment("per_session", unit="session"),
    )
    assigner = Assigner(state, exps, clock=lambda: NOW)
    device = assigner.assign("per_device", anon_id="a_1", user_id="u_1")
    assert (device.unit_id, device.unit_type) == ("a_1", UnitType.ANON)
    session = assigner.assign("per_session", unit_id="s_42", anon_id="a_1")
    assert (session.unit_id, session.unit_type) == ("s_42", UnitType.SESSION)
    assert session.bucket == _spec_bucket("per_session", "s_42")


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"anon_id": "not-an-anon-id"},
        {"user_id": "a_wrong_prefix"},
        {"user_id": "u_1", "unit_id": "u_2"},
        {"unit_id": " u_1"},
        {"unit_id": "bad"},
    ],
)
def test_bad_or_missing_ids_are_coded_errors(
    tmp_path: Path, state: StateDB, kwargs: dict[str, str]
) -> None:
    exps = _load(tmp_path / "e", _experiment("ids"))
    with pytest.raises(RastupError) as info:
        Assigner(state, exps, clock=lambda: NOW).assign("ids", **kwargs)
    assert info.value.code is ErrorCode.EXPERIMENT_INVALID


def test_naive_times_are_a_coded_error(tmp_path: Path, state: StateDB) -> None:
    exps = _load(tmp_path / "e", _experiment("timed"))
    with pytest.raises(RastupError) as info:
        Assigner(state, exps).assign("timed", user_id="u_1", at=datetime(2026, 6, 1))
    assert info.value.code is ErrorCode.EXPERIMENT_INVALID


def test_unknown_experiment_is_a_coded_error(tmp_path: Path, state: StateDB) -> None:
    exps = _load(tmp_path / "e", _experiment("known"))
    with pytest.raises(RastupError) as info:
        Assigner(state, exps).assign("unknown", user_id="u_1")
    assert info.value.code is ErrorCode.EXPERIMENT_INVALID
    assert "known" in info.value.message


def test_shipped_experiments_split_50_50_as_the_simulator_expects() -> None:
    exps = load_experiments(REPO / "experiments", CATALOG)
    for key in ("search_ranking_v2", "checkout_copy"):
        experiment = exps.get(key)
        assert experiment.variant_names == ("control", "treatment")
        assert experiment.boundaries == (5000, 10000)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 1000), min_size=2, max_size=8))
def test_property_each_variant_gets_its_weight_share_of_buckets(weights: list[int]) -> None:
    bounds = variant_boundaries(weights)
    assert bounds[-1] == 10000
    starts = (0, *bounds[:-1])
    total = sum(weights)
    for weight, start, end in zip(weights, starts, bounds, strict=True):
        assert end >= start
        assert abs((end - start) - weight * 10000 / total) < 1
