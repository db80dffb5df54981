"""The experiment statistics engine: pure numpy/scipy functions over sufficient statistics.

Public surface (everything else is internal)::

    Moments, group_moments                      sufficient statistics per variant
    mean_estimate, ratio_estimate               per-variant estimates (delta method for ratios)
    cuped_theta, cuped_fit                      CUPED with one or several covariates
    Arm, welch_compare, relative_lift           Welch tests, absolute and relative lifts
    sequential_compare, always_valid_p_value,   always-valid confidence sequences
    confidence_sequence_halfwidth
    srm_check                                   sample ratio mismatch
    non_inferiority, Estimate, Sequential       guardrails
    holm, benjamini_hochberg                    multiple testing
    sample_size_per_variant,                    power and MDE (for a PowerTarget)
    minimum_detectable_effect, PowerTarget
    analyze_metric, assemble_experiment         moments -> result rows -> experiment result
    AnalysisOptions, ExperimentCodes            (level, sequential, correction; known codes)
    recommend                                   ship / stop / continue / invalid

Names are loaded from their modules on first use (PEP 562): a module that needs only the
plain definitions (``spec``, ``margins``) does not pay for numpy and scipy, which took a
second and a half to import in every process that read the experiment definitions.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rastup_data.experiments.stats.codes import ResultCode as ResultCode
    from rastup_data.experiments.stats.cuped import CupedFit as CupedFit
    from rastup_data.experiments.stats.cuped import cuped_fit as cuped_fit
    from rastup_data.experiments.stats.cuped import cuped_theta as cuped_theta
    from rastup_data.experiments.stats.engine import ExperimentCodes as ExperimentCodes
    from rastup_data.experiments.stats.engine import analyze_metric as analyze_metric
    from rastup_data.experiments.stats.engine import assemble_experiment as assemble_experiment
    from rastup_data.experiments.stats.estimates import VariantEstimate as VariantEstimate
    from rastup_data.experiments.stats.estimates import mean_estimate as mean_estimate
    from rastup_data.experiments.stats.estimates import ratio_estimate as ratio_estimate
    from rastup_data.experiments.stats.frequentist import Arm as Arm
    from rastup_data.experiments.stats.frequentist import Comparison as Comparison
    from rastup_data.experiments.stats.frequentist import relative_lift as relative_lift
    from rastup_data.experiments.stats.frequentist import welch_compare as welch_compare
    from rastup_data.experiments.stats.frequentist import welch_df as welch_df
    from rastup_data.experiments.stats.guardrails import Estimate as Estimate
    from rastup_data.experiments.stats.guardrails import GuardrailResult as GuardrailResult
    from rastup_data.experiments.stats.guardrails import GuardrailStatus as GuardrailStatus
    from rastup_data.experiments.stats.guardrails import Sequential as Sequential
    from rastup_data.experiments.stats.guardrails import non_inferiority as non_inferiority
    from rastup_data.experiments.stats.margins import Direction as Direction
    from rastup_data.experiments.stats.margins import MarginKind as MarginKind
    from rastup_data.experiments.stats.moments import Moments as Moments
    from rastup_data.experiments.stats.moments import group_moments as group_moments
    from rastup_data.experiments.stats.multiple_testing import (
        benjamini_hochberg as benjamini_hochberg,
    )
    from rastup_data.experiments.stats.multiple_testing import holm as holm
    from rastup_data.experiments.stats.options import CORRECTIONS as CORRECTIONS
    from rastup_data.experiments.stats.options import AnalysisOptions as AnalysisOptions
    from rastup_data.experiments.stats.power import PowerTarget as PowerTarget
    from rastup_data.experiments.stats.power import (
        minimum_detectable_effect as minimum_detectable_effect,
    )
    from rastup_data.experiments.stats.power import proportion_std_dev as proportion_std_dev
    from rastup_data.experiments.stats.power import (
        sample_size_per_variant as sample_size_per_variant,
    )
    from rastup_data.experiments.stats.recommendation import Decision as Decision
    from rastup_data.experiments.stats.recommendation import Recommendation as Recommendation
    from rastup_data.experiments.stats.recommendation import recommend as recommend
    from rastup_data.experiments.stats.results import ExperimentResult as ExperimentResult
    from rastup_data.experiments.stats.results import MetricResult as MetricResult
    from rastup_data.experiments.stats.results import VariantCount as VariantCount
    from rastup_data.experiments.stats.sequential import DEFAULT_TUNING as DEFAULT_TUNING
    from rastup_data.experiments.stats.sequential import (
        always_valid_p_value as always_valid_p_value,
    )
    from rastup_data.experiments.stats.sequential import (
        confidence_sequence_halfwidth as confidence_sequence_halfwidth,
    )
    from rastup_data.experiments.stats.sequential import sequential_compare as sequential_compare
    from rastup_data.experiments.stats.sequential import sequential_rho as sequential_rho
    from rastup_data.experiments.stats.spec import MetricKind as MetricKind
    from rastup_data.experiments.stats.spec import MetricRole as MetricRole
    from rastup_data.experiments.stats.spec import MetricSpec as MetricSpec
    from rastup_data.experiments.stats.spec import parse_guardrail as parse_guardrail
    from rastup_data.experiments.stats.srm import SRM_THRESHOLD as SRM_THRESHOLD
    from rastup_data.experiments.stats.srm import SrmResult as SrmResult
    from rastup_data.experiments.stats.srm import srm_check as srm_check
    from rastup_data.experiments.stats.srm import srm_p_values as srm_p_values

#: Each public name and the module of this package that defines it.
_EXPORTS: dict[str, str] = {
    "AnalysisOptions": "options",
    "Arm": "frequentist",
    "CORRECTIONS": "options",
    "Comparison": "frequentist",
    "CupedFit": "cuped",
    "DEFAULT_TUNING": "sequential",
    "Decision": "recommendation",
    "Direction": "margins",
    "Estimate": "guardrails",
    "ExperimentCodes": "engine",
    "ExperimentResult": "results",
    "GuardrailResult": "guardrails",
    "GuardrailStatus": "guardrails",
    "MarginKind": "margins",
    "MetricKind": "spec",
    "MetricResult": "results",
    "MetricRole": "spec",
    "MetricSpec": "spec",
    "Moments": "moments",
    "PowerTarget": "power",
    "Recommendation": "recommendation",
    "ResultCode": "codes",
    "SRM_THRESHOLD": "srm",
    "Sequential": "guardrails",
    "SrmResult": "srm",
    "VariantCount": "results",
    "VariantEstimate": "estimates",
    "always_valid_p_value": "sequential",
    "analyze_metric": "engine",
    "assemble_experiment": "engine",
    "benjamini_hochberg": "multiple_testing",
    "confidence_sequence_halfwidth": "sequential",
    "cuped_fit": "cuped",
    "cuped_theta": "cuped",
    "group_moments": "moments",
    "holm": "multiple_testing",
    "mean_estimate": "estimates",
    "minimum_detectable_effect": "power",
    "non_inferiority": "guardrails",
    "parse_guardrail": "spec",
    "proportion_std_dev": "power",
    "ratio_estimate": "estimates",
    "recommend": "recommendation",
    "relative_lift": "frequentist",
    "sample_size_per_variant": "power",
    "sequential_compare": "sequential",
    "sequential_rho": "sequential",
    "srm_check": "srm",
    "srm_p_values": "srm",
    "welch_compare": "frequentist",
    "welch_df": "frequentist",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = sorted(_EXPORTS)
