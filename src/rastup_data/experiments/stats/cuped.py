"""CUPED: variance reduction with pre-period covariates, as a pooled within-variant regression.

With columns ``[y, x_1 .. x_k]`` per variant, theta solves the pooled within-variant normal
equations ``(sum_g Sxx_g) theta = sum_g Sxy_g``. The adjusted mean of a variant is
``mean_y - theta . (mean_x - grand_mean_x)``; the difference of two adjusted means equals
the OLS coefficient of ``y ~ variant + x_1 + .. + x_k`` (Frisch-Waugh-Lovell).

Everything is computed on covariates divided by their pooled scale ``s_j = sqrt(Sxx_jj)``
(so the pooled ``Sxx`` becomes the correlation matrix ``R``): ``u = R^-1 (Sxy / s)`` and
``theta = u / s``. A covariate whose spread is tiny or huge in absolute terms (1e-151, say)
then gives the same finite adjusted means and variances as the same covariate in other
units, where products such as ``Sxx^-1 * residual variance`` would overflow.
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
    """Theta, its covariance on the scaled covariates, and the per-variant adjusted
    estimates (in input order).

    ``scaled_covariance`` is ``Cov(u) = R^-1 * sigma^2`` (``sigma^2`` the residual variance),
    the covariance of the coefficients of the covariates divided by ``scale``.
    """

    theta: FloatArray
    scale: FloatArray
    scaled_covariance: FloatArray
    grand_mean_x: FloatArray
    estimates: tuple[VariantEstimate, ...]

    def effect_extra_variance(self, control: Moments, treatment: Moments) -> float:
        """Variance added to an effect by estimating theta: ``d' Cov(theta) d`` with
        ``d = mean_x diff``, computed as ``(d/s)' Cov(u) (d/s)``."""
        diff = (treatment.mean[1:] - control.mean[1:]) / self.scale
        return float(diff @ self.scaled_covariance @ diff)


@dataclass(frozen=True, slots=True, eq=False)
class _Scaled:
    """The pooled within-variant regression on scaled covariates."""

    scale: FloatArray
    correlation: FloatArray
    u: FloatArray
    theta: FloatArray

    def scaled_comoment(self, comoment: FloatArray) -> FloatArray:
        """A co-moment matrix of ``[y, x / scale]`` (divided row-wise, then column-wise, so
        no factor ``1 / s^2`` is ever formed)."""
        divisors = np.concatenate(([1.0], self.scale))
        return np.asarray(comoment / divisors[:, None] / divisors[None, :], dtype=np.float64)


def _scaled_regression(moments: Sequence[Moments]) -> _Scaled | None:
    """None when the pooled covariate matrix is singular (e.g. a constant covariate), or
    so ill-conditioned that theta is not determined (condition number of R above 1e10)."""
    populated = [m for m in moments if m.n > 0]
    if not populated:
        return None
    pooled = sum((m.comoment for m in populated), np.zeros_like(populated[0].comoment))
    sxx = pooled[1:, 1:]
    if sxx.size == 0:
        return None
    scale = np.sqrt(np.diag(sxx))
    if not np.all(np.isfinite(scale) & (scale > 0)):
        return None
    # Solve on the correlation scale so the condition check does not depend on units.
    corr = sxx / scale[:, None] / scale[None, :]
    if not np.all(np.isfinite(corr)) or np.linalg.cond(corr) > 1e10:
        return None
    u = np.asarray(np.linalg.solve(corr, pooled[1:, 0] / scale), dtype=np.float64)
    with np.errstate(over="ignore"):  # a theta beyond the float range: not estimable
        theta = np.asarray(u / scale, dtype=np.float64)
    return _Scaled(scale, corr, u, theta) if np.all(np.isfinite(theta)) else None


def cuped_theta(moments: Sequence[Moments]) -> FloatArray | None:
    """Pooled within-variant regression coefficients of column 0 on columns 1..k.

    None when the pooled covariate matrix is singular (e.g. a constant covariate).
    """
    fit = _scaled_regression(moments)
    return fit.theta if fit is not None else None


def cuped_fit(moments: Sequence[Moments]) -> CupedFit | None:
    """Adjusted estimates for every variant, or None when theta cannot be estimated."""
    fit = _scaled_regression(moments)
    if fit is None:
        return None
    populated = [m for m in moments if m.n > 0]
    total_n = sum(m.n for m in populated)
    k = fit.u.shape[0]
    grand = sum((m.mean[1:] * m.n for m in populated), np.zeros(k)) / total_n
    weights = np.concatenate(([1.0], -fit.u))
    residual_ss = 0.0
    estimates: list[VariantEstimate] = []
    for m in moments:
        if m.n == 0:
            estimates.append(VariantEstimate(0, math.nan, math.nan, math.nan))
            continue
        ss = max(float(weights @ fit.scaled_comoment(m.comoment) @ weights), 0.0)
        residual_ss += ss
        adjusted = float(m.mean[0] - fit.u @ ((m.mean[1:] - grand) / fit.scale))
        unit_variance = ss / (m.n - 1) if m.n > 1 else math.nan
        estimates.append(VariantEstimate(m.n, float(m.mean[0]), adjusted, unit_variance))
    dof = total_n - len(populated) - k
    if dof <= 0:
        covariance = np.full((k, k), np.nan)
    else:
        covariance = np.linalg.inv(fit.correlation) * (residual_ss / dof)
        offsets = [(m.mean[1:] - grand) / fit.scale for m in populated]
        if not _bounded_effects(offsets, covariance):
            return None
    return CupedFit(fit.theta, fit.scale, covariance, grand, tuple(estimates))


def _bounded_effects(offsets: Sequence[FloatArray], covariance: FloatArray) -> bool:
    """Whether every pair of variants gets a finite extra variance ``(d/s)' Cov(u) (d/s)``.

    Not so when a covariate barely varies within the variants but differs between them: it
    is confounded with the variant, and adjusting by it cannot be estimated.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        for i, first in enumerate(offsets):
            for second in offsets[i + 1 :]:
                diff = second - first
                if not math.isfinite(float(diff @ covariance @ diff)):
                    return False
    return True
