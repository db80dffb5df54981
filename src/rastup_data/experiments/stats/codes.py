"""Result codes: degenerate statistics and data conditions reported as data, never raised."""

from __future__ import annotations

from enum import Enum

__all__ = ["ResultCode"]


class ResultCode(str, Enum):
    """Machine-readable conditions attached to a result row or to the whole analysis.

    Values never change once published; ``docs/experiments-statistics.md`` explains each.
    """

    EMPTY_VARIANT = "EMPTY_VARIANT"
    TOO_FEW_UNITS = "TOO_FEW_UNITS"
    ZERO_VARIANCE = "ZERO_VARIANCE"
    ZERO_DENOMINATOR = "ZERO_DENOMINATOR"
    ZERO_CONTROL_MEAN = "ZERO_CONTROL_MEAN"
    MISSING_VALUES = "MISSING_VALUES"
    CUPED_UNSUPPORTED = "CUPED_UNSUPPORTED"
    CUPED_SINGULAR = "CUPED_SINGULAR"
    SRM_DETECTED = "SRM_DETECTED"
    DATA_QUALITY = "DATA_QUALITY"
    DUPLICATE_UNITS = "DUPLICATE_UNITS"
    GUARDRAIL_FAILED = "GUARDRAIL_FAILED"
    GUARDRAIL_INCONCLUSIVE = "GUARDRAIL_INCONCLUSIVE"
