"""Write-audit-publish: build Silver/Gold into a private file, check it, then publish.

Steps, in order: copy the published file to a staging file (or start empty), write the
tombstones into it, run ``dbt build`` (models and dbt tests) against it, run the quality
gates on it, and only if no error-severity check failed move it into place and switch
``CURRENT``. On any failure the staging file is deleted and readers keep the old build.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.existing import require_bronze
from rastup_data.lake.layout import BUILD_LOCK, LakeLayout
from rastup_data.transform._dbt import (
    DbtInvocation,
    NodeOutcome,
    prepare_parse,
    run_dbt,
    shared_parse_manifest,
)
from rastup_data.transform._gates import GateOutcome, SourceChecksAhead, run_gates
from rastup_data.transform._nrt_ahead import NrtReadAhead
from rastup_data.transform.dbt_lake import S3_TARGET, dbt_lake
from rastup_data.transform.nrt import NrtResult, refresh_nrt
from rastup_data.transform.runs import BuildRun, append_build_run
from rastup_data.transform.tombstones import (
    read_tombstones,
    seal_warehouse_file,
    write_tombstones_table,
)
from rastup_data.transform.warehouse import new_snapshot_id, warehouse_dirs

__all__ = [
    "DEFAULT_LOOKBACK_DAYS",
    "BuildEvent",
    "BuildFailed",
    "BuildOptions",
    "BuildResult",
    "CheckFailure",
    "ProgressCallback",
    "build",
    "node_text",
    "prepare_build",
    "raise_for_model_errors",
]

DEFAULT_LOOKBACK_DAYS = 3
log = logging.getLogger(__name__)
_SAMPLE_ROWS = 5


@dataclass(frozen=True, slots=True)
class BuildEvent:
    """One progress report: a stage (``start``, ``node``, ``checks``, ``published``,
    ``registry``) and text."""

    stage: str
    text: str
    node: NodeOutcome | None = None


ProgressCallback = Callable[[BuildEvent], None]


@dataclass(frozen=True, slots=True)
class CheckFailure:
    """A failed error-severity check (dbt test or quality gate) with sample offending rows."""

    source: str
    name: str
    message: str
    sample_rows: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a published build contains and how it went."""

    build_id: str
    path: str
    full_refresh: bool
    bronze_from: date | None
    bronze_to: date | None
    nodes: tuple[NodeOutcome, ...]
    warnings: tuple[str, ...]
    gates: GateOutcome
    seconds: float
    nrt: NrtResult | None = None

    @property
    def models(self) -> tuple[NodeOutcome, ...]:
        return tuple(n for n in self.nodes if n.resource_type == "model")

    @property
    def tests(self) -> tuple[NodeOutcome, ...]:
        return tuple(n for n in self.nodes if n.resource_type == "test")


class BuildFailed(RastupError):
    """Nothing was published: a model failed (CTAS_FAILURE) or a check (QUALITY_CHECK_FAILED)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        failures: Sequence[CheckFailure] = (),
        nodes: Sequence[NodeOutcome] = (),
    ) -> None:
        super().__init__(code, message)
        self.failures: tuple[CheckFailure, ...] = tuple(failures)
        self.nodes: tuple[NodeOutcome, ...] = tuple(nodes)


@dataclass(slots=True)
class _Window:
    bronze_from: date | None = None
    bronze_to: date | None = None
    reread: bool = False


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What a build does.

    ``start``/``end`` (Bronze received dates, inclusive) re-read that window instead of the
    lookback of ``lookback_days``; ``full_refresh`` rebuilds everything from Bronze;
    ``tombstones`` overrides the erased users read from the state store; ``quality_gates``
    and ``with_nrt`` turn the gates and the NRT refresh after publishing off.
    """

    start: date | None = None
    end: date | None = None
    full_refresh: bool = False
    tombstones: Sequence[str] | None = None
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    quality_gates: bool = True
    with_nrt: bool = True


