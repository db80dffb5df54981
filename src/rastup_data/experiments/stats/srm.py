"""Sample ratio mismatch: chi-square goodness of fit of unit counts against configured weights."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["SRM_THRESHOLD", "SrmResult", "srm_check", "srm_p_values"]

#: p-values below this flag a mismatch (a deliberately strict threshold: SRM is checked often).
SRM_THRESHOLD = 0.001


@dataclass(frozen=True, slots=True)
class SrmResult:
    """Observed and expected unit counts per variant and the test outcome."""

    observed: dict[str, int]
    expected: dict[str, float]
    statistic: float
    p_value: float
    flagged: bool


def srm_p_values(counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Vectorised chi-square p-values; ``counts`` has variants on its last axis."""
    observed = np.asarray(counts, dtype=np.float64)
    share = np.asarray(weights, dtype=np.float64)
    share = share / share.sum()
    total = observed.sum(axis=-1, keepdims=True)
    expected = total * share
    with np.errstate(all="ignore"):
        statistic = np.where(expected > 0, (observed - expected) ** 2 / expected, 0.0).sum(axis=-1)
    p = sps.chi2.sf(statistic, df=observed.shape[-1] - 1)
    return np.where(total[..., 0] > 0, p, 1.0)


def srm_check(
    counts: Mapping[str, int],
    weights: Mapping[str, float] | None = None,
    threshold: float = SRM_THRESHOLD,
) -> SrmResult:
    """Test counts against weights (equal weights when None); flag when p < threshold."""
    names = list(counts)
    if weights is None:
        weights = dict.fromkeys(names, 1.0)
    unknown = sorted(set(names) - set(weights))
    if unknown:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"weights do not cover variant(s) {', '.join(unknown)}; "
            "give a weight for every variant.",
        )
    names = list(weights)
    share = np.array([float(weights[name]) for name in names])
    if len(names) < 2 or not np.all(np.isfinite(share)) or np.any(share <= 0):
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            "weights must name at least two variants, each with a positive weight.",
        )
    observed = np.array([int(counts.get(name, 0)) for name in names], dtype=np.float64)
    total = observed.sum()
    expected = total * share / share.sum()
    with np.errstate(all="ignore"):
        statistic = float(np.where(expected > 0, (observed - expected) ** 2 / expected, 0.0).sum())
    p_value = float(sps.chi2.sf(statistic, df=len(names) - 1)) if total > 0 else 1.0
    return SrmResult(
        observed={name: int(c) for name, c in zip(names, observed, strict=True)},
        expected={name: float(e) for name, e in zip(names, expected, strict=True)},
        statistic=statistic,
        p_value=p_value,
        flagged=p_value < threshold,
    )
