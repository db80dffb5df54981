"""From per-variant moments to result rows, and from rows to a whole experiment result.

This is the engine every caller shares: ``analysis.analyze_units`` feeds it moments
computed from a unit table; a lake reader can feed it moments aggregated in SQL.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.stats.codes import ResultCode
from rastup_data.experiments.stats.cuped import CupedFit, cuped_fit
from rastup_data.experiments.stats.estimates import (
    VariantEstimate,
    mean_estimate,
    ratio_estimate,
)
from rastup_data.experiments.stats.frequentist import Arm, Comparison, welch_compare
from rastup_data.experiments.stats.guardrails import (
    Estimate,
    GuardrailStatus,
    MarginKind,
    Sequential,
    non_inferiority,
)
from rastup_data.experiments.stats.moments import Moments
from rastup_data.experiments.stats.multiple_testing import benjamini_hochberg, holm
from rastup_data.experiments.stats.options import CORRECTIONS, AnalysisOptions
from rastup_data.experiments.stats.recommendation import recommend
from rastup_data.experiments.stats.results import ExperimentResult, MetricResult, VariantCount
from rastup_data.experiments.stats.sequential import sequential_compare
from rastup_data.experiments.stats.spec import MetricKind, MetricRole, MetricSpec
from rastup_data.experiments.stats.srm import srm_check

__all__ = ["CORRECTIONS", "ExperimentCodes", "analyze_metric", "assemble_experiment"]

_DEFAULTS = AnalysisOptions()
_GUARDRAIL_CODES = {
    GuardrailStatus.FAIL: ResultCode.GUARDRAIL_FAILED.value,
    GuardrailStatus.INCONCLUSIVE: ResultCode.GUARDRAIL_INCONCLUSIVE.value,
    GuardrailStatus.UNDEFINED: ResultCode.GUARDRAIL_INCONCLUSIVE.value,
}
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
    options: AnalysisOptions = _DEFAULTS,
    extra_codes: Mapping[str, Sequence[str]] | None = None,
) -> list[MetricResult]:
    """Rows for one metric: the control row first, then each treatment vs control.

    Moment columns are ``[y, x_1..x_k]`` (CUPED covariates) or ``[numerator, denominator]``
    for ratios. ``kind`` is the resolved kind (never ``auto``).
    """
    if control not in moments:
        raise RastupError(ErrorCode.EXPERIMENT_INVALID, f"no moments for control {control!r}.")
    metric = _MetricAnalysis.of(spec, kind, moments, control, options)
    extra = extra_codes or {}
    rows = [metric.control_row(extra.get(control, ()))]
    for variant in moments:
        if variant != control:
            codes = (*extra.get(variant, ()), *extra.get(control, ()))
            rows.append(metric.treatment_row(variant, codes))
    return rows


@dataclass(frozen=True, slots=True)
class _MetricAnalysis:
    """One metric's estimates per variant (CUPED-adjusted when it applies)."""

    spec: MetricSpec
    kind: MetricKind
    moments: Mapping[str, Moments]
    control: str
    options: AnalysisOptions
    fit: CupedFit | None
    plain: dict[str, VariantEstimate]
    used: dict[str, VariantEstimate]
    metric_codes: tuple[str, ...]

    @classmethod
    def cuped(
        cls, spec: MetricSpec, kind: MetricKind, moments: Mapping[str, Moments]
    ) -> tuple[CupedFit | None, tuple[str, ...]]:
        if spec.covariates and kind is MetricKind.RATIO:
            return None, (ResultCode.CUPED_UNSUPPORTED.value,)
        if not spec.covariates:
            return None, ()
        fit = cuped_fit(list(moments.values()))
        return fit, (() if fit is not None else (ResultCode.CUPED_SINGULAR.value,))

    @classmethod
    def of(
        cls,
        spec: MetricSpec,
        kind: MetricKind,
        moments: Mapping[str, Moments],
        control: str,
        options: AnalysisOptions,
    ) -> _MetricAnalysis:
        cuped, metric_codes = cls.cuped(spec, kind, moments)
        estimate = ratio_estimate if kind is MetricKind.RATIO else mean_estimate
        plain = {v: estimate(m) for v, m in moments.items()}
        used = dict(zip(moments, cuped.estimates, strict=True)) if cuped is not None else plain
        return cls(spec, kind, moments, control, options, cuped, plain, used, metric_codes)

    def _template(self) -> MetricResult:
        fit = self.fit
        return MetricResult(
            metric=self.spec.name,
            kind=self.kind.value,
            role=self.spec.role,
            direction=self.spec.direction,
            variant=self.control,
            is_control=True,
            n=0,
            mean=math.nan,
            adjusted_mean=math.nan,
            cuped=fit is not None,
            cuped_theta=tuple(float(t) for t in fit.theta) if fit is not None else (),
            sequential=self.options.sequential,
        )

    @property
    def _control_codes(self) -> list[str]:
        return _variant_codes(self.used[self.control], self.kind)

    def control_row(self, extra: Sequence[str]) -> MetricResult:
        base = self.used[self.control]
        return replace(
            self._template(),
            n=base.n,
            mean=self.plain[self.control].mean,
            adjusted_mean=base.adjusted_mean,
            codes=_merge_codes(self._control_codes, self.metric_codes, extra),
        )

    def _compare(self, variant: str) -> Comparison:
        base, est = self.used[self.control], self.used[variant]
        options, fit = self.options, self.fit
        extra_var = (
            fit.effect_extra_variance(self.moments[self.control], self.moments[variant])
            if fit is not None
            else 0.0
        )
        cmp = welch_compare(
            Arm(base.adjusted_mean, base.variance_of_mean, base.n),
            Arm(est.adjusted_mean, est.variance_of_mean, est.n),
            options.alpha,
            0.0 if math.isnan(extra_var) else extra_var,
        )
        if options.sequential:
            cmp = sequential_compare(cmp, base.n + est.n, options.alpha, options.tuning)
        return cmp

    def _degenerate_codes(self, variant: str, cmp: Comparison) -> list[str]:
        base, est = self.used[self.control], self.used[variant]
        se = float(cmp.se)
        codes = []
        # Rounding leaves a constant metric with a variance of ~1e-16 of its scale: zero.
        scale = max(abs(base.adjusted_mean), abs(est.adjusted_mean))
        if (
            base.n >= 2
            and est.n >= 2
            and (se <= 1e-12 * scale or se == 0.0 or not math.isfinite(float(cmp.p_value)))
        ):
            codes.append(ResultCode.ZERO_VARIANCE.value)
        if base.adjusted_mean == 0.0:
            codes.append(ResultCode.ZERO_CONTROL_MEAN.value)
        return codes

    def _variance_reduction(self, variant: str, se: float) -> float:
        if self.fit is None:
            return math.nan
        raw = self.plain[self.control].variance_of_mean + self.plain[variant].variance_of_mean
        with np.errstate(all="ignore"):
            return float(1.0 - se**2 / raw) if raw > 0 else math.nan

    def _guardrail(self, row: MetricResult, variant: str, cmp: Comparison) -> MetricResult:
        spec, options = self.spec, self.options
        relative = spec.margin_kind is MarginKind.RELATIVE
        total = self.used[self.control].n + self.used[variant].n
        g = non_inferiority(
            Estimate(
                float(cmp.relative if relative else cmp.effect),
                float(cmp.relative_se if relative else cmp.se),
                float(cmp.df),
            ),
            spec.margin,
            spec.direction,
            options.alpha,
            sequential=Sequential(total, options.tuning) if options.sequential else None,
        )
        code = _GUARDRAIL_CODES.get(g.status)
        return replace(
            row,
            guardrail=g.status,
            guardrail_p_value=g.p_value,
            guardrail_bound=g.bound,
            guardrail_margin=g.margin,
            guardrail_margin_kind=spec.margin_kind.value,
            codes=_merge_codes(row.codes, [code] if code else []),
        )

    def treatment_row(self, variant: str, extra: Sequence[str]) -> MetricResult:
        est = self.used[variant]
        cmp = self._compare(variant)
        se, p_value = float(cmp.se), float(cmp.p_value)
        codes = _merge_codes(
            _variant_codes(est, self.kind),
            self._control_codes,
            self.metric_codes,
            extra,
            self._degenerate_codes(variant, cmp),
        )
        row = replace(self._template(), variant=variant, is_control=False, codes=codes)
        if self.spec.role is MetricRole.GUARDRAIL:
            row = self._guardrail(row, variant, cmp)
        return replace(
            row,
            n=est.n,
            mean=self.plain[variant].mean,
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
            significant=p_value < self.options.alpha,
            variance_reduction=self._variance_reduction(variant, se),
        )


