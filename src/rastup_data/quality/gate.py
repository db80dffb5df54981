"""Run a quality suite over an open DuckDB connection (the staging build) into a report."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import duckdb

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.quality._sql import ColumnMissing, TableMissing, probed_once, quote_table
from rastup_data.quality.catalog import QualityCatalog
from rastup_data.quality.checks import RUNNERS
from rastup_data.quality.model import (
    CheckContext,
    CheckResult,
    CheckSeverity,
    CheckSpec,
    CheckStatus,
)
from rastup_data.quality.report import GateReport
from rastup_data.quality.sources import attached_sources
from rastup_data.quality.suite import default_suite

__all__ = ["ResultObserver", "log_raised_alert", "run_quality_gates", "validate_suite"]

#: Called once per result, in suite order, as soon as the check has run.
ResultObserver = Callable[[CheckResult], None]

#: Alert signals are logged here (WARNING), one line per raised alert, for operations.
alert_log = logging.getLogger("rastup_data.quality.alerts")


def validate_suite(suite: Sequence[CheckSpec]) -> None:
    """Raise ``CONFIG_INVALID`` for duplicate names, unknown kinds or unusable params."""
    seen: set[str] = set()
    for spec in suite:
        if not isinstance(spec, CheckSpec):
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"suite entries must be CheckSpec, got {type(spec).__name__}. "
                "To fix this, build the suite from CheckSpec values.",
            )
        if spec.name in seen:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"two checks are named {spec.name!r}. To fix this, give every check a unique name.",
            )
        seen.add(spec.name)
        if not spec.name.strip():
            raise RastupError(
                ErrorCode.CONFIG_INVALID, "a check has an empty name. To fix this, name it."
            )
        quote_table(spec.table)  # raises CONFIG_INVALID for a malformed table name
        runner = RUNNERS.get(spec.kind)
        if runner is None:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"check {spec.name!r} has unknown kind {spec.kind!r}. To fix this, use one of "
                f"{', '.join(kind.value for kind in RUNNERS)}.",
            )
        runner.validate(spec)


def log_raised_alert(result: CheckResult) -> None:
    """Log ``result`` if it raises its check's alert signal: one WARNING line on
    ``rastup_data.quality.alerts``, for operations (the gate's default observer)."""
    if result.raises_alert:
        alert_log.warning(
            "quality alert %s raised by %s: %s", result.alert, result.name, result.message
        )


def run_quality_gates(
    conn: duckdb.DuckDBPyConnection,
    *,
    suite: Sequence[CheckSpec] | None = None,
    catalog: QualityCatalog | None = None,
    as_of: datetime | None = None,
    on_result: ResultObserver | None = log_raised_alert,
    sample_limit: int = 5,
) -> GateReport:
    """Run ``suite`` (default: :func:`default_suite` of ``catalog``) in order and report
    every outcome.

    ``catalog`` is the dbt project as its manifest declares it; with it, the project's
    sources outside the warehouse (Bronze) are readable by name during the run. ``as_of``
    is the time freshness is measured against (default: now, UTC; a naive datetime is
    taken as UTC). A check whose table or column is missing, or whose SQL fails, becomes a
    failed error-severity result: a misconfigured gate blocks, it does not crash. Invalid
    specs, or neither a suite nor a catalog, raise ``CONFIG_INVALID`` before any check runs.
    Each result is handed to ``on_result`` as it is found; the default logs the alerts
    raised (:func:`log_raised_alert`). A caller that may discard results passes its own
    observer (or None) and logs the results it keeps.
    """
    if suite is None and catalog is None:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            "no quality suite: the default suite is derived from the dbt project. To fix "
            "this, pass catalog=QualityCatalog.from_project(…) or a suite.",
        )
    specs = tuple(default_suite(catalog) if suite is None and catalog is not None else suite or ())
    validate_suite(specs)
    moment = datetime.now(UTC) if as_of is None else as_of
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    context = CheckContext(as_of=moment.astimezone(UTC), sample_limit=sample_limit)
    results: list[CheckResult] = []
    with attached_sources(conn, catalog.sources if catalog is not None else ()), probed_once():
        for spec in specs:
            result = _run_one(conn, spec, context)
            results.append(result)
            if on_result is not None:
                on_result(result)
    return GateReport(tuple(results))


def _run_one(
    conn: duckdb.DuckDBPyConnection, spec: CheckSpec, context: CheckContext
) -> CheckResult:
    try:
        return RUNNERS[spec.kind].run(conn, spec, context)
    except TableMissing:
        message = (
            f"table missing: {spec.table} does not exist in the build. To fix this, build the "
            "model or correct the check's table."
        )
    except ColumnMissing as exc:
        message = f"column missing: {exc}. To fix this, correct the check's columns or the model."
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        message = f"check query failed: {first_line}. To fix this, correct the check definition."
    return CheckResult(
        name=spec.name,
        kind=spec.kind,
        severity=CheckSeverity.ERROR,
        status=CheckStatus.FAILED,
        message=message,
        table=spec.table,
        alert=spec.alert,
    )
