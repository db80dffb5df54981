"""SRM: chi-square goodness of fit against configured weights, flagged at p < 0.001."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rastup_data.errors import RastupError
from rastup_data.experiments.stats import SRM_THRESHOLD, srm_check, srm_p_values


def test_balanced_assignment_rarely_flags() -> None:
    """The simulated rate is not significantly above 0.001 (one-sided binomial test)."""
    rng = np.random.default_rng(99)
    sims, n = 400_000, 10_000
    control = rng.binomial(n, 0.5, sims)
    flagged = int(
        (srm_p_values(np.stack([control, n - control], 1), np.ones(2)) < SRM_THRESHOLD).sum()
    )
    assert stats.binomtest(flagged, sims, SRM_THRESHOLD, alternative="greater").pvalue > 0.01
    assert flagged / sims <= 0.0012


def test_unequal_weights_three_variants_rarely_flag() -> None:
    rng = np.random.default_rng(5)
    counts = rng.multinomial(30_000, [0.5, 0.25, 0.25], 200_000)
    flagged = int((srm_p_values(counts, np.array([2.0, 1.0, 1.0])) < SRM_THRESHOLD).sum())
    assert stats.binomtest(flagged, 200_000, SRM_THRESHOLD, alternative="greater").pvalue > 0.01


def test_flags_a_one_percent_imbalance_at_one_million_units() -> None:
    # 50.5 % / 49.5 % of 1 M units (a 1 percentage-point imbalance).
    result = srm_check({"control": 505_000, "treatment": 495_000})
    assert result.flagged
    assert result.p_value < 1e-20
    # A 1 % relative imbalance (50.25 % / 49.75 %) is caught as well.
    assert srm_check({"control": 502_500, "treatment": 497_500}).flagged


def test_statistic_matches_scipy_chisquare() -> None:
    observed = {"a": 5_120, "b": 2_410, "c": 2_470}
    weights = {"a": 0.5, "b": 0.25, "c": 0.25}
    result = srm_check(observed, weights)
    ref = stats.chisquare([5_120, 2_410, 2_470], [5_000, 2_500, 2_500])
    assert result.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert result.expected == {"a": 5_000.0, "b": 2_500.0, "c": 2_500.0}


def test_empty_configured_variant_is_a_mismatch_not_an_error() -> None:
    result = srm_check({"a": 1_000}, {"a": 1.0, "b": 1.0})
    assert result.flagged
    assert result.observed == {"a": 1_000, "b": 0}


@pytest.mark.parametrize("weights", [{"a": 1.0}, {"a": 1.0, "b": 0.0}, {"a": 1.0, "b": -2.0}])
def test_bad_weights_are_coded_errors(weights: dict[str, float]) -> None:
    with pytest.raises(RastupError) as info:
        srm_check({"a": 10, "b": 10} if "b" in weights else {"a": 10}, weights)
    assert info.value.code.value == "EXPERIMENT_INVALID"
