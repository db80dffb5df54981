"""Result records of an analysis and their documented snake_case JSON form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rastup_data.experiments.stats.guardrails import Direction, GuardrailStatus
from rastup_data.experiments.stats.spec import MetricRole

__all__ = ["ExperimentResult", "MetricResult", "VariantCount"]


def _num(value: float | None) -> float | None:
    """JSON-safe number: NaN and infinities become null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True, slots=True)
class MetricResult:
    """One metric for one variant, compared with control (effect fields are NaN for control)."""

    metric: str
    kind: str
    role: MetricRole
    direction: Direction
    variant: str
    is_control: bool
    n: int
    mean: float
    adjusted_mean: float
    effect: float = math.nan
    effect_se: float = math.nan
    df: float = math.nan
    relative_effect: float = math.nan
    relative_se: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    relative_ci_low: float = math.nan
    relative_ci_high: float = math.nan
    p_value: float = math.nan
    p_value_holm: float = math.nan
    p_value_bh: float = math.nan
    p_value_adjusted: float = math.nan
    significant: bool = False
    cuped: bool = False
    cuped_theta: tuple[float, ...] = ()
    variance_reduction: float = math.nan
    sequential: bool = False
    guardrail: GuardrailStatus | None = None
    guardrail_margin: float = math.nan
    guardrail_margin_kind: str | None = None
    guardrail_p_value: float = math.nan
    guardrail_bound: float = math.nan
    codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Rows read back from JSON or written by hand carry the names: hold the members.
        object.__setattr__(self, "role", MetricRole(self.role))
        object.__setattr__(self, "direction", Direction(self.direction))
        if self.guardrail is not None:
            object.__setattr__(self, "guardrail", GuardrailStatus(self.guardrail))

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "kind": self.kind,
            "role": self.role.value,
            "direction": self.direction.value,
            "variant": self.variant,
            "is_control": self.is_control,
            "n": self.n,
            "mean": _num(self.mean),
            "adjusted_mean": _num(self.adjusted_mean),
            "effect": _num(self.effect),
            "effect_se": _num(self.effect_se),
            "df": _num(self.df),
            "relative_effect": _num(self.relative_effect),
            "relative_se": _num(self.relative_se),
            "ci_low": _num(self.ci_low),
            "ci_high": _num(self.ci_high),
            "relative_ci_low": _num(self.relative_ci_low),
            "relative_ci_high": _num(self.relative_ci_high),
            "p_value": _num(self.p_value),
            "p_value_holm": _num(self.p_value_holm),
            "p_value_bh": _num(self.p_value_bh),
            "p_value_adjusted": _num(self.p_value_adjusted),
            "significant": self.significant,
            "cuped": self.cuped,
            "cuped_theta": [float(t) for t in self.cuped_theta],
            "variance_reduction": _num(self.variance_reduction),
            "sequential": self.sequential,
            "guardrail": self.guardrail.value if self.guardrail is not None else None,
            "guardrail_margin": _num(self.guardrail_margin),
            "guardrail_margin_kind": self.guardrail_margin_kind,
            "guardrail_p_value": _num(self.guardrail_p_value),
            "guardrail_bound": _num(self.guardrail_bound),
            "codes": list(self.codes),
        }


@dataclass(frozen=True, slots=True)
class VariantCount:
    """Units per variant against the configured weight (the SRM inputs)."""

    variant: str
    n: int
    weight: float
    expected_n: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "n": self.n,
            "weight": self.weight,
            "expected_n": _num(self.expected_n),
        }


@dataclass(frozen=True, slots=True)
class ExperimentResult:
    """A whole analysis: SRM, per-metric rows, codes and the recommendation."""

    control: str
    alpha: float
    sequential: bool
    correction: str
    srm_p_value: float
    srm_flag: bool
    recommendation: str
    winner: str | None
    reasons: tuple[str, ...]
    codes: tuple[str, ...]
    variants: tuple[VariantCount, ...]
    results: tuple[MetricResult, ...]
    quality_flags: tuple[str, ...] = ()
    sequential_tuning: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def rows(self, metric: str | None = None) -> list[MetricResult]:
        return [r for r in self.results if metric is None or r.metric == metric]

    def row(self, metric: str, variant: str) -> MetricResult:
        for r in self.results:
            if r.metric == metric and r.variant == variant:
                return r
        raise KeyError((metric, variant))

    def to_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "alpha": self.alpha,
            "sequential": self.sequential,
            "sequential_tuning": self.sequential_tuning,
            "correction": self.correction,
            "srm_p_value": _num(self.srm_p_value),
            "srm_flag": self.srm_flag,
            "recommendation": self.recommendation,
            "winner": self.winner,
            "reasons": list(self.reasons),
            "codes": list(self.codes),
            "quality_flags": list(self.quality_flags),
            "variants": [v.to_dict() for v in self.variants],
            "results": [r.to_dict() for r in self.results],
            "meta": dict(self.meta),
        }
