"""The check model: specs are data, runners execute them, results are records.

A quality suite is an ordered tuple of :class:`CheckSpec` values. Each spec names a
``kind``; the runner registered for that kind (a :class:`RunnableCheck`) validates the
spec's parameters and runs it over an open DuckDB connection, producing a
:class:`CheckResult`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

import duckdb

__all__ = [
    "CheckContext",
    "CheckKind",
    "CheckResult",
    "CheckSeverity",
    "CheckSpec",
    "CheckStatus",
    "RunnableCheck",
    "Scalar",
]

#: A JSON-friendly value for observed numbers and thresholds.
Scalar = int | float | str | None


class CheckKind(str, Enum):
    """What a check measures; each kind has one runner."""

    VOLUME = "volume"
    FRESHNESS = "freshness"
    DISTRIBUTION = "distribution"
    RECONCILIATION = "reconciliation"
    UNIQUENESS = "uniqueness"
    NOT_NULL = "not_null"
    CUSTOM_SQL = "custom_sql"


class CheckSeverity(str, Enum):
    """How a failure counts: ``error`` blocks publication, ``warn`` only reports."""

    WARN = "warn"
    ERROR = "error"


class CheckStatus(str, Enum):
    """Outcome of one check. ``skipped`` means there was not enough data to judge."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One check as data: what to run, on which table, how loud a failure is.

    ``params`` are kind-specific (see docs/quality.md); they are validated by the
    kind's runner before anything runs. ``alert`` names an alert signal raised when the
    check fails (see :attr:`CheckResult.alert`); empty for most checks.
    """

    name: str
    kind: CheckKind
    severity: CheckSeverity
    table: str
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    alert: str = ""

    def param(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What every check may read besides its spec."""

    as_of: datetime
    sample_limit: int = 5


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check, with the evidence behind it.

    ``severity`` is the severity of the outcome: for a check with warn and error
    thresholds (volume, freshness) it says which threshold was crossed. ``alert`` is the
    spec's alert signal; :attr:`raises_alert` says whether this outcome raises it.
    """

    name: str
    kind: CheckKind
    severity: CheckSeverity
    status: CheckStatus
    message: str
    observed: Scalar = None
    threshold: Scalar = None
    sample_rows: tuple[dict[str, Any], ...] = ()
    table: str = ""
    alert: str = ""

    @property
    def passed(self) -> bool:
        return self.status is CheckStatus.PASSED

    @property
    def failed(self) -> bool:
        return self.status is CheckStatus.FAILED

    @property
    def skipped(self) -> bool:
        return self.status is CheckStatus.SKIPPED

    @property
    def blocking(self) -> bool:
        """True when this result must stop publication."""
        return self.failed and self.severity is CheckSeverity.ERROR

    @property
    def raises_alert(self) -> bool:
        """True when this result raises its check's alert signal (failed, alert named)."""
        return self.failed and bool(self.alert)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "status": self.status.value,
            "passed": self.passed,
            "table": self.table,
            "message": self.message,
            "observed": self.observed,
            "threshold": self.threshold,
            "sample_rows": [dict(row) for row in self.sample_rows],
            "alert": self.alert or None,
        }


class RunnableCheck(Protocol):
    """The runner of one check kind."""

    kind: CheckKind

    def validate(self, spec: CheckSpec) -> None:
        """Raise ``RastupError(CONFIG_INVALID, …)`` when the spec's params are unusable."""

    def run(
        self, conn: duckdb.DuckDBPyConnection, spec: CheckSpec, context: CheckContext
    ) -> CheckResult:
        """Run the check; SQL errors may propagate (the gate turns them into results)."""
