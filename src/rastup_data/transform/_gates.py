"""Adapter to the quality gates library: run them on a staging file, keep a plain record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from rastup_data.quality import GateReport, QualityCatalog, run_quality_gates
from rastup_data.transform.manifest import load_manifest

__all__ = ["GateOutcome", "run_gates"]

#: (check name, message, sample rows) of one blocking check.
BlockingCheck = tuple[str, str, tuple[dict[str, Any], ...]]


@dataclass(frozen=True, slots=True)
class GateOutcome:
    """Whether the quality gates ran, their rendered report, the blocking checks, the
    warnings and the alert signals raised (see docs/quality.md)."""

    ran: bool
    summary: str
    blocking: tuple[BlockingCheck, ...] = ()
    warnings: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.blocking

    @classmethod
    def not_run(cls, reason: str) -> GateOutcome:
        return cls(ran=False, summary=f"quality gates not run: {reason}")

    @classmethod
    def of(cls, report: GateReport) -> GateOutcome:
        return cls(
            ran=True,
            summary=report.render(),
            blocking=tuple((r.name, r.message, r.sample_rows) for r in report.blocking),
            warnings=tuple(r.name for r in report.warnings),
            alerts=tuple(r.alert for r in report.alerts),
        )


def run_gates(
    conn: duckdb.DuckDBPyConnection,
    manifest: Path,
    as_of: datetime | None = None,
    *,
    lake: str | None = None,
) -> GateOutcome:
    """Run the quality gates on the staging connection, the suite derived from the
    ``manifest`` of the dbt run that built it (the models it declares, their tags, tests
    and ``meta.quality``).

    ``as_of`` (what freshness is measured against) defaults to the newest ``occurred_at``
    in Silver, the lake's own clock: a build judges whether each fact kept up with the
    rest of the data (lag against the wall clock is the pipeline-lag alert's job).
    """
    moment = as_of if as_of is not None else _lake_clock(conn)
    catalog = QualityCatalog.from_project(load_manifest(manifest), lake=lake)
    return GateOutcome.of(run_quality_gates(conn, catalog=catalog, as_of=moment))


def _lake_clock(conn: duckdb.DuckDBPyConnection) -> datetime | None:
    try:
        row = conn.execute("SELECT max(occurred_at) FROM silver.events_deduped").fetchone()
    except duckdb.Error:
        return None
    value = row[0] if row else None
    return value if isinstance(value, datetime) else None
