"""Experiments in the simulated data: the shared hashing, the planted lift, the null
experiment, and a pre-period covariate that predicts the outcome."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from datetime import date

import numpy as np
import pytest

from rastup_data.simulate import MarketplaceSimulation, SimulationConfig, assign_variant

from .conftest import SimulatedRun


def _spec_variant(key: str, unit_id: str) -> str:
    """The assignment rule exactly as the issue states it, for 50/50 control/treatment."""
    digest = hashlib.sha256(f"{key}:{unit_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % 10000
    return "control" if bucket < 5000 else "treatment"


def test_exposures_follow_the_shared_hashing(sim_run: SimulatedRun) -> None:
    exposures = [e for e in sim_run.distinct_valid() if e["event"] == "exp.exposure"]
    assert len(exposures) > 500
    per_unit: dict[tuple[str, str], int] = defaultdict(int)
    for event in exposures:
        p = event["payload"]
        assert p["unit_type"] == "user"
        assert p["unit_id"] == event["user_id"]
        assert p["variant"] == _spec_variant(p["exp_key"], p["unit_id"])
        per_unit[(p["exp_key"], p["unit_id"])] += 1
    assert set(per_unit.values()) == {1}, "exposure is logged once per unit"


def test_assign_variant_splits_by_weight() -> None:
    counts = [0, 0, 0]
    for n in range(30_000):
        counts[assign_variant("demo_exp", f"u_{n}", ("a", "b", "c"), (2000, 3000, 5000))] += 1
    assert [round(c / 30_000, 2) for c in counts] == pytest.approx([0.2, 0.3, 0.5], abs=0.015)
    assert assign_variant("k", "u_1", ("a", "b"), (5000, 5000)) == (
        0 if _spec_variant("k", "u_1") == "control" else 1
    )


def test_experiments_start_after_a_pre_period(sim_run: SimulatedRun) -> None:
    start = date.fromisoformat(sim_run.golden["meta"]["start"])
    first_day = min(
        date.fromisoformat(e["occurred_at"][:10])
        for e in sim_run.distinct_valid()
        if e["event"] == "exp.exposure"
    )
    assert (first_day - start).days == sim_run.golden["meta"]["experiment_start_day"] == 3


def test_pre_period_activity_predicts_conversion(sim_run: SimulatedRun) -> None:
    start = date.fromisoformat(sim_run.golden["meta"]["start"])
    pre_checkouts: dict[str, int] = defaultdict(int)
    first_exposure: dict[str, str] = {}
    bookings: dict[str, list[str]] = defaultdict(list)
    for event in sim_run.distinct_valid():
        name = event["event"]
        day = (date.fromisoformat(event["occurred_at"][:10]) - start).days
        if name == "checkout.start" and day < 3:
            pre_checkouts[event["user_id"]] += 1
        elif name == "booking.confirmed":
            bookings[event["user_id"]].append(event["occurred_at"])
        elif name == "exp.exposure" and event["payload"]["exp_key"] == "search_ranking_v2":
            unit = event["payload"]["unit_id"]
            first_exposure[unit] = min(first_exposure.get(unit, "~"), event["occurred_at"])
    units = sorted(first_exposure)
    covariate = np.array([pre_checkouts[u] for u in units], dtype=float)
    outcome = np.array(
        [any(t >= first_exposure[u] for t in bookings[u]) for u in units], dtype=float
    )
    r = float(np.corrcoef(covariate, outcome)[0, 1])
    z = math.atanh(r) * math.sqrt(len(units) - 3)
    assert r > 0.1
    assert z > 4


@pytest.mark.slow
def test_planted_lift_is_visible_and_null_experiment_is_not() -> None:
    sim = MarketplaceSimulation(SimulationConfig(seed=1, days=7, users=100_000))
    for _ in sim.batches():
        pass
    experiments = sim.golden()["experiments"]

    def z_and_lift(key: str) -> tuple[float, float]:
        c, t = experiments[key]["control"], experiments[key]["treatment"]
        pc, pt = c["converters"] / c["units"], t["converters"] / t["units"]
        pooled = (c["converters"] + t["converters"]) / (c["units"] + t["units"])
        se = math.sqrt(pooled * (1 - pooled) * (1 / c["units"] + 1 / t["units"]))
        return (pt - pc) / se, pt / pc - 1

    z_planted, lift_planted = z_and_lift("search_ranking_v2")
    z_null, lift_null = z_and_lift("checkout_copy")
    assert z_planted > 2.0
    assert 0.02 < lift_planted < 0.15
    assert abs(z_null) < 3.0
    assert abs(lift_null) < 0.05
    units = experiments["search_ranking_v2"]
    share = units["treatment"]["units"] / (units["treatment"]["units"] + units["control"]["units"])
    assert share == pytest.approx(0.5, abs=0.01)
