"""The engine against independent references: statsmodels OLS, scipy, bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

from rastup_data.experiments.analysis import AnalysisPlan, analyze_units
from rastup_data.experiments.stats import (
    Arm,
    Moments,
    benjamini_hochberg,
    holm,
    mean_estimate,
    ratio_estimate,
    welch_compare,
)


def _cuped_data(n: int, covariates: int, seed: int, variants: int = 2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, variants, n)
    xs = rng.gamma(2.0, 5.0, size=(n, covariates))
    xs[:, -1] += 0.5 * xs[:, 0]  # correlated covariates
    slopes = np.array([0.7, -0.3, 0.2][:covariates])
    y = 3.0 + xs @ slopes + 0.25 * arm + rng.normal(0.0, 2.0, n)
    data = {"variant": np.array([f"v{a}" for a in range(variants)])[arm], "y": y}
    for i in range(covariates):
        data[f"x{i}"] = xs[:, i]
    return data


def _ols(
    data: dict[str, np.ndarray], covariates: int, variants: int
) -> sm.regression.linear_model.RegressionResultsWrapper:
    dummies = [(data["variant"] == f"v{a}").astype(float) for a in range(1, variants)]
    design = np.column_stack(
        [np.ones(len(data["y"])), *dummies, *[data[f"x{i}"] for i in range(covariates)]]
    )
    return sm.OLS(data["y"], design).fit()


@pytest.mark.parametrize(("covariates", "variants"), [(1, 2), (2, 2), (2, 3)])
def test_cuped_effect_equals_ols_coefficient(covariates: int, variants: int) -> None:
    data = _cuped_data(200_000, covariates, seed=11 + covariates + variants, variants=variants)
    cov_cols = [f"x{i}" for i in range(covariates)]
    result = analyze_units(data, "v0", ["y"], plan=AnalysisPlan(covariates={"y": cov_cols}))
    ols = _ols(data, covariates, variants)
    ci = ols.conf_int(0.05)
    for a in range(1, variants):
        row = result.row("y", f"v{a}")
        assert row.cuped
        assert row.effect == pytest.approx(ols.params[a], rel=1e-9)
        assert row.effect_se == pytest.approx(ols.bse[a], rel=0.01)
        assert row.ci_low == pytest.approx(ci[a, 0], rel=0.01)
        assert row.ci_high == pytest.approx(ci[a, 1], rel=0.01)
    assert np.allclose(result.row("y", "v1").cuped_theta, ols.params[variants:], rtol=1e-9)
    # The covariates explain most of the variance, so CUPED must shrink the SE a lot.
    assert result.row("y", "v1").variance_reduction > 0.5


def test_cuped_effect_equals_ols_on_small_samples_too() -> None:
    data = _cuped_data(60, 2, seed=3)
    result = analyze_units(data, "v0", ["y"], plan=AnalysisPlan(covariates={"y": ["x0", "x1"]}))
    ols = _ols(data, 2, 2)
    assert result.row("y", "v1").effect == pytest.approx(ols.params[1], rel=1e-9)


@pytest.mark.parametrize("exponent", [-158, -156, -100, 120])
def test_cuped_does_not_depend_on_the_covariates_units(exponent: int) -> None:
    """The same covariate in units 1e-158…1e120 apart gives the same effect, SE and p-value
    as statsmodels' OLS (where Sxx^-1 times the residual variance overflowed before)."""
    data = _cuped_data(400, 2, seed=7)
    scaled = {**data, "x0": data["x0"] * 10.0**exponent, "x1": data["x1"] * 10.0**exponent}
    plan = AnalysisPlan(covariates={"y": ["x0", "x1"]})
    reference = analyze_units(data, "v0", ["y"], plan=plan).row("y", "v1")
    row = analyze_units(scaled, "v0", ["y"], plan=plan).row("y", "v1")
    ols = _ols(data, 2, 2)
    assert row.cuped
    assert row.effect == pytest.approx(ols.params[1], rel=1e-9)
    assert row.effect_se == pytest.approx(reference.effect_se, rel=1e-9)
    assert row.p_value == pytest.approx(reference.p_value, rel=1e-9)
    np.testing.assert_allclose(row.cuped_theta, ols.params[2:] / 10.0**exponent, rtol=1e-9)


