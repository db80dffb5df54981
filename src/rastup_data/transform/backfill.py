"""Backfill: rebuild the Silver partitions of a date range and only the Gold models they
feed, behind the same gates as a build, then publish — or roll back.

Steps, under the lake's build lock, in a private staging copy of the published build:

1. re-read the Bronze partitions received in ``start``…``end`` into Silver (every Silver
   model runs; incremental facts delete the window's rows and read it again);
2. find the Silver relations whose content changed (row count and hash against the
   published build);
3. rebuild only the Gold models (and BI datasets) that read one of those, and what is built
   on them: ``dbt build --select <model>+``, their tests included;
4. run the quality gates on the whole staged warehouse;
5. compare every rebuilt Gold model with the published one: rows removed (before) and
   added (after);
6. publish by switching ``CURRENT`` — or, on any failure (or ``dry_run``), delete the
   staging copy. Readers never see a half-done backfill: they keep reading the published
   build until the switch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.existing import require_bronze
from rastup_data.lake.layout import BUILD_LOCK, LakeLayout
from rastup_data.transform._dbt import DbtInvocation, run_dbt
from rastup_data.transform._gates import GateOutcome
from rastup_data.transform.build import (
    BuildEvent,
    BuildOptions,
    ProgressCallback,
    _audit,
    _check_arguments,
    _dbt_vars,
    _log_failure,
    _log_published,
    _prepare_staging,
    _Window,
    node_text,
    raise_for_model_errors,
)
from rastup_data.transform.dbt_lake import dbt_lake
from rastup_data.transform.diff import TableDiff, diff_table, fingerprint
from rastup_data.transform.manifest import DbtModel, load_manifest
from rastup_data.transform.tombstones import read_tombstones, seal_warehouse_file
from rastup_data.transform.warehouse import WarehouseDirs, new_snapshot_id, warehouse_dirs

__all__ = ["BackfillOptions", "BackfillResult", "backfill"]

_SILVER = ("path:models/silver", "path:models/privacy")
#: Built from Silver: the Gold marts and the BI datasets refined from them.
_DOWNSTREAM = ("gold", "datasets")


@dataclass(frozen=True, slots=True)
class BackfillOptions:
    """The Bronze received dates to rebuild (inclusive); ``dry_run`` does everything but
    publish; ``sample_rows`` rows of each side are shown per changed Gold model."""

    start: date
    end: date
    dry_run: bool = False
    sample_rows: int = 10


@dataclass(frozen=True, slots=True)
class BackfillResult:
    """What a backfill rebuilt, what changed in Gold, and whether it was published."""

    start: date
    end: date
    dry_run: bool
    build_id: str | None
    silver_rebuilt: tuple[str, ...]
    silver_changed: tuple[str, ...]
    gold_rebuilt: tuple[str, ...]
    diffs: tuple[TableDiff, ...]
    gates: GateOutcome
    seconds: float
    tests: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def published(self) -> bool:
        return self.build_id is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "dry_run": self.dry_run,
            "published": self.published,
            "build_id": self.build_id,
            "silver_rebuilt": list(self.silver_rebuilt),
            "silver_changed": list(self.silver_changed),
            "gold_rebuilt": list(self.gold_rebuilt),
            "gold_changed": [d.relation for d in self.diffs if d.changed],
            "diffs": [d.to_json() for d in self.diffs],
            "tests": self.tests,
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 3),
        }


@dataclass(slots=True)
class _Run:
    """The staged backfill as it goes."""

    layout: LakeLayout
    dirs: WarehouseDirs
    staging: Path
    published: str
    window: _Window
    options: BackfillOptions
    report: ProgressCallback
    nodes: list[Any] = field(default_factory=list)

    def dbt(self, selection: list[str]) -> DbtInvocation:
        invocation = run_dbt(
            ["build", "--select", *selection, "--exclude", "tag:nrt"],
            target_dir=self.dirs.dbt_target("backfill"),
            variables=_dbt_vars(self.layout, self.staging, self.window, 0),
            on_node=lambda node: self.report(BuildEvent("node", node_text(node), node)),
            target=dbt_lake(self.layout).target,
        )
        raise_for_model_errors(invocation)
        self.nodes.extend(invocation.nodes)
        return invocation

    def models(self, schemas: tuple[str, ...]) -> list[DbtModel]:
        project = load_manifest(self.dirs.dbt_target("backfill") / "manifest.json")
        return [
            m
            for schema in schemas
            for m in project.in_schema(schema)
            if m.resource_type == "model" and "nrt" not in m.tags
        ]

    def changed(self, models: list[DbtModel]) -> list[DbtModel]:
        with duckdb.connect(str(self.staging), read_only=True) as conn:
            conn.execute(f"ATTACH '{self.published}' AS published (READ_ONLY)")
            return [
                m
                for m in models
                if fingerprint(conn, m.relation) != fingerprint(conn, f"published.{m.relation}")
            ]

    def diffs(self, relations: list[str]) -> tuple[TableDiff, ...]:
        with duckdb.connect(str(self.staging), read_only=True) as conn:
            conn.execute(f"ATTACH '{self.published}' AS published (READ_ONLY)")
            catalog = conn.execute("SELECT current_database()").fetchone()
            staged = str(catalog[0]) if catalog else "main"
            return tuple(
                diff_table(conn, "published", staged, relation=r, sample=self.options.sample_rows)
                for r in relations
            )


def backfill(
    layout: LakeLayout, options: BackfillOptions, *, progress: ProgressCallback | None = None
) -> BackfillResult:
    """Rebuild ``options.start``…``options.end`` and publish it, or roll back (see above)."""
    _check_arguments(options.start, options.end, 0)
    require_bronze(layout)
    report = progress or (lambda _event: None)
    dirs = warehouse_dirs(layout)
    began, started_at = time.monotonic(), datetime.now(UTC)
    with dirs.store.lock(BUILD_LOCK):
        staging = dirs.prepare_staging(dirs.builds)
        if dirs.builds.fetch_current(staging) is None:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                "nothing is published yet: a backfill rebuilds part of a published build. "
                "To fix this, run `rastup-data build` first.",
            )
        published = _published_copy(dirs)
        try:
            window = _prepare_staging(
                staging,
                read_tombstones(layout),
                BuildOptions(options.start, options.end),
                incremental=True,
            )
            run = _Run(layout, dirs, staging, published, window, options, report)
            result = _stage(run, began)
            if options.dry_run:
                dirs.builds.discard_staging()
                report(BuildEvent("published", "dry run: nothing published"))
                return result
            seal_warehouse_file(staging)
            build_id = new_snapshot_id()
            dirs.builds.publish(staging, build_id)
        except BaseException as exc:
            dirs.builds.discard_staging()
            if not options.dry_run:
                _log_failure(layout, started_at, exc, kind="backfill")
            raise
        finally:
            _drop_copy(dirs, published)
        dirs.builds.collect_garbage()
    _log_published(layout, started_at, build_id, window, result.gates, kind="backfill")
    report(BuildEvent("published", f"published build {build_id}"))
    return _with_id(result, build_id, time.monotonic() - began)


def _stage(run: _Run, began: float) -> BackfillResult:
    start, end = run.options.start, run.options.end
    run.report(BuildEvent("start", f"backfill of Bronze dt {start} .. {end} (re-read)"))
    run.dbt(list(_SILVER))
    # The privacy schema (erased subjects) feeds Silver but is sealed out of published builds.
    silver = run.models(("silver",))
    changed = run.changed(silver)
    run.report(
        BuildEvent(
            "checks", f"Silver changed: {', '.join(m.relation for m in changed) or 'nothing'}"
        )
    )
    changed_ids = {m.unique_id for m in changed}
    fed = [g for g in run.models(_DOWNSTREAM) if changed_ids.intersection(g.parents)]
    if fed:  # the Gold models and datasets reading a changed Silver relation, and their own
        run.dbt([f"{g.name}+" for g in fed])
    rebuilt = {n.relation for n in run.nodes if n.resource_type == "model"}
    gold = sorted(m.relation for m in run.models(_DOWNSTREAM) if m.relation in rebuilt)
    run.report(BuildEvent("checks", "running quality gates"))
    invocation = DbtInvocation(success=True, nodes=tuple(run.nodes), error=None)
    manifest = run.dirs.dbt_target("backfill") / "manifest.json"
    gates = _audit(run.layout, run.staging, invocation, manifest)
    return BackfillResult(
        start=start,
        end=end,
        dry_run=run.options.dry_run,
        build_id=None,
        silver_rebuilt=tuple(sorted(m.relation for m in silver if m.relation in rebuilt)),
        silver_changed=tuple(m.relation for m in changed),
        gold_rebuilt=tuple(gold),
        diffs=run.diffs(gold),
        gates=gates,
        seconds=time.monotonic() - began,
        tests=sum(1 for n in run.nodes if n.resource_type == "test"),
        warnings=tuple(n.name for n in run.nodes if n.status == "warn"),
    )


def _published_copy(dirs: WarehouseDirs) -> str:
    """A local path of the published build to compare with: the file itself on local disk,
    else a copy in the work folder (DuckDB attaches local files only)."""
    current = dirs.builds.current()
    if current is not None and Path(current).is_file():
        return current
    copy = dirs.builds.staging.with_name("_published.duckdb")
    dirs.builds.fetch_current(copy)
    return str(copy)


def _drop_copy(dirs: WarehouseDirs, published: str) -> None:
    copy = dirs.builds.staging.with_name("_published.duckdb")
    if Path(published) == copy:
        copy.unlink(missing_ok=True)


def _with_id(result: BackfillResult, build_id: str, seconds: float) -> BackfillResult:
    from dataclasses import replace

    return replace(result, build_id=build_id, seconds=seconds)
