"""Guardrails: one-sided non-inferiority tests with a relative or absolute margin.

On the "good" scale g (the effect, sign-flipped when lower is better) the guardrail
tests H0: g <= -margin against H1: g > -margin. Outcomes:

* ``pass``: non-inferiority shown (p < alpha: the one-sided bound clears the margin);
* ``fail``: not shown, and the metric is significantly worse (one-sided harm test p < alpha);
* ``inconclusive``: neither yet; ``undefined``: no valid standard error.

Sequential analyses use the always-valid two-sided sequence at level 2 alpha, whose
one-sided bounds hold at level alpha uniformly over time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from scipy import stats as sps

from rastup_data.experiments.stats.margins import Direction, MarginKind
from rastup_data.experiments.stats.sequential import (
    DEFAULT_TUNING,
    always_valid_p_value,
    confidence_sequence_halfwidth,
)

__all__ = [
    "Direction",
    "Estimate",
    "GuardrailResult",
    "GuardrailStatus",
    "MarginKind",
    "Sequential",
    "non_inferiority",
]


class GuardrailStatus(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    UNDEFINED = "undefined"


@dataclass(frozen=True, slots=True)
class GuardrailResult:
    """Outcome of one guardrail test; ``bound`` is the worst plausible effect (same scale)."""

    status: GuardrailStatus
    p_value: float
    bound: float
    margin: float


@dataclass(frozen=True, slots=True)
class Estimate:
    """An effect with its standard error and degrees of freedom (``inf`` for a z-test)."""

    effect: float
    se: float
    df: float


@dataclass(frozen=True, slots=True)
class Sequential:
    """Always-valid testing: the total units seen so far and the mixture's tuning."""

    n: int
    tuning: float = DEFAULT_TUNING


def non_inferiority(
    estimate: Estimate,
    margin: float,
    direction: Direction = Direction.INCREASE,
    alpha: float = 0.05,
    *,
    sequential: Sequential | None = None,
) -> GuardrailResult:
    """Non-inferiority of the estimate's effect (absolute or relative, matching ``margin``)
    at level alpha; ``sequential`` switches to the always-valid version."""
    effect, se, df = estimate.effect, estimate.se, estimate.df
    sign = 1.0 if direction is Direction.INCREASE else -1.0
    margin = abs(margin)
    if not (math.isfinite(effect) and math.isfinite(se) and se > 0):
        return GuardrailResult(GuardrailStatus.UNDEFINED, math.nan, math.nan, margin)
    good = sign * effect
    shifted = good + margin
    if sequential is None:
        dof = df if math.isfinite(df) and df > 0 else math.inf
        p_value = float(sps.t.sf(shifted / se, dof))
        half = float(sps.t.ppf(1.0 - alpha, dof)) * se
        harmful = float(sps.t.cdf(good / se, dof)) < alpha
    else:
        n, tuning = sequential.n, sequential.tuning
        half = float(confidence_sequence_halfwidth(se, n, 2.0 * alpha, tuning))
        two_sided = float(always_valid_p_value(shifted, se, n, 2.0 * alpha, tuning))
        p_value = min(1.0, two_sided / 2.0) if shifted > 0 else 1.0
        harmful = good + half < 0
    bound = good - half
    if p_value < alpha:
        status = GuardrailStatus.PASS
    elif harmful:
        status = GuardrailStatus.FAIL
    else:
        status = GuardrailStatus.INCONCLUSIVE
    return GuardrailResult(status, p_value, sign * bound, margin)
