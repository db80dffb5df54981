"""Multiple-testing corrections: Holm (family-wise error) and Benjamini–Hochberg (FDR).

NaN p-values (undefined tests) are left out of the family and stay NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["benjamini_hochberg", "holm"]

FloatArray = NDArray[np.float64]


def _family(p_values: ArrayLike) -> tuple[FloatArray, FloatArray, NDArray[np.intp]]:
    """The p-values as floats, an all-NaN result of their shape, and the positions of the
    family (the non-NaN ones) in ascending order of p, ties in input order."""
    p = np.asarray(p_values, dtype=np.float64)
    idx = np.flatnonzero(~np.isnan(p))
    return p, np.full_like(p, np.nan), idx[np.argsort(p[idx], kind="stable")]


def holm(p_values: ArrayLike) -> FloatArray:
    """Holm step-down adjusted p-values."""
    p, out, order = _family(p_values)
    m = order.size
    if m == 0:
        return out
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return out


def benjamini_hochberg(p_values: ArrayLike) -> FloatArray:
    """Benjamini–Hochberg step-up adjusted p-values (q-values)."""
    p, out, order = _family(p_values)
    m = order.size
    if m == 0:
        return out
    scaled = p[order] * m / np.arange(1, m + 1)
    out[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return out
