"""A/A simulations: error rates and coverage hold, vectorised over thousands of experiments."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rastup_data.experiments.stats import (
    Arm,
    MetricKind,
    MetricSpec,
    Moments,
    analyze_metric,
    sequential_compare,
    welch_compare,
)


def _cumulative(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Running n, mean and sample variance along axis 1 (days) of (sims, days, units)."""
    per_day = draws.shape[2]
    n = per_day * np.arange(1, draws.shape[1] + 1)
    s1 = np.cumsum(draws.sum(axis=2), axis=1)
    s2 = np.cumsum((draws**2).sum(axis=2), axis=1)
    mean = s1 / n
    var = (s2 - n * mean**2) / (n - 1)
    return n, mean, var


def test_fixed_horizon_false_positive_rate_and_coverage() -> None:
    rng = np.random.default_rng(20260101)
    sims, n = 20_000, 200
    control = rng.exponential(3.0, size=(sims, n))
    treatment = rng.exponential(3.0, size=(sims, n))
    cmp = welch_compare(
        Arm(control.mean(1), control.var(1, ddof=1) / n, n),
        Arm(treatment.mean(1), treatment.var(1, ddof=1) / n, n),
        alpha=0.05,
    )
    false_positive_rate = np.mean(cmp.p_value < 0.05)
    assert abs(false_positive_rate - 0.05) <= 0.01
    covered = (cmp.ci_low <= 0.0) & (cmp.ci_high >= 0.0)
    assert abs(covered.mean() - 0.95) <= 0.01
    relative_covered = (cmp.relative_ci_low <= 0.0) & (cmp.relative_ci_high >= 0.0)
    assert abs(relative_covered.mean() - 0.95) <= 0.01
    # Intervals and p-values agree: zero is outside the CI exactly when p < alpha.
    assert np.array_equal(~covered, cmp.p_value < 0.05)


def test_proportion_false_positive_rate() -> None:
    rng = np.random.default_rng(77)
    sims, n = 20_000, 2_000
    a = rng.binomial(n, 0.1, sims) / n
    b = rng.binomial(n, 0.1, sims) / n
    cmp = welch_compare(Arm(a, a * (1 - a) / (n - 1), n), Arm(b, b * (1 - b) / (n - 1), n))
    assert abs(np.mean(cmp.p_value < 0.05) - 0.05) <= 0.01


def test_cuped_false_positive_rate_and_coverage_through_the_engine() -> None:
    rng = np.random.default_rng(4242)
    sims, n = 4_000, 100
    x = rng.gamma(2.0, 2.0, size=(sims, 2, n))
    y = 1.0 + 0.8 * x + rng.normal(0.0, 1.0, size=(sims, 2, n))
    spec = MetricSpec("y", "y", MetricKind.MEAN, covariates=("x",))
    p_values = np.empty(sims)
    covered = np.empty(sims, dtype=bool)
    for s in range(sims):
        moments = {
            "c": Moments.from_columns(np.column_stack([y[s, 0], x[s, 0]])),
            "t": Moments.from_columns(np.column_stack([y[s, 1], x[s, 1]])),
        }
        row = analyze_metric(spec, MetricKind.MEAN, moments, "c")[1]
        p_values[s] = row.p_value
        covered[s] = row.ci_low <= 0.0 <= row.ci_high
    assert abs(np.mean(p_values < 0.05) - 0.05) <= 0.01
    assert abs(covered.mean() - 0.95) <= 0.01


@pytest.mark.parametrize("tuning", [5_000.0, 1_000.0])
def test_sequential_peeking_daily_for_30_days_keeps_the_error_rate(tuning: float) -> None:
    rng = np.random.default_rng(31)
    sims, days, per_day = 2_000, 30, 60
    n, mc, vc = _cumulative(rng.normal(5.0, 2.0, size=(sims, days, per_day)))
    _, mt, vt = _cumulative(rng.normal(5.0, 2.0, size=(sims, days, per_day)))
    fixed = welch_compare(Arm(mc, vc / n, n), Arm(mt, vt / n, n), alpha=0.05)
    seq = sequential_compare(fixed, 2 * n, alpha=0.05, tuning=tuning)
    ever_rejected = (seq.p_value < 0.05).any(axis=1)
    assert ever_rejected.mean() <= 0.05
    ever_excluded = ((seq.ci_low > 0) | (seq.ci_high < 0)).any(axis=1)
    assert np.array_equal(ever_excluded, ever_rejected)
    # The same peeking with fixed-horizon tests would inflate the error rate several-fold.
    assert (fixed.p_value < 0.05).any(axis=1).mean() > 0.15


def test_sequential_detects_a_real_effect() -> None:
    rng = np.random.default_rng(8)
    sims, days, per_day = 500, 30, 60
    n, mc, vc = _cumulative(rng.normal(5.0, 2.0, size=(sims, days, per_day)))
    _, mt, vt = _cumulative(rng.normal(5.4, 2.0, size=(sims, days, per_day)))
    seq = sequential_compare(
        welch_compare(Arm(mc, vc / n, n), Arm(mt, vt / n, n)), 2 * n, alpha=0.05
    )
    assert (seq.p_value[:, -1] < 0.05).mean() > 0.8
    # A sequence is wider than the fixed-horizon interval at the same n.
    fixed_half = stats.norm.ppf(0.975) * seq.se[:, -1]
    assert np.all(seq.ci_high[:, -1] - seq.effect[:, -1] > fixed_half)
