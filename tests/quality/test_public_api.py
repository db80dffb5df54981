"""The curated public surface of rastup_data.quality."""

from __future__ import annotations

import rastup_data.quality as quality

EXPECTED = {
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
}


def test_public_names():
    assert set(quality.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(quality, name) is not None


def test_every_kind_has_a_runner():
    from rastup_data.quality.checks import RUNNERS

    assert set(RUNNERS) == set(quality.CheckKind)
    for kind, runner in RUNNERS.items():
        assert runner.kind is kind
        assert callable(runner.validate)
        assert callable(runner.run)
