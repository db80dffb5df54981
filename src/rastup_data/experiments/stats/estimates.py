"""Per-variant point estimates and their sampling variances (means, proportions, ratios)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rastup_data.experiments.stats.moments import Moments

__all__ = ["VariantEstimate", "mean_estimate", "ratio_estimate"]


@dataclass(frozen=True, slots=True)
class VariantEstimate:
    """One variant's estimate of a metric.

    ``mean`` is the plain estimate, ``adjusted_mean`` the one compared across variants
    (CUPED-adjusted, or equal to ``mean``); ``unit_variance`` is the per-unit variance
    of the compared estimator, so its sampling variance is ``unit_variance / n``.
    NaN marks an undefined value (too few units, zero denominator).
    """

    n: int
    mean: float
    adjusted_mean: float
    unit_variance: float

    @property
    def variance_of_mean(self) -> float:
        return self.unit_variance / self.n if self.n > 0 else math.nan


def mean_estimate(moments: Moments, column: int = 0) -> VariantEstimate:
    """Sample mean and sample variance (ddof 1) of one column; proportions included."""
    n = moments.n
    if n == 0:
        return VariantEstimate(0, math.nan, math.nan, math.nan)
    mean = float(moments.mean[column])
    variance = float(moments.comoment[column, column]) / (n - 1) if n > 1 else math.nan
    return VariantEstimate(n, mean, mean, max(variance, 0.0) if n > 1 else variance)


def ratio_estimate(moments: Moments, numerator: int = 0, denominator: int = 1) -> VariantEstimate:
    """Ratio of means sum(num)/sum(den) with its delta-method per-unit variance.

    Var(R) ~ (s_a^2 / b^2 - 2 a s_ab / b^3 + a^2 s_b^2 / b^4) / n for means a, b.
    """
    n = moments.n
    if n == 0:
        return VariantEstimate(0, math.nan, math.nan, math.nan)
    a = float(moments.mean[numerator])
    b = float(moments.mean[denominator])
    if b == 0.0:
        return VariantEstimate(n, math.nan, math.nan, math.nan)
    ratio = a / b
    if n < 2:
        return VariantEstimate(n, ratio, ratio, math.nan)
    cov = moments.comoment / (n - 1)
    s_aa = float(cov[numerator, numerator])
    s_bb = float(cov[denominator, denominator])
    s_ab = float(cov[numerator, denominator])
    variance = s_aa / b**2 - 2.0 * a * s_ab / b**3 + a**2 * s_bb / b**4
    return VariantEstimate(n, ratio, ratio, max(variance, 0.0))