def _apply_correction(
    rows: Sequence[MetricResult], correction: str, alpha: float
) -> list[MetricResult]:
    family = [i for i, r in enumerate(rows) if r.role is MetricRole.PRIMARY and not r.is_control]
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


@dataclass(frozen=True, slots=True)
class ExperimentCodes:
    """What the caller already knows: data-quality flags (they block a decision) and result
    codes of the whole experiment (e.g. duplicate units)."""

    quality_flags: Sequence[str] = ()
    experiment: Sequence[str] = ()


def assemble_experiment(
    rows: Sequence[MetricResult],
    counts: Mapping[str, int],
    control: str,
    *,
    options: AnalysisOptions = _DEFAULTS,
    weights: Mapping[str, float] | None = None,
    codes: ExperimentCodes = ExperimentCodes(),
) -> ExperimentResult:
    """Correct primary p-values, check SRM, and decide, for rows of every metric."""
    options.check()
    alpha = options.alpha
    srm = srm_check(counts, weights, options.srm_threshold)
    corrected = _apply_correction(rows, options.correction, alpha)
    row_codes = sorted({c for r in corrected for c in r.codes})
    flags = _quality_flags(codes, row_codes)
    decision = recommend(
        corrected, srm_flag=srm.flagged, quality_flags=flags, alpha=alpha, final=options.final
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
        sequential=options.sequential,
        correction=options.correction,
        srm_p_value=srm.p_value,
        srm_flag=srm.flagged,
        recommendation=decision.recommendation.value,
        winner=decision.winner,
        reasons=decision.reasons,
        codes=_merge_codes(_experiment_codes(codes, srm_flag=srm.flagged), row_codes),
        variants=variants,
        results=tuple(corrected),
        quality_flags=tuple(flags),
        sequential_tuning=options.tuning if options.sequential else None,
    )


def _experiment_codes(codes: ExperimentCodes, *, srm_flag: bool) -> list[str]:
    out = list(codes.experiment)
    if srm_flag:
        out.append(ResultCode.SRM_DETECTED.value)
    if codes.quality_flags:
        out.append(ResultCode.DATA_QUALITY.value)
    return out


def _quality_flags(codes: ExperimentCodes, row_codes: Sequence[str]) -> list[str]:
    """The caller's flags plus the blocking codes found in rows or the experiment."""
    flags = list(codes.quality_flags)
    for code in _BLOCKING:
        if (code in row_codes or code in codes.experiment) and code not in flags:
            flags.append(code)
    return flags