def build(
    layout: LakeLayout,
    options: BuildOptions = BuildOptions(),
    *,
    progress: ProgressCallback | None = None,
) -> BuildResult:
    """Build Silver and Gold from Bronze and publish them if every error-severity check passes.

    Raises :class:`BuildFailed` when nothing was published. LAKE_NOT_FOUND, before
    anything is written, when Bronze has no events.
    """
    _check_arguments(options.start, options.end, options.lookback_days)
    require_bronze(layout)
    report = progress or (lambda _event: None)
    began = time.monotonic()
    # Bronze's checks run while dbt starts (_gates.SourceChecksAhead), and the NRT views'
    # read of Bronze runs on idle CPU from the start (_nrt_ahead). The NRT views are read
    # from Bronze, not from this build: once the models are built they refresh alongside
    # the gates, the publish and the registry site (dbt runs one invocation at a time).
    # Leaving the pools waits for them, also when the build fails.
    with (
        SourceChecksAhead(
            layout, functools.partial(_last_manifest, layout) if options.quality_gates else None
        ) as ahead,
        NrtReadAhead(layout) if options.with_nrt else contextlib.nullcontext() as read_ahead,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="nrt-refresh") as pool,
    ):
        refreshing: list[Future[NrtResult]] = []

        def refresh_nrt_alongside(erased: Sequence[str]) -> None:
            if read_ahead is not None:
                refreshing.append(pool.submit(_refresh_nrt, layout, erased, read_ahead))

        done = _build_and_publish(
            layout, options, report, ahead=ahead, models_built=refresh_nrt_alongside
        )
        _refresh_registry_site(layout, done.manifest, report)
        nrt = refreshing[0].result() if refreshing else None
    incremental = done.incremental
    return BuildResult(
        build_id=done.build_id,
        path=done.path,
        full_refresh=not incremental,
        bronze_from=done.window.bronze_from if incremental else None,
        bronze_to=done.window.bronze_to if incremental else None,
        nodes=done.invocation.nodes,
        warnings=tuple(n.name for n in done.invocation.nodes if n.status == "warn"),
        gates=done.gates,
        seconds=time.monotonic() - began,
        nrt=nrt,
    )


def _refresh_nrt(layout: LakeLayout, erased: Sequence[str], read_ahead: NrtReadAhead) -> NrtResult:
    return refresh_nrt(layout, tombstones=erased, prefetched=read_ahead.take())


def prepare_build(layout: LakeLayout, *, into_environment: bool = False) -> Path:
    """Parse the dbt project for ``layout``'s builds into this user's cache, as the start of
    a build would, and return the parse's ``manifest.json``. Every later build on this
    machine with the same target and parse-time vars (for a local lake, any local lake;
    also the NRT refresh) then starts without parsing the project: run it when making an
    image or a CI runner. ``into_environment``: into the environment's cache instead, which
    every user cache without a parse starts from (at install), for a lake on S3 too. Reads
    and writes nothing in the lake.

    CONFIG_INVALID when the user cache cannot be written; CTAS_FAILURE when the project
    does not parse.
    """
    # The vars of a full build: only the parse-time ones (the staging file's stem, a remote
    # lake's prefix) make the parse, so it is the one every build takes.
    staging = warehouse_dirs(layout).builds.staging
    variables = _dbt_vars(layout, staging, _Window(), DEFAULT_LOOKBACK_DAYS)
    target = dbt_lake(layout).target
    if into_environment and target is None:
        # A lake on S3 builds with a target of its own; its root reaches dbt as an
        # environment variable, so this parse serves every such lake.
        prepare_parse(variables, S3_TARGET, into_environment=True)
    return prepare_parse(variables, target, into_environment=into_environment)


@dataclass(frozen=True, slots=True)
class _Published:
    """What :func:`_build_and_publish` published."""

    build_id: str
    path: str
    incremental: bool
    window: _Window
    invocation: DbtInvocation
    gates: GateOutcome
    manifest: Path


def _last_manifest(layout: LakeLayout) -> Path | None:
    """The manifest whose suite the gates' Bronze checks run ahead with: the lake's last
    build's, else this machine's last parse of the project (None: neither)."""
    built = warehouse_dirs(layout).dbt_target("build") / "manifest.json"
    return built if built.is_file() else shared_parse_manifest(dbt_lake(layout).target)


def _build_and_publish(
    layout: LakeLayout,
    options: BuildOptions,
    report: ProgressCallback,
    *,
    ahead: SourceChecksAhead,
    models_built: Callable[[Sequence[str]], None],
) -> _Published:
    """Stage, run dbt, audit and publish under the build lock; ``models_built`` is called
    with the erased ids once dbt has built every model. Nothing is published on failure."""
    dirs = warehouse_dirs(layout)
    started_at = datetime.now(UTC)
    full_refresh = options.full_refresh
    with dirs.store.lock(BUILD_LOCK):
        staging = dirs.prepare_staging(dirs.builds)
        current = dirs.builds.fetch_current(staging) if not full_refresh else None
        incremental = current is not None
        erased = options.tombstones
        if erased is None:
            erased = read_tombstones(layout)
        try:
            window = _prepare_staging(staging, erased, options, incremental=incremental)
            mode = "incremental" if incremental else "full"
            report(BuildEvent("start", _start_text(mode, window, current)))
            invocation = run_dbt(
                ["build", "--exclude", "tag:nrt", *(["--full-refresh"] if full_refresh else [])],
                target_dir=dirs.dbt_target("build"),
                variables=_dbt_vars(layout, staging, window, options.lookback_days),
                on_node=lambda node: report(BuildEvent("node", node_text(node), node)),
                target=dbt_lake(layout).target,
            )
            raise_for_model_errors(invocation)
            models_built(erased)
            report(BuildEvent("checks", "running quality gates"))
            manifest = dirs.dbt_target("build") / "manifest.json"
            gates = _audit(
                layout, staging, invocation, manifest if options.quality_gates else None, ahead
            )
            report(BuildEvent("checks", _gates_text(invocation, gates)))
            seal_warehouse_file(staging)
            build_id = new_snapshot_id()
            path = dirs.builds.publish(staging, build_id)
        except BaseException as exc:
            dirs.builds.discard_staging()
            _log_failure(layout, started_at, exc)
            raise
        dirs.builds.collect_garbage()
    _log_published(layout, started_at, build_id, window if incremental else _Window(), gates)
    report(BuildEvent("published", f"published build {build_id}"))
    return _Published(build_id, path, incremental, window, invocation, gates, manifest)


