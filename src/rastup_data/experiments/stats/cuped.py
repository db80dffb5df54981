"""CUPED: variance reduction with pre-period covariates, as a pooled within-variant regression.

With columns ``[y, x_1 .. x_k]`` per variant, theta solves the pooled within-variant normal
equations ``(sum_g Sxx_g) theta = sum_g Sxy_g``. The adjusted mean of a variant is
``mean_y - theta . (mean_x - grand_mean_x)``; the difference of two adjusted means equals
the OLS coefficient of ``y ~ variant + x_1 + .. + x_k`` (Frisch-Waugh-Lovell).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rastup_data.experiments.stats.estimates import VariantEstimate
from rastup_data.experiments.stats.moments import Moments

__all__ = ["CupedFit", "cuped_fit", "cuped_theta"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class CupedFit:
    """Theta, its covariance, and the per-variant adjusted estimates (in input order)."""

    theta: FloatArray
    theta_covariance: FloatArray
    grand_mean_x: FloatArray
    estimates: tuple[VariantEstimate, ...]

    def effect_extra_variance(self, control: Moments, treatment: Moments) -> float:
        """Variance added to an effect by estimating theta: d' Cov(theta) d, d = mean_x diff."""
        diff = treatment.mean[1:] - control.mean[1:]
        return float(diff @ self.theta_covariance @ diff)


def cuped_theta(moments: Sequence[Moments]) -> FloatArray | None:
    """Pooled within-variant regression coefficients of column 0 on columns 1..k.

    None when the pooled covariate matrix is singular (e.g. a constant covariate).
    """
    populated = [m for m in moments if m.n > 0]
    if not populated:
        return None
    pooled = sum((m.comoment for m in populated), np.zeros_like(populated[0].comoment))
    sxx = pooled[1:, 1:]
    sxy = pooled[1:, 0]
    scale = np.sqrt(np.diag(sxx))
    if sxx.size == 0 or not np.all(scale > 0):
        return None
    # Solve on the correlation scale so the condition check does not depend on units.
    corr = sxx / np.outer(scale, scale)
    if np.linalg.cond(corr) > 1e10:
        return None
    return np.asarray(np.linalg.solve(corr, sxy / scale) / scale, dtype=np.float64)


def cuped_fit(moments: Sequence[Moments]) -> CupedFit | None:
    """Adjusted estimates for every variant, or None when theta cannot be estimated."""
    theta = cuped_theta(moments)
    if theta is None:
        return None
    populated = [m for m in moments if m.n > 0]
    total_n = sum(m.n for m in populated)
    k = theta.shape[0]
    grand = sum((m.mean[1:] * m.n for m in populated), np.zeros(k)) / total_n
    weights = np.concatenate(([1.0], -theta))
    residual_ss = 0.0
    estimates: list[VariantEstimate] = []
    for m in moments:
        if m.n == 0:
            estimates.append(VariantEstimate(0, math.nan, math.nan, math.nan))
            continue
        ss = max(float(weights @ m.comoment @ weights), 0.0)
        residual_ss += ss
        adjusted = float(m.mean[0] - theta @ (m.mean[1:] - grand))
        unit_variance = ss / (m.n - 1) if m.n > 1 else math.nan
        estimates.append(VariantEstimate(m.n, float(m.mean[0]), adjusted, unit_variance))
    dof = total_n - len(populated) - k
    pooled = sum((m.comoment for m in populated), np.zeros_like(populated[0].comoment))
    if dof > 0:
        theta_cov = np.linalg.inv(pooled[1:, 1:]) * (residual_ss / dof)
    else:
        theta_cov = np.full((k, k), np.nan)
    return CupedFit(theta, theta_cov, grand, tuple(estimates))
