"""Welch two-sample comparison of a treatment against control: lifts, CIs and p-values.

All functions take scalars or numpy arrays (broadcast together) so simulations can run
thousands of experiments in one call. Undefined values come back as NaN, never warnings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps

__all__ = [
    "Arm",
    "Comparison",
    "log_ratio_se",
    "relative_bounds",
    "relative_lift",
    "welch_compare",
    "welch_df",
]

FloatArray = NDArray[np.float64]
_MAX_LOG_HALF = 700.0


@dataclass(frozen=True, slots=True, eq=False)
class Comparison:
    """Absolute and relative effect of treatment vs control, with two-sided inference."""

    effect: FloatArray
    se: FloatArray
    df: FloatArray
    p_value: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    relative: FloatArray
    relative_se: FloatArray
    relative_ci_low: FloatArray
    relative_ci_high: FloatArray
    #: SE of log(m_t / m_c); NaN unless both means are positive (then the relative
    #: interval falls back to the linear one).
    log_ratio_se: FloatArray


def welch_df(
    var_mean_c: ArrayLike, n_c: ArrayLike, var_mean_t: ArrayLike, n_t: ArrayLike
) -> FloatArray:
    """Welch–Satterthwaite degrees of freedom from the variances of the two means."""
    vc = np.asarray(var_mean_c, dtype=np.float64)
    vt = np.asarray(var_mean_t, dtype=np.float64)
    nc = np.asarray(n_c, dtype=np.float64)
    nt = np.asarray(n_t, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.asarray((vc + vt) ** 2 / (vc**2 / (nc - 1) + vt**2 / (nt - 1)), dtype=np.float64)


def relative_lift(
    mean_c: ArrayLike, var_mean_c: ArrayLike, mean_t: ArrayLike, var_mean_t: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """mean_t / mean_c - 1 and its delta-method standard error (independent arms)."""
    mc = np.asarray(mean_c, dtype=np.float64)
    mt = np.asarray(mean_t, dtype=np.float64)
    vc = np.asarray(var_mean_c, dtype=np.float64)
    vt = np.asarray(var_mean_t, dtype=np.float64)
    with np.errstate(all="ignore"):
        relative = np.where(mc != 0, mt / mc - 1.0, np.nan)
        variance = vt / mc**2 + mt**2 * vc / mc**4
        se = np.where(mc != 0, np.sqrt(variance), np.nan)
    return np.asarray(relative, dtype=np.float64), np.asarray(se, dtype=np.float64)


def log_ratio_se(
    mean_c: ArrayLike, var_mean_c: ArrayLike, mean_t: ArrayLike, var_mean_t: ArrayLike
) -> FloatArray:
    """Delta-method SE of log(m_t / m_c): sqrt(v_t / m_t² + v_c / m_c²).

    Defined only when both means are positive; NaN elsewhere.
    """
    mc = np.asarray(mean_c, dtype=np.float64)
    mt = np.asarray(mean_t, dtype=np.float64)
    vc = np.asarray(var_mean_c, dtype=np.float64)
    vt = np.asarray(var_mean_t, dtype=np.float64)
    with np.errstate(all="ignore"):
        se = np.sqrt(vt / mt**2 + vc / mc**2)
        return np.asarray(np.where((mc > 0) & (mt > 0), se, np.nan), dtype=np.float64)


def relative_bounds(
    relative: ArrayLike, linear_half: ArrayLike, log_half: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """The relative lift's interval: on the log scale where ``log_half`` is defined,
    ``(1 + L) · exp(∓ log_half) − 1`` (never below −100 %, as a ratio of positive means
    cannot be); elsewhere the linear ``L ∓ linear_half``."""
    rel = np.asarray(relative, dtype=np.float64)
    lin = np.asarray(linear_half, dtype=np.float64)
    lg = np.asarray(log_half, dtype=np.float64)
    with np.errstate(all="ignore"):
        # Where exp() would overflow the bounds cannot be written down: stay linear.
        on_log = np.isfinite(lg) & np.isfinite(lin) & (lg < _MAX_LOG_HALF)
        low = np.where(on_log, (1.0 + rel) * np.exp(-lg) - 1.0, rel - lin)
        high = np.where(on_log, (1.0 + rel) * np.exp(lg) - 1.0, rel + lin)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Arm:
    """One side of a comparison (scalars or arrays of equal shape): the mean, the sampling
    variance of the mean (s^2 / n) and the number of units."""

    mean: ArrayLike
    var_mean: ArrayLike
    n: ArrayLike


def welch_compare(
    control: Arm,
    treatment: Arm,
    alpha: float = 0.05,
    extra_variance: ArrayLike = 0.0,
) -> Comparison:
    """Welch t-test of mean_t - mean_c with Welch–Satterthwaite df and t-based CIs.

    ``extra_variance`` is added to the effect's variance (CUPED's theta uncertainty).
    """
    n_c, n_t = control.n, treatment.n
    mc = np.asarray(control.mean, dtype=np.float64)
    mt = np.asarray(treatment.mean, dtype=np.float64)
    vc = np.asarray(control.var_mean, dtype=np.float64)
    vt = np.asarray(treatment.var_mean, dtype=np.float64)
    with np.errstate(all="ignore"):
        effect = mt - mc
        se = np.sqrt(vc + vt + np.asarray(extra_variance, dtype=np.float64))
        df = welch_df(vc, n_c, vt, n_t)
        df = np.where(np.isfinite(df) & (df > 0), df, np.nan)
        valid = se > 0
        t_stat = np.where(valid, effect / np.where(valid, se, 1.0), np.nan)
        p_value = np.where(valid, 2.0 * sps.t.sf(np.abs(t_stat), df), np.nan)
        p_value = np.clip(p_value, 0.0, 1.0)
        quantile = sps.t.ppf(1.0 - alpha / 2.0, df)
        half = np.where(valid, quantile * se, np.nan)
        relative, relative_se = relative_lift(mc, vc, mt, vt)
        log_se = log_ratio_se(mc, vc, mt, vt)
        rel_low, rel_high = relative_bounds(
            relative,
            np.where(valid, quantile * relative_se, np.nan),
            np.where(valid, quantile * log_se, np.nan),
        )
        return Comparison(
            effect=np.asarray(effect, dtype=np.float64),
            se=np.asarray(se, dtype=np.float64),
            df=np.asarray(df, dtype=np.float64),
            p_value=np.asarray(p_value, dtype=np.float64),
            ci_low=np.asarray(effect - half, dtype=np.float64),
            ci_high=np.asarray(effect + half, dtype=np.float64),
            relative=relative,
            relative_se=relative_se,
            relative_ci_low=rel_low,
            relative_ci_high=rel_high,
            log_ratio_se=log_se,
        )