def _log_published(
    layout: LakeLayout,
    started: datetime,
    build_id: str,
    window: _Window,
    gates: GateOutcome,
    *,
    kind: str = "build",
) -> None:
    finished = datetime.now(UTC)
    append_build_run(
        layout,
        BuildRun(
            kind=kind,
            started_at=started.isoformat(),
            finished_at=finished.isoformat(),
            seconds=(finished - started).total_seconds(),
            status="published",
            build_id=build_id,
            bronze_from=window.bronze_from.isoformat() if window.bronze_from else None,
            bronze_to=window.bronze_to.isoformat() if window.bronze_to else None,
            alerts=gates.alerts,
            warnings=gates.warnings,
        ),
    )


def _log_failure(
    layout: LakeLayout, started: datetime, exc: BaseException, *, kind: str = "build"
) -> None:
    """Record a failed build; the log is operations' record, never a reason to fail more."""
    code = exc.code.value if isinstance(exc, RastupError) else ErrorCode.CTAS_FAILURE.value
    if isinstance(exc, KeyboardInterrupt):
        code = "INTERRUPTED"
    finished = datetime.now(UTC)
    try:
        append_build_run(
            layout,
            BuildRun(
                kind=kind,
                started_at=started.isoformat(),
                finished_at=finished.isoformat(),
                seconds=(finished - started).total_seconds(),
                status="failed",
                code=code,
            ),
        )
    except OSError as error:
        log.warning("the failed build could not be recorded in the build log: %s", error)


def _refresh_registry_site(layout: LakeLayout, manifest: Path, report: ProgressCallback) -> None:
    """Regenerate the lake's registry site from this build's manifest (under a second).

    The site documents the build; it never decides it: a failure is reported, not raised.
    """
    from rastup_data.registry_site.lake_site import refresh_lake_site
    from rastup_data.transform.manifest import load_manifest

    try:
        site = refresh_lake_site(layout, load_manifest(manifest))
    except (RastupError, OSError) as exc:
        log.warning("registry site not refreshed: %s", exc)
        report(BuildEvent("registry", f"registry site not refreshed: {exc}"))
        return
    report(BuildEvent("registry", f"registry site refreshed ({site.pages} pages)"))


def _check_arguments(start: date | None, end: date | None, lookback_days: int) -> None:
    if start is not None and end is not None and start > end:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"--from {start} is after --to {end}. To fix this, give an ascending date range.",
        )
    if lookback_days < 0:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"lookback_days must be 0 or more, got {lookback_days}.",
        )


def _prepare_staging(
    staging: Path, erased: Sequence[str], options: BuildOptions, *, incremental: bool
) -> _Window:
    window = _Window()
    with duckdb.connect(str(staging)) as conn:
        write_tombstones_table(conn, erased)
        if options.start is not None or options.end is not None:
            window = _Window(bronze_from=options.start, bronze_to=options.end, reread=True)
        elif incremental:
            newest = _newest_loaded_partition(conn)
            if newest is not None:
                window = _Window(bronze_from=newest - timedelta(days=options.lookback_days))
        conn.execute("CHECKPOINT")
    return window


def _newest_loaded_partition(conn: duckdb.DuckDBPyConnection) -> date | None:
    try:
        row = conn.execute("SELECT max(bronze_dt) FROM silver.events_deduped").fetchone()
    except duckdb.CatalogException:
        return None
    value = row[0] if row else None
    return value if isinstance(value, date) else None


