"""Data-quality gates for a staging build, and the golden-mart comparator.

Public surface::

    run_quality_gates(conn, suite=None, catalog=None, as_of=None,
                      on_result=log_raised_alert) -> GateReport
    log_raised_alert(result)   # the default observer: a WARNING line per raised alert
    QualityCatalog.from_project(dbt_project)   # what schema.yml declares, via the manifest
    default_suite(catalog) -> tuple[CheckSpec, ...]
    raise_if_blocking(report)  # raises QualityCheckFailed (QUALITY_CHECK_FAILED)
    compare_marts(conn, golden) -> MartComparison; load_golden(path)

Exception tree::

    RastupError
    └── QualityCheckFailed   code QUALITY_CHECK_FAILED, carries ``.report``
"""

from __future__ import annotations

from rastup_data.quality.catalog import QualityCatalog as QualityCatalog
from rastup_data.quality.failure import QualityCheckFailed as QualityCheckFailed
from rastup_data.quality.failure import raise_if_blocking as raise_if_blocking
from rastup_data.quality.gate import ResultObserver as ResultObserver
from rastup_data.quality.gate import log_raised_alert as log_raised_alert
from rastup_data.quality.gate import run_quality_gates as run_quality_gates
from rastup_data.quality.gate import validate_suite as validate_suite
from rastup_data.quality.golden import CellDifference as CellDifference
from rastup_data.quality.golden import MartComparison as MartComparison
from rastup_data.quality.golden import MartDiff as MartDiff
from rastup_data.quality.golden import compare_marts as compare_marts
from rastup_data.quality.golden import load_golden as load_golden
from rastup_data.quality.model import CheckContext as CheckContext
from rastup_data.quality.model import CheckKind as CheckKind
from rastup_data.quality.model import CheckResult as CheckResult
from rastup_data.quality.model import CheckSeverity as CheckSeverity
from rastup_data.quality.model import CheckSpec as CheckSpec
from rastup_data.quality.model import CheckStatus as CheckStatus
from rastup_data.quality.model import RunnableCheck as RunnableCheck
from rastup_data.quality.report import GateReport as GateReport
from rastup_data.quality.report import print_report as print_report
from rastup_data.quality.report import render_report as render_report
from rastup_data.quality.suite import default_suite as default_suite
from rastup_data.quality.suite import load_suite as load_suite
from rastup_data.quality.suite import suite_from_records as suite_from_records

__all__ = [
    "CellDifference",
    "CheckContext",
    "CheckKind",
    "CheckResult",
    "CheckSeverity",
    "CheckSpec",
    "CheckStatus",
    "GateReport",
    "MartComparison",
    "MartDiff",
    "QualityCatalog",
    "QualityCheckFailed",
    "ResultObserver",
    "RunnableCheck",
    "compare_marts",
    "default_suite",
    "load_golden",
    "load_suite",
    "log_raised_alert",
    "print_report",
    "raise_if_blocking",
    "render_report",
    "run_quality_gates",
    "suite_from_records",
    "validate_suite",
]
