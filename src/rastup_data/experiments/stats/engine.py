"""From per-variant moments to result rows, and from rows to a whole experiment result.

This is the engine every caller shares: ``analysis.analyze_units`` feeds it moments
computed from a unit table; a lake reader can feed it moments aggregated in SQL.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.stats.codes import ResultCode
from rastup_data.experiments.stats.cuped import CupedFit, cuped_fit
from rastup_data.experiments.stats.estimates import (
    VariantEstimate,
    mean_estimate,
    ratio_estimate,
)
from rastup_data.experiments.stats.frequentist import Arm, welch_compare
from rastup_data.experiments.stats.guardrails import (
    Estimate,
    GuardrailStatus,
    MarginKind,
    Sequential,
    non_inferiority,
)
from rastup_data.experiments.stats.moments import Moments
from rastup_data.experiments.stats.multiple_testing import benjamini_hochberg, holm
from rastup_data.experiments.stats.recommendation import recommend
from rastup_data.experiments.stats.results import ExperimentResult, MetricResult, VariantCount
from rastup_data.experiments.stats.sequential import DEFAULT_TUNING, sequential_compare
from rastup_data.experiments.stats.spec import MetricKind, MetricRole, MetricSpec
from rastup_data.experiments.stats.srm import SRM_THRESHOLD, srm_check

__all__ = ["CORRECTIONS", "analyze_metric", "assemble_experiment"]

CORRECTIONS = ("holm", "bh", "none")
#: Codes that make a result unusable for decisions: they count as data-quality flags.
_BLOCKING = (ResultCode.DUPLICATE_UNITS.value, ResultCode.EMPTY_VARIANT.value)


def _variant_codes(estimate: VariantEstimate, kind: MetricKind) -> list[str]:
    if estimate.n == 0:
        return [ResultCode.EMPTY_VARIANT.value]
    codes = []
    if kind is MetricKind.RATIO and math.isnan(estimate.mean):
        codes.append(ResultCode.ZERO_DENOMINATOR.value)
    if estimate.n < 2:
        codes.append(ResultCode.TOO_FEW_UNITS.value)
    return codes


def _merge_codes(*groups: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for code in group:
            seen.setdefault(code, None)
    return tuple(seen)


def analyze_metric(
    spec: MetricSpec,
    kind: MetricKind,
    moments: Mapping[str, Moments],
    control: str,
    *,
    alpha: float = 0.05,
    sequential: bool = False,
    tuning: float = DEFAULT_TUNING,
    extra_codes: Mapping[str, Sequence[str]] | None = None,
) -> list[MetricResult]:
    """Rows for one metric: the control row first, then each treatment vs control.

    Moment columns are ``[y, x_1..x_k]`` (CUPED covariates) or ``[numerator, denominator]``
    for ratios. ``kind`` is the resolved kind (never ``auto``).
    """
    names = list(moments)
    if control not in moments:
        raise RastupError(ErrorCode.EXPERIMENT_INVALID, f"no moments for control {control!r}.")
    extra = extra_codes or {}
    metric_codes: list[str] = []
    fit: CupedFit | None = None
    if spec.covariates and kind is MetricKind.RATIO:
        metric_codes.append(ResultCode.CUPED_UNSUPPORTED.value)
    elif spec.covariates:
        fit = cuped_fit([moments[v] for v in names])
        if fit is None:
            metric_codes.append(ResultCode.CUPED_SINGULAR.value)
    if kind is MetricKind.RATIO:
        plain = {v: ratio_estimate(moments[v]) for v in names}
    else:
        plain = {v: mean_estimate(moments[v]) for v in names}
    used = dict(zip(names, fit.estimates, strict=True)) if fit is not None else plain
    theta = tuple(float(t) for t in fit.theta) if fit is not None else ()
    template = MetricResult(
        metric=spec.name,
        kind=kind.value,
        role=spec.role.value,
        direction=spec.direction.value,
        variant=control,
        is_control=True,
        n=0,
        mean=math.nan,
        adjusted_mean=math.nan,
        cuped=fit is not None,
        cuped_theta=theta,
        sequential=sequential,
    )
    base = used[control]
    control_codes = _variant_codes(base, kind)
    rows = [
        replace(
            template,
            n=base.n,
            mean=plain[control].mean,
            adjusted_mean=base.adjusted_mean,
            codes=_merge_codes(control_codes, metric_codes, extra.get(control, ())),
        )
    ]
    for variant in names:
        if variant == control:
            continue
        est = used[variant]
        codes = _merge_codes(
            _variant_codes(est, kind),
            control_codes,
            metric_codes,
            extra.get(variant, ()),
            extra.get(control, ()),
        )
        extra_var = (
            fit.effect_extra_variance(moments[control], moments[variant])
            if fit is not None
            else 0.0
        )
        cmp = welch_compare(
            Arm(base.adjusted_mean, base.variance_of_mean, base.n),
            Arm(est.adjusted_mean, est.variance_of_mean, est.n),
            alpha,
            0.0 if math.isnan(extra_var) else extra_var,
        )
        if sequential:
            cmp = sequential_compare(cmp, base.n + est.n, alpha, tuning)
        se = float(cmp.se)
        # Rounding leaves a constant metric with a variance of ~1e-16 of its scale: zero.
        scale = max(abs(base.adjusted_mean), abs(est.adjusted_mean))
        if (
            base.n >= 2
            and est.n >= 2
            and (se <= 1e-12 * scale or se == 0.0 or not math.isfinite(float(cmp.p_value)))
        ):
            codes = _merge_codes(codes, [ResultCode.ZERO_VARIANCE.value])
        if base.adjusted_mean == 0.0:
            codes = _merge_codes(codes, [ResultCode.ZERO_CONTROL_MEAN.value])
        reduction = math.nan
        if fit is not None:
            raw = plain[control].variance_of_mean + plain[variant].variance_of_mean
            with np.errstate(all="ignore"):
                reduction = float(1.0 - se**2 / raw) if raw > 0 else math.nan
        row = replace(template, variant=variant, is_control=False)
        if spec.role is MetricRole.GUARDRAIL:
            relative = spec.margin_kind is MarginKind.RELATIVE
            g = non_inferiority(
                Estimate(
                    float(cmp.relative if relative else cmp.effect),
                    float(cmp.relative_se if relative else cmp.se),
                    float(cmp.df),
                ),
                spec.margin,
                spec.direction,
                alpha,
                sequential=Sequential(base.n + est.n, tuning) if sequential else None,
            )
            row = replace(
                row,
                guardrail=g.status.value,
                guardrail_p_value=g.p_value,
                guardrail_bound=g.bound,
                guardrail_margin=g.margin,
                guardrail_margin_kind=spec.margin_kind.value,
            )
            if g.status is GuardrailStatus.FAIL:
                codes = _merge_codes(codes, [ResultCode.GUARDRAIL_FAILED.value])
            elif g.status is not GuardrailStatus.PASS:
                codes = _merge_codes(codes, [ResultCode.GUARDRAIL_INCONCLUSIVE.value])
        p_value = float(cmp.p_value)
        rows.append(
            replace(
                row,
                n=est.n,
                mean=plain[variant].mean,
                adjusted_mean=est.adjusted_mean,
                effect=float(cmp.effect),
                effect_se=se,
                df=float(cmp.df),
                relative_effect=float(cmp.relative),
                relative_se=float(cmp.relative_se),
                ci_low=float(cmp.ci_low),
                ci_high=float(cmp.ci_high),
                relative_ci_low=float(cmp.relative_ci_low),
                relative_ci_high=float(cmp.relative_ci_high),
                p_value=p_value,
                significant=p_value < alpha,
                variance_reduction=reduction,
                codes=codes,
            )
        )
    return rows


def _apply_correction(
    rows: Sequence[MetricResult], correction: str, alpha: float
) -> list[MetricResult]:
    family = [i for i, r in enumerate(rows) if r.role == "primary" and not r.is_control]
    out = list(rows)
    if not family:
        return out
    raw = np.array([rows[i].p_value for i in family])
    holm_p = holm(raw)
    bh_p = benjamini_hochberg(raw)
    chosen = {"holm": holm_p, "bh": bh_p, "none": raw}[correction]
    for k, i in enumerate(family):
        adjusted = float(chosen[k])
        out[i] = replace(
            rows[i],
            p_value_holm=float(holm_p[k]),
            p_value_bh=float(bh_p[k]),
            p_value_adjusted=adjusted,
            significant=math.isfinite(adjusted) and adjusted < alpha,
        )
    return out


def assemble_experiment(
    rows: Sequence[MetricResult],
    counts: Mapping[str, int],
    control: str,
    *,
    alpha: float = 0.05,
    weights: Mapping[str, float] | None = None,
    sequential: bool = False,
    tuning: float = DEFAULT_TUNING,
    correction: str = "holm",
    quality_flags: Sequence[str] = (),
    experiment_codes: Sequence[str] = (),
    final: bool = False,
    srm_threshold: float = SRM_THRESHOLD,
) -> ExperimentResult:
    """Correct primary p-values, check SRM, and decide, for rows of every metric."""
    if correction not in CORRECTIONS:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"unknown correction {correction!r}; use one of {', '.join(CORRECTIONS)}.",
        )
    srm = srm_check(counts, weights, srm_threshold)
    corrected = _apply_correction(rows, correction, alpha)
    all_codes = list(experiment_codes)
    if srm.flagged:
        all_codes.append(ResultCode.SRM_DETECTED.value)
    flags = list(quality_flags)
    if quality_flags:
        all_codes.append(ResultCode.DATA_QUALITY.value)
    row_codes = sorted({c for r in corrected for c in r.codes})
    for code in _BLOCKING:
        if (code in row_codes or code in experiment_codes) and code not in flags:
            flags.append(code)
    decision = recommend(
        corrected, srm_flag=srm.flagged, quality_flags=flags, alpha=alpha, final=final
    )
    configured = dict(weights) if weights is not None else dict.fromkeys(counts, 1.0)
    total_weight = sum(configured.values())
    variants = tuple(
        VariantCount(name, srm.observed[name], configured[name] / total_weight, srm.expected[name])
        for name in srm.observed
    )
    return ExperimentResult(
        control=control,
        alpha=alpha,
        sequential=sequential,
        correction=correction,
        srm_p_value=srm.p_value,
        srm_flag=srm.flagged,
        recommendation=decision.recommendation.value,
        winner=decision.winner,
        reasons=decision.reasons,
        codes=_merge_codes(all_codes, row_codes),
        variants=variants,
        results=tuple(corrected),
        quality_flags=tuple(flags),
        sequential_tuning=tuning if sequential else None,
    )
