"""Sufficient statistics per variant: counts, means and centred co-moments of a few columns.

Everything the engine computes (means, variances, ratio deltas, CUPED regressions) is a
function of these moments, so analyses scale with the number of units only through one
pass of ``group_moments`` and partial results from several machines can be merged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Moments", "group_moments"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Moments:
    """n units of p columns: the column means and the centred co-moment matrix.

    ``comoment[i, j] = sum_u (z_ui - mean_i) (z_uj - mean_j)``; raw sums and sums of
    squares/cross-products are available through ``sums`` and ``cross_products``.
    """

    n: int
    mean: FloatArray
    comoment: FloatArray

    @classmethod
    def empty(cls, columns: int) -> Moments:
        return cls(0, np.zeros(columns), np.zeros((columns, columns)))

    @classmethod
    def from_columns(cls, data: FloatArray) -> Moments:
        """Moments of an (n, p) array of unit rows."""
        matrix = np.asarray(data, dtype=np.float64)
        if matrix.ndim == 1:
            matrix = matrix[:, None]
        n = matrix.shape[0]
        if n == 0:
            return cls.empty(matrix.shape[1])
        mean = matrix.mean(axis=0)
        centred = matrix - mean
        return cls(n, mean, centred.T @ centred)

    @classmethod
    def from_sums(
        cls,
        n: int,
        sums: Sequence[float] | FloatArray,
        cross_products: Sequence[Sequence[float]] | FloatArray,
    ) -> Moments:
        """Moments from raw sums and raw sums of cross-products (e.g. aggregated in SQL)."""
        total = np.asarray(sums, dtype=np.float64)
        cross = np.asarray(cross_products, dtype=np.float64)
        if n == 0:
            return cls.empty(total.shape[0])
        mean = total / n
        return cls(n, mean, cross - np.outer(total, total) / n)

    @property
    def columns(self) -> int:
        return int(self.mean.shape[0])

    @property
    def sums(self) -> FloatArray:
        return self.mean * self.n

    @property
    def cross_products(self) -> FloatArray:
        return self.comoment + np.outer(self.mean, self.mean) * self.n

    def covariance(self, ddof: int = 1) -> FloatArray:
        """Sample covariance matrix; NaN when n <= ddof."""
        if self.n <= ddof:
            return np.full_like(self.comoment, np.nan)
        return self.comoment / (self.n - ddof)

    def merge(self, other: Moments) -> Moments:
        """Moments of the union of two disjoint sets of units (Chan et al.)."""
        if self.n == 0:
            return other
        if other.n == 0:
            return self
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.n / n)
        comoment = self.comoment + other.comoment + np.outer(delta, delta) * (self.n * other.n / n)
        return Moments(n, mean, comoment)


def group_moments(
    codes: NDArray[np.intp], groups: int, columns: Sequence[FloatArray]
) -> list[Moments]:
    """Moments of ``columns`` for each group code in ``range(groups)``, in two vectorised passes.

    The second pass centres on the group means so large offsets do not cost precision.
    """
    counts = np.bincount(codes, minlength=groups)[:groups]
    p = len(columns)
    means = np.zeros((groups, p))
    with np.errstate(invalid="ignore", divide="ignore"):
        for i, column in enumerate(columns):
            totals = np.bincount(codes, weights=column, minlength=groups)[:groups]
            means[:, i] = np.where(counts > 0, totals / np.maximum(counts, 1), 0.0)
    centred = [column - means[codes, i] for i, column in enumerate(columns)]
    comoments = np.zeros((groups, p, p))
    for i in range(p):
        for j in range(i, p):
            value = np.bincount(codes, weights=centred[i] * centred[j], minlength=groups)
            comoments[:, i, j] = value[:groups]
            comoments[:, j, i] = value[:groups]
    return [Moments(int(counts[g]), means[g].copy(), comoments[g].copy()) for g in range(groups)]
