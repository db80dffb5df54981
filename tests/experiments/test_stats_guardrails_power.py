"""Guardrail non-inferiority tests and the power / MDE helper."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from rastup_data.errors import RastupError
from rastup_data.experiments.stats import (
    Direction,
    Estimate,
    GuardrailStatus,
    PowerTarget,
    Sequential,
    minimum_detectable_effect,
    non_inferiority,
    parse_guardrail,
    proportion_std_dev,
    sample_size_per_variant,
)


def test_non_inferiority_p_value_is_the_shifted_one_sided_t_test() -> None:
    result = non_inferiority(Estimate(-0.004, 0.002, 500.0), margin=0.01, alpha=0.05)
    assert result.p_value == pytest.approx(stats.t.sf((-0.004 + 0.01) / 0.002, 500.0), rel=1e-12)
    assert result.status is GuardrailStatus.PASS
    assert result.bound == pytest.approx(-0.004 - stats.t.ppf(0.95, 500.0) * 0.002, rel=1e-12)


def test_lower_is_better_flips_the_direction() -> None:
    # Latency up by 3 units, margin 2: significantly beyond the margin in the bad direction.
    worse = non_inferiority(Estimate(3.0, 0.5, 1e6), margin=2.0, direction=Direction.DECREASE)
    assert worse.status is GuardrailStatus.FAIL
    better = non_inferiority(Estimate(-1.0, 0.5, 1e6), margin=2.0, direction=Direction.DECREASE)
    assert better.status is GuardrailStatus.PASS
    unclear = non_inferiority(Estimate(1.0, 1.0, 1e6), margin=2.0, direction=Direction.DECREASE)
    assert unclear.status is GuardrailStatus.INCONCLUSIVE


def test_undefined_standard_error_is_reported_not_raised() -> None:
    assert non_inferiority(Estimate(0.1, 0.0, 10.0), margin=0.1).status is GuardrailStatus.UNDEFINED
    assert (
        non_inferiority(Estimate(float("nan"), 1.0, 10.0), 0.1).status is GuardrailStatus.UNDEFINED
    )


def test_non_inferiority_type_one_error_at_the_margin() -> None:
    """At a true effect exactly at -margin the test passes in about alpha of experiments."""
    rng = np.random.default_rng(12)
    se = 0.01
    effects = rng.normal(-0.02, se, 4_000)
    passed = [
        non_inferiority(Estimate(e, se, 1e6), margin=0.02).status is GuardrailStatus.PASS
        for e in effects
    ]
    assert abs(np.mean(passed) - 0.05) < 0.012


def test_sequential_guardrail_is_more_conservative() -> None:
    fixed = non_inferiority(Estimate(0.0, 0.004, 1e6), margin=0.01)
    sequential = non_inferiority(
        Estimate(0.0, 0.004, 1e6), margin=0.01, sequential=Sequential(20_000)
    )
    assert fixed.status is GuardrailStatus.PASS
    assert sequential.p_value > fixed.p_value
    assert sequential.bound < fixed.bound


def test_parse_guardrail() -> None:
    spec = parse_guardrail("conversion>=-1%")
    assert (spec.column, spec.margin, spec.margin_kind.value, spec.direction.value) == (
        "conversion",
        0.01,
        "relative",
        "increase",
    )
    spec = parse_guardrail("latency_ms <= +50")
    assert (spec.margin, spec.margin_kind.value, spec.direction.value) == (
        50.0,
        "absolute",
        "decrease",
    )
    for bad in ("conversion", "conversion>=+1%", "latency<=-5", "x>=abc"):
        with pytest.raises(RastupError):
            parse_guardrail(bad)


@pytest.mark.parametrize(
    ("mde", "sd", "alpha", "power"), [(0.1, 1.0, 0.05, 0.8), (0.02, 0.3, 0.01, 0.9)]
)
def test_sample_size_matches_statsmodels(mde: float, sd: float, alpha: float, power: float) -> None:
    reference = NormalIndPower().solve_power(
        effect_size=mde / sd, alpha=alpha, power=power, ratio=1.0
    )
    n = sample_size_per_variant(mde, sd, target=PowerTarget(alpha=alpha, power=power))
    assert n == pytest.approx(reference, rel=2e-3)
    assert n >= reference - 1


def test_mde_inverts_sample_size() -> None:
    n = 31_000
    mde = minimum_detectable_effect(n, 2.0)
    achieved = NormalIndPower().power(effect_size=mde / 2.0, nobs1=n, alpha=0.05, ratio=1.0)
    assert achieved == pytest.approx(0.8, abs=1e-4)
    relative = minimum_detectable_effect(n, 2.0, relative=True, baseline_mean=10.0)
    assert relative == pytest.approx(mde / 10.0)
    assert sample_size_per_variant(relative, 2.0, relative=True, baseline_mean=10.0) in (n, n + 1)
    # CUPED's variance reduction shrinks the needed n proportionally.
    half = sample_size_per_variant(0.05, 1.0, target=PowerTarget(variance_reduction=0.5))
    assert half == pytest.approx(sample_size_per_variant(0.05, 1.0) / 2, abs=1)
    assert proportion_std_dev(0.1) == pytest.approx(0.3)


@pytest.mark.parametrize("kwargs", [{"alpha": 1.5}, {"power": 0.0}, {"variance_reduction": 1.0}])
def test_power_misuse_is_a_coded_error(kwargs: dict[str, float]) -> None:
    with pytest.raises(RastupError):
        sample_size_per_variant(0.1, 1.0, target=PowerTarget(**kwargs))
    with pytest.raises(RastupError):
        minimum_detectable_effect(1, 1.0)