def _dbt_vars(
    layout: LakeLayout, staging: Path, window: _Window, lookback_days: int
) -> dict[str, Any]:
    # Vars take part in dbt's partial-parse key: keep them stable between builds.
    return {
        **dbt_lake(layout).variables,
        "warehouse_path": str(staging),
        "lookback_days": lookback_days,
        "bronze_from": window.bronze_from.isoformat() if window.bronze_from else "",
        "bronze_to": window.bronze_to.isoformat() if window.bronze_to else "",
        "reread_window": window.reread,
    }


def raise_for_model_errors(invocation: DbtInvocation) -> None:
    broken = [
        n for n in invocation.nodes if n.resource_type in {"model", "seed"} and n.status == "error"
    ]
    if broken:
        detail = "; ".join(f"{n.relation or n.name}: {_first_line(n.message)}" for n in broken)
        raise BuildFailed(
            ErrorCode.CTAS_FAILURE,
            f"{len(broken)} model(s) failed to build: {detail}. Nothing was published; "
            "fix the model and rebuild.",
            nodes=invocation.nodes,
        )
    if invocation.error is not None or (not invocation.nodes and not invocation.success):
        raise BuildFailed(
            ErrorCode.CTAS_FAILURE,
            f"dbt could not run: {invocation.error}. Nothing was published.",
            nodes=invocation.nodes,
        )


def _audit(
    layout: LakeLayout,
    staging: Path,
    invocation: DbtInvocation,
    manifest: Path | None,
    ahead: SourceChecksAhead | None = None,
) -> GateOutcome:
    """dbt's failed tests and the quality gates (derived from ``manifest``; None: off)."""
    failed_tests = [
        n for n in invocation.nodes if n.resource_type == "test" and n.status in {"fail", "error"}
    ]
    with duckdb.connect(str(staging)) as conn:
        layout.lake.register_duckdb(conn)  # the gates read Bronze (a source) too
        failures = [_test_failure(conn, node) for node in failed_tests]
        gates = (
            run_gates(conn, manifest, lake=layout.lake.uri(), ahead=ahead)
            if manifest
            else GateOutcome.not_run("disabled")
        )
        failures.extend(
            CheckFailure("quality", name, message, rows) for name, message, rows in gates.blocking
        )
        conn.execute("CHECKPOINT")
    if failures:
        names = ", ".join(f.name for f in failures)
        raise BuildFailed(
            ErrorCode.QUALITY_CHECK_FAILED,
            f"{len(failures)} error-severity check(s) failed: {names}. Nothing was published; "
            "readers keep the previous build. Inspect the sample rows, fix the data or "
            "the model, and rebuild.",
            failures=failures,
            nodes=invocation.nodes,
        )
    return gates


def _test_failure(conn: duckdb.DuckDBPyConnection, node: NodeOutcome) -> CheckFailure:
    rows: tuple[dict[str, Any], ...] = ()
    if node.compiled_sql:
        try:
            cursor = conn.execute(
                f"SELECT * FROM ({node.compiled_sql}) AS failing LIMIT {_SAMPLE_ROWS}"
            )
            columns = [str(c[0]) for c in cursor.description or []]
            rows = tuple(dict(zip(columns, r, strict=True)) for r in cursor.fetchall())
        except duckdb.Error:
            rows = ()
    message = _first_line(node.message) or f"{node.failures or 0} failing row(s)"
    return CheckFailure("dbt", node.name, message, rows)


def _gates_text(invocation: DbtInvocation, gates: GateOutcome) -> str:
    tests = [n for n in invocation.nodes if n.resource_type == "test"]
    warned = sum(1 for n in tests if n.status == "warn")
    text = f"dbt tests: {len(tests) - warned} passed, {warned} warned"
    if not gates.ran:
        return f"{text}; {gates.summary}"
    alerts = f"; ALERT {', '.join(gates.alerts)}" if gates.alerts else ""
    return f"{text}; quality gates passed{alerts}\n{gates.summary}"


def _first_line(text: str | None) -> str:
    if not text:
        return ""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[:3])


def _start_text(mode: str, window: _Window, current: str | None) -> str:
    source = current.rsplit("/", 1)[-1].removesuffix(".duckdb") if current else ""
    base = f"{mode} build" + (f" from {source}" if source and mode == "incremental" else "")
    if mode == "incremental" and (window.bronze_from or window.bronze_to):
        lo = window.bronze_from.isoformat() if window.bronze_from else "start"
        hi = window.bronze_to.isoformat() if window.bronze_to else "now"
        base += f", Bronze dt {lo} .. {hi}" + (" (re-read)" if window.reread else "")
    return base


def node_text(node: NodeOutcome) -> str:
    label = node.relation or node.name
    if len(label) > 60:
        label = label[:57] + "..."
    return f"{node.resource_type:<5} {label:<60} {node.status.upper():<7} {node.seconds:6.2f}s"
