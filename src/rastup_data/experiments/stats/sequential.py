"""Always-valid inference: asymptotic confidence sequences (Waudby-Smith et al., 2023).

With N units in both arms and an effect estimate with standard error se, let
``sigma^2 = se^2 N`` and ``rho^2 = (-2 ln(alpha) + ln(1 - 2 ln(alpha))) / tuning``. The
half-width ``sigma sqrt(2 (N rho^2 + 1) / (N^2 rho^2) ln(sqrt(N rho^2 + 1) / alpha))``
holds uniformly over time, so the analysis may be read at every peek. ``tuning`` is the
total sample size at which the sequence is tightest (GrowthBook's default: 5,000). The
always-valid p-value is the smallest alpha at which the sequence excludes zero
(``1 / e-value``, eq. 155 of the paper).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rastup_data.experiments.stats.frequentist import Comparison, relative_bounds

__all__ = [
    "DEFAULT_TUNING",
    "always_valid_p_value",
    "confidence_sequence_halfwidth",
    "sequential_compare",
    "sequential_rho",
]

FloatArray = NDArray[np.float64]
DEFAULT_TUNING = 5000.0


def sequential_rho(alpha: float, tuning: float = DEFAULT_TUNING) -> float:
    """The mixing parameter rho that makes the sequence tightest at ``tuning`` units."""
    log_alpha = np.log(alpha)
    return float(np.sqrt((-2.0 * log_alpha + np.log(1.0 - 2.0 * log_alpha)) / tuning))


def confidence_sequence_halfwidth(
    se: ArrayLike, n_total: ArrayLike, alpha: float, tuning: float = DEFAULT_TUNING
) -> FloatArray:
    """Half-width of the (1 - alpha) asymptotic confidence sequence at n_total units."""
    rho = sequential_rho(alpha, tuning)
    n = np.asarray(n_total, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    with np.errstate(all="ignore"):
        nr2 = n * rho**2
        width = (
            s
            * np.sqrt(n)
            * np.sqrt(2.0 * (nr2 + 1.0) / (n**2 * rho**2) * np.log(np.sqrt(nr2 + 1.0) / alpha))
        )
    return np.asarray(width, dtype=np.float64)


def always_valid_p_value(
    effect: ArrayLike,
    se: ArrayLike,
    n_total: ArrayLike,
    alpha: float,
    tuning: float = DEFAULT_TUNING,
) -> FloatArray:
    """min(1, 1 / e-value); below alpha exactly when the sequence excludes zero."""
    rho = sequential_rho(alpha, tuning)
    n = np.asarray(n_total, dtype=np.float64)
    d = np.asarray(effect, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    with np.errstate(all="ignore"):
        nr2 = n * rho**2
        log_e = (d / s) ** 2 * rho**2 * n / (2.0 * (nr2 + 1.0)) - 0.5 * np.log(nr2 + 1.0)
        p = np.where(s > 0, np.minimum(1.0, np.exp(-log_e)), np.nan)
    return np.asarray(p, dtype=np.float64)


def sequential_compare(
    fixed: Comparison, n_total: ArrayLike, alpha: float, tuning: float = DEFAULT_TUNING
) -> Comparison:
    """Replace a fixed-horizon comparison's intervals and p-value by always-valid ones."""
    half = confidence_sequence_halfwidth(fixed.se, n_total, alpha, tuning)
    rel_half = confidence_sequence_halfwidth(fixed.relative_se, n_total, alpha, tuning)
    log_half = confidence_sequence_halfwidth(fixed.log_ratio_se, n_total, alpha, tuning)
    valid = fixed.se > 0
    with np.errstate(all="ignore"):
        half = np.where(valid, half, np.nan)
        rel_low, rel_high = relative_bounds(
            fixed.relative,
            np.where(valid, rel_half, np.nan),
            np.where(valid, log_half, np.nan),
        )
        return Comparison(
            effect=fixed.effect,
            se=fixed.se,
            df=fixed.df,
            p_value=always_valid_p_value(fixed.effect, fixed.se, n_total, alpha, tuning),
            ci_low=np.asarray(fixed.effect - half, dtype=np.float64),
            ci_high=np.asarray(fixed.effect + half, dtype=np.float64),
            relative=fixed.relative,
            relative_se=fixed.relative_se,
            relative_ci_low=rel_low,
            relative_ci_high=rel_high,
            log_ratio_se=fixed.log_ratio_se,
        )
