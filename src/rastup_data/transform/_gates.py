"""Adapter to the quality gates library: run them on a staging file, keep a plain record.

The checks of the project's sources (Bronze) read nothing the build writes: a build starts
them on a thread (:class:`SourceChecksAhead`) while dbt is imported and the project's parse
is loaded on one core, and the gate takes their results for every check its own suite still
has unchanged. They are judged against Bronze's own clock (its newest ``occurred_at``) as of
the build's start; the warehouse's checks against the warehouse's clock. Alerts of the
checks that ran ahead are logged by the gate that takes their results, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from rastup_data.lake.layout import LakeLayout
from rastup_data.quality import (
    CheckResult,
    CheckSpec,
    GateReport,
    QualityCatalog,
    ResultObserver,
    default_suite,
    log_raised_alert,
    run_quality_gates,
)
from rastup_data.quality.sources import attached_sources
from rastup_data.transform.manifest import load_manifest

__all__ = ["GateOutcome", "SourceChecksAhead", "gate_report", "run_gates"]

log = logging.getLogger(__name__)

#: The sources' clock: the newest event Bronze holds.
_BRONZE_CLOCK = "SELECT max(occurred_at) FROM bronze.events"

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
    ahead: SourceChecksAhead | None = None,
) -> GateOutcome:
    """Run the quality gates on the staging connection, the suite derived from the
    ``manifest`` of the dbt run that built it (the models it declares, their tags, tests
    and ``meta.quality``), judged as :func:`gate_report` judges."""
    catalog = QualityCatalog.from_project(load_manifest(manifest), lake=lake)
    return GateOutcome.of(gate_report(conn, catalog, as_of=as_of, ahead=ahead))


def gate_report(
    conn: duckdb.DuckDBPyConnection,
    catalog: QualityCatalog,
    suite: Sequence[CheckSpec] | None = None,
    *,
    as_of: datetime | None = None,
    ahead: SourceChecksAhead | None = None,
) -> GateReport:
    """The report of ``suite`` (default: the catalog's default suite) on a warehouse
    connection, in suite order.

    ``as_of`` (what freshness is measured against) defaults to the newest ``occurred_at``
    in Silver, the lake's own clock: a build judges whether each fact kept up with the
    rest of the data (lag against the wall clock is the pipeline-lag alert's job); without
    Silver, to now. The sources' checks default to Bronze's newest ``occurred_at``; those
    ``ahead`` ran with an unchanged spec are not run again.
    """
    specs = tuple(default_suite(catalog) if suite is None else suite)
    sources = _source_specs(catalog, specs)
    own = [spec for spec in specs if spec not in sources]
    done = ahead.results(catalog, sources) if ahead is not None and as_of is None else {}
    for result in done.values():
        log_raised_alert(result)
    results: dict[str, CheckResult] = dict(done)
    if own:
        moment = as_of if as_of is not None else _lake_clock(conn)
        report = run_quality_gates(conn, catalog=catalog, suite=own, as_of=moment)
        results.update((r.name, r) for r in report.results)
    rest = [spec for spec in sources if spec.name not in done]
    if rest:
        report = _run_sources(conn, catalog, rest, as_of)
        results.update((r.name, r) for r in report.results)
    return GateReport(tuple(results[spec.name] for spec in specs))


@dataclass(frozen=True, slots=True)
class _Ran:
    """What ran ahead: where each source was read, the checks and their report."""

    located: dict[str, Any]
    specs: dict[str, CheckSpec]
    report: GateReport


class SourceChecksAhead:
    """The sources' checks of the suite in the manifest ``find_manifest`` names (the lake's
    last build's, or this machine's last parse of the project), run on a thread of their own
    over an in-memory connection to the lake; none when it names none, or without it.

    Use as a context manager: leaving waits for the thread. Checks that could not run
    (an unreadable manifest, a failed query) are simply not offered: the gate runs them.
    """

    def __init__(self, layout: LakeLayout, find_manifest: Callable[[], Path | None] | None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="source-checks")
        self._ran: Future[_Ran | None] | None = None
        if find_manifest is not None:
            self._ran = self._pool.submit(self._run, layout, find_manifest)

    @staticmethod
    def _run(layout: LakeLayout, find_manifest: Callable[[], Path | None]) -> _Ran | None:
        manifest = find_manifest()
        if manifest is None or not manifest.is_file():
            return None
        catalog = QualityCatalog.from_project(load_manifest(manifest), lake=layout.lake.uri())
        specs = _source_specs(catalog, default_suite(catalog))
        with duckdb.connect() as conn:
            layout.lake.register_duckdb(conn)
            report = _run_sources(conn, catalog, specs, None, on_result=None)
        return _Ran(_located(catalog), {spec.name: spec for spec in specs}, report)

    def results(
        self, catalog: QualityCatalog, specs: Sequence[CheckSpec]
    ) -> dict[str, CheckResult]:
        """The results of those of ``specs`` that ran ahead with the same spec, on the same
        sources (their locations and declared columns) as ``catalog``'s."""
        if self._ran is None:
            return {}
        try:
            ran = self._ran.result()
        except Exception:  # the gate runs them itself; the reason is in the log
            log.warning("the sources' checks could not run ahead", exc_info=True)
            return {}
        if ran is None or ran.located != _located(catalog):
            return {}
        by_name = {r.name: r for r in ran.report.results}
        return {s.name: by_name[s.name] for s in specs if ran.specs.get(s.name) == s}

    def __enter__(self) -> SourceChecksAhead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True)


def _located(catalog: QualityCatalog) -> dict[str, Any]:
    """Each source's relation and where and how it is read."""
    return {model.relation: model.source for model in catalog.sources}


def _source_relations(catalog: QualityCatalog) -> set[str]:
    return {model.relation for model in catalog.sources}


def _source_specs(catalog: QualityCatalog, suite: Sequence[CheckSpec]) -> tuple[CheckSpec, ...]:
    relations = _source_relations(catalog)
    return tuple(spec for spec in suite if spec.table in relations)


def _run_sources(
    conn: duckdb.DuckDBPyConnection,
    catalog: QualityCatalog,
    specs: Sequence[CheckSpec],
    as_of: datetime | None,
    *,
    on_result: ResultObserver | None = log_raised_alert,
) -> GateReport:
    """The sources' checks, against ``as_of`` or Bronze's clock; ``on_result`` sees each
    result (the default logs raised alerts; None for results a gate may not take)."""
    with attached_sources(conn, catalog.sources):
        moment = as_of if as_of is not None else _clock(conn, _BRONZE_CLOCK)
        return run_quality_gates(
            conn, catalog=catalog, suite=specs, as_of=moment, on_result=on_result
        )


def _lake_clock(conn: duckdb.DuckDBPyConnection) -> datetime | None:
    return _clock(conn, "SELECT max(occurred_at) FROM silver.events_deduped")


def _clock(conn: duckdb.DuckDBPyConnection, query: str) -> datetime | None:
    try:
        row = conn.execute(query).fetchone()
    except duckdb.Error:
        return None
    value = row[0] if row else None
    return value if isinstance(value, datetime) else None