def test_a_covariate_confounded_with_the_variant_is_not_adjusted_for() -> None:
    """Constant within each variant, different between them: theta's variance along the
    variant difference is unbounded, so CUPED is refused (coded), not reported as inf."""
    rng = np.random.default_rng(4)
    data = {
        "variant": np.array(["c"] * 50 + ["t"] * 50),
        "y": rng.normal(10.0, 1.0, 100),
        "x": np.concatenate([rng.normal(0.0, 1e-160, 50), np.full(50, 1.0)]),
    }
    result = analyze_units(data, "c", ["y"], plan=AnalysisPlan(covariates={"y": "x"}))
    row = result.row("y", "t")
    assert not row.cuped
    assert "CUPED_SINGULAR" in row.codes
    assert np.isfinite(row.effect_se)


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(5)
    control = rng.normal(10.0, 1.0, 40)
    treatment = rng.normal(10.6, 3.0, 25)
    data = {"variant": np.array(["c"] * 40 + ["t"] * 25), "y": np.concatenate([control, treatment])}
    row = analyze_units(data, "c", ["y"]).row("y", "t")
    ref = stats.ttest_ind(treatment, control, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert row.effect == pytest.approx(treatment.mean() - control.mean(), rel=1e-12)
    assert row.effect / row.effect_se == pytest.approx(ref.statistic, rel=1e-10)
    assert row.df == pytest.approx(ref.df, rel=1e-10)
    assert row.p_value == pytest.approx(ref.pvalue, rel=1e-8)
    assert row.ci_low == pytest.approx(ci.low, rel=1e-8)
    assert row.ci_high == pytest.approx(ci.high, rel=1e-8)


def test_welch_is_vectorised_like_scipy() -> None:
    rng = np.random.default_rng(9)
    a = rng.exponential(2.0, size=(50, 30))
    b = rng.exponential(2.5, size=(50, 45))
    cmp = welch_compare(
        Arm(a.mean(1), a.var(1, ddof=1) / 30, 30), Arm(b.mean(1), b.var(1, ddof=1) / 45, 45)
    )
    ref = stats.ttest_ind(b, a, axis=1, equal_var=False)
    np.testing.assert_allclose(cmp.p_value, ref.pvalue, rtol=1e-8)


def test_ratio_variance_matches_bootstrap() -> None:
    rng = np.random.default_rng(21)
    sessions = rng.poisson(3.0, 4000) + 1.0
    revenue = sessions * rng.gamma(2.0, 1.5, 4000) + rng.normal(0, 1.0, 4000)
    estimate = ratio_estimate(Moments.from_columns(np.column_stack([revenue, sessions])))
    assert estimate.mean == pytest.approx(revenue.sum() / sessions.sum(), rel=1e-12)
    idx = rng.integers(0, 4000, size=(2000, 4000))
    boot = revenue[idx].sum(axis=1) / sessions[idx].sum(axis=1)
    assert np.sqrt(estimate.variance_of_mean) == pytest.approx(boot.std(ddof=1), rel=0.08)


def test_moments_from_sums_equal_moments_from_columns_and_merge() -> None:
    rng = np.random.default_rng(2)
    z = rng.normal(1e6, 3.0, size=(1000, 3))
    direct = Moments.from_columns(z)
    from_sums = Moments.from_sums(1000, z.sum(0), z.T @ z)
    merged = Moments.from_columns(z[:300]).merge(Moments.from_columns(z[300:]))
    np.testing.assert_allclose(merged.comoment, direct.comoment, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(merged.mean, direct.mean, rtol=1e-12)
    # Raw sums lose digits at a 1e6 offset; centred moments keep them.
    np.testing.assert_allclose(from_sums.mean, direct.mean, rtol=1e-12)
    assert mean_estimate(direct).unit_variance == pytest.approx(np.var(z[:, 0], ddof=1), rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_corrections_match_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(0, 0.05, 5), rng.uniform(0, 1, 15), [0.01, 0.01, 1.0]])
    rng.shuffle(p)
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=1e-12)
    np.testing.assert_allclose(
        benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1], rtol=1e-12
    )


def test_corrections_leave_undefined_p_values_out_of_the_family() -> None:
    p = np.array([0.01, np.nan, 0.04, 0.03])
    expected = multipletests(p[~np.isnan(p)], method="holm")[1]
    adjusted = holm(p)
    assert np.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[~np.isnan(p)], expected)
