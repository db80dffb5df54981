"""Adapter to the quality gates library: run them on a staging file, keep a plain record."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

__all__ = ["GateOutcome", "run_gates"]

#: (check name, message, sample rows) of one blocking check.
BlockingCheck = tuple[str, str, tuple[dict[str, Any], ...]]


@dataclass(frozen=True, slots=True)
class GateOutcome:
    """Whether the quality gates ran, their rendered report and the blocking checks."""

    ran: bool
    summary: str
    blocking: tuple[BlockingCheck, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.blocking

    @classmethod
    def not_run(cls, reason: str) -> GateOutcome:
        return cls(ran=False, summary=f"quality gates not run: {reason}")


def run_gates(conn: duckdb.DuckDBPyConnection, as_of: datetime | None = None) -> GateOutcome:
    """Run ``rastup_data.quality.run_quality_gates`` when that library is installed.

    ``as_of`` (what freshness is measured against) defaults to the newest ``occurred_at``
    in Silver, the lake's own clock: a build judges whether each fact kept up with the
    rest of the data (lag against the wall clock is the pipeline-lag alert's job).
    """
    try:
        quality = importlib.import_module("rastup_data.quality")
    except ImportError:
        return GateOutcome.not_run("rastup_data.quality is not available")
    runner = getattr(quality, "run_quality_gates", None)
    if runner is None:
        return GateOutcome.not_run("rastup_data.quality has no run_quality_gates")
    moment = as_of if as_of is not None else _lake_clock(conn)
    report = runner(conn, as_of=moment) if moment is not None else runner(conn)
    blocking = tuple(_blocking_check(item) for item in getattr(report, "blocking", ()) or ())
    return GateOutcome(ran=True, summary=_render(report), blocking=blocking)


def _lake_clock(conn: duckdb.DuckDBPyConnection) -> datetime | None:
    try:
        row = conn.execute("SELECT max(occurred_at) FROM silver.events_deduped").fetchone()
    except duckdb.Error:
        return None
    value = row[0] if row else None
    return value if isinstance(value, datetime) else None


def _blocking_check(item: Any) -> BlockingCheck:
    spec = getattr(item, "spec", None)
    name = str(getattr(item, "name", None) or getattr(spec, "name", None) or item)
    message = str(getattr(item, "message", "") or "")
    raw_rows = getattr(item, "sample_rows", None) or getattr(item, "samples", None) or ()
    rows = tuple(dict(r) for r in raw_rows if isinstance(r, dict))
    return name, message, rows


def _render(report: Any) -> str:
    render = getattr(report, "render", None)
    return str(render()) if callable(render) else str(report)
