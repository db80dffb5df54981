"""Shorthands that turn a spec and evidence into a CheckResult."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rastup_data.quality.model import CheckResult, CheckSeverity, CheckSpec, CheckStatus, Scalar

__all__ = ["capped", "failed", "passed", "skipped"]


def capped(spec: CheckSpec, level: CheckSeverity) -> CheckSeverity:
    """The outcome severity: ``level``, but never louder than the spec allows."""
    if spec.severity is CheckSeverity.WARN:
        return CheckSeverity.WARN
    return level


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What a check saw: the observed value, the threshold it was held to, sample rows."""

    observed: Scalar
    threshold: Scalar
    sample_rows: Sequence[dict[str, Any]]


def _result(
    spec: CheckSpec,
    status: CheckStatus,
    severity: CheckSeverity,
    message: str,
    evidence: _Evidence,
) -> CheckResult:
    return CheckResult(
        name=spec.name,
        kind=spec.kind,
        severity=severity,
        status=status,
        message=message,
        observed=evidence.observed,
        threshold=evidence.threshold,
        sample_rows=tuple(evidence.sample_rows),
        table=spec.table,
        alert=spec.alert,
    )


def passed(
    spec: CheckSpec,
    message: str,
    *,
    observed: Scalar = None,
    threshold: Scalar = None,
    sample_rows: Sequence[dict[str, Any]] = (),
) -> CheckResult:
    evidence = _Evidence(observed, threshold, sample_rows)
    return _result(spec, CheckStatus.PASSED, spec.severity, message, evidence)


def failed(
    spec: CheckSpec,
    message: str,
    *,
    severity: CheckSeverity | None = None,
    observed: Scalar = None,
    threshold: Scalar = None,
    sample_rows: Sequence[dict[str, Any]] = (),
) -> CheckResult:
    level = spec.severity if severity is None else capped(spec, severity)
    evidence = _Evidence(observed, threshold, sample_rows)
    return _result(spec, CheckStatus.FAILED, level, message, evidence)


def skipped(
    spec: CheckSpec,
    message: str,
    *,
    observed: Scalar = None,
    threshold: Scalar = None,
    sample_rows: Sequence[dict[str, Any]] = (),
) -> CheckResult:
    evidence = _Evidence(observed, threshold, sample_rows)
    return _result(spec, CheckStatus.SKIPPED, spec.severity, message, evidence)
