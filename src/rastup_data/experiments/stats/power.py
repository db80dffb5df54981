"""Power and minimum detectable effect for a two-arm comparison of means (normal approximation).

Per-variant n for an absolute MDE delta with unit standard deviation sigma:
``n = (z_{1-alpha/2} + z_{power})^2 * 2 sigma^2 (1 - r) / delta^2``, where r is the
fraction of variance CUPED removes (r = rho^2 for one covariate with correlation rho).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats as sps

from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "MAX_UNITS",
    "PowerTarget",
    "minimum_detectable_effect",
    "proportion_std_dev",
    "sample_size_per_variant",
]


#: The most units per variant planned for (a trillion): beyond it the inputs are a mistake.
MAX_UNITS = 10**12


@dataclass(frozen=True, slots=True)
class PowerTarget:
    """The test to plan for: two-sided level ``alpha``, the ``power`` wanted, and the share of
    variance CUPED removes (``variance_reduction`` = rho^2 for one covariate)."""

    alpha: float = 0.05
    power: float = 0.8
    variance_reduction: float = 0.0


def _check(target: PowerTarget, std_dev: float) -> None:
    alpha, power, variance_reduction = target.alpha, target.power, target.variance_reduction
    if not 0 < alpha < 1:
        raise RastupError(ErrorCode.EXPERIMENT_INVALID, f"alpha must be in (0, 1), got {alpha}.")
    if not 0 < power < 1:
        raise RastupError(ErrorCode.EXPERIMENT_INVALID, f"power must be in (0, 1), got {power}.")
    if not (math.isfinite(std_dev) and std_dev > 0):
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID, f"the standard deviation must be positive, got {std_dev}."
        )
    if not 0 <= variance_reduction < 1:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"variance_reduction must be in [0, 1), got {variance_reduction}.",
        )


def _z_total(alpha: float, power: float) -> float:
    return float(sps.norm.ppf(1.0 - alpha / 2.0) + sps.norm.ppf(power))


def proportion_std_dev(rate: float) -> float:
    """Unit standard deviation of a 0/1 metric with the given baseline rate."""
    if not 0 < rate < 1:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID, f"a baseline rate must be in (0, 1), got {rate}."
        )
    return math.sqrt(rate * (1.0 - rate))


def _absolute(mde: float, baseline_mean: float | None, *, relative: bool) -> float:
    if relative:
        if baseline_mean is None or baseline_mean == 0:
            raise RastupError(
                ErrorCode.EXPERIMENT_INVALID, "a relative MDE needs a non-zero baseline mean."
            )
        return abs(mde * baseline_mean)
    return abs(mde)


def sample_size_per_variant(
    mde: float,
    std_dev: float,
    *,
    target: PowerTarget = PowerTarget(),
    relative: bool = False,
    baseline_mean: float | None = None,
) -> int:
    """Units needed in each of two equal arms to detect ``mde`` (two-sided test)."""
    _check(target, std_dev)
    delta = _absolute(mde, baseline_mean, relative=relative)
    if not (math.isfinite(delta) and delta > 0):
        raise RastupError(ErrorCode.EXPERIMENT_INVALID, f"the MDE must be non-zero, got {mde}.")
    z = _z_total(target.alpha, target.power)
    try:
        units = z**2 * 2.0 * std_dev**2 * (1.0 - target.variance_reduction) / delta**2
    except (OverflowError, ZeroDivisionError):  # delta**2 beyond or below a float
        units = math.inf
    if not units <= MAX_UNITS:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"the MDE {mde:g} is out of range: no sample size of at most {MAX_UNITS:,} units "
            "per variant fits it.",
        )
    return math.ceil(units)


def minimum_detectable_effect(
    n_per_variant: int,
    std_dev: float,
    *,
    target: PowerTarget = PowerTarget(),
    relative: bool = False,
    baseline_mean: float | None = None,
) -> float:
    """Smallest effect detectable with ``n_per_variant`` units in each of two equal arms.

    Absolute by default; relative to ``baseline_mean`` when ``relative``.
    """
    _check(target, std_dev)
    if not 2 <= n_per_variant <= MAX_UNITS:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"n per variant must be between 2 and {MAX_UNITS:,}, got {n_per_variant:,}.",
        )
    delta = (
        _z_total(target.alpha, target.power)
        * std_dev
        * math.sqrt(2.0 * (1.0 - target.variance_reduction) / n_per_variant)
    )
    if relative:
        if baseline_mean is None or baseline_mean == 0:
            raise RastupError(
                ErrorCode.EXPERIMENT_INVALID, "a relative MDE needs a non-zero baseline mean."
            )
        return delta / abs(baseline_mean)
    return delta
