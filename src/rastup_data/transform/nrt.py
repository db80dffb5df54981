"""Near-real-time ops views, refreshed at a cost that follows the new data.

A refresh folds the Bronze files it has not read yet into a state file private to the
refresher (node-local: ``<work>/warehouse/_nrt/_staging.duckdb``, holding deduplicated money
and dispute events, identity links and each Bronze file's newest event times), rebuilds
the small views from that state, copies the views into a new snapshot file, switches
``warehouse/nrt/CURRENT`` and records its freshness in ``FRESHNESS.json``. When the state
cannot be trusted (see ``_nrt_plan``) it is rebuilt from all of Bronze, with the same result.

The rows the views need (:data:`NRT_EVENTS`) are read out of Bronze before dbt runs. A
build reads them ahead (:func:`prefetch_nrt`) while dbt starts, when a core is idle, and
the refresh after its models reads only the files that changed since.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import NRT_LOCK, WAREHOUSE, LakeLayout
from rastup_data.transform._dbt import DbtInvocation, run_dbt
from rastup_data.transform._nrt_plan import (
    STATE_VERSION,
    BronzeFile,
    NrtMode,
    NrtPlan,
    digest,
    list_bronze_files,
    plan_refresh,
    read_folded_state,
)
from rastup_data.transform.dbt_lake import dbt_lake
from rastup_data.transform.tombstones import read_tombstones, write_tombstones_table
from rastup_data.transform.warehouse import WarehouseDirs, new_snapshot_id, warehouse_dirs

if TYPE_CHECKING:  # pyarrow (and numpy) load only when rows are read ahead
    import pyarrow as pa

__all__ = [
    "NRT_EVENTS",
    "NRT_VIEWS",
    "NrtFreshness",
    "NrtMode",
    "NrtPrefetch",
    "NrtResult",
    "discard_nrt_state",
    "nrt_state_path",
    "prefetch_nrt",
    "read_nrt_freshness",
    "refresh_nrt",
]

#: The views a snapshot holds (readers see them as ``nrt.<name>``).
NRT_VIEWS = ("ops_payout_backlog", "ops_recon", "ops_dispute_queue", "lake_watermark")

#: The Bronze events the views read: money, disputes and identity links (erasure needs them).
NRT_EVENTS = (
    "payment.charge.succeeded",
    "payment.refund.succeeded",
    "payment.fee.recorded",
    "payout.created",
    "payout.paid",
    "dispute.opened",
    "dispute.resolved",
    "identity.linked",
)

#: The raw Bronze columns of those rows that the views read (``nrt_input.new_rows``), and
#: the file each row came from. Decoding the envelope's context, ids and session of every
#: row of a full refresh was a third of its read.
_ROW_COLUMNS = "event_id, event, occurred_at, received_at, user_id, anon_id, payload, filename"

#: The most Bronze (Parquet bytes) a build reads ahead into memory for the NRT refresh:
#: ~2 GiB of Bronze, ~35 M events, holds ~600 k such rows (~250 MB). A larger read is left
#: to the refresh itself.
PREFETCH_MAX_BYTES = 2 << 30

#: The raw Bronze columns (as the lander writes them) of an input view with no files.
_EMPTY_BRONZE = (
    "SELECT NULL::VARCHAR AS event_id, NULL::VARCHAR AS event, NULL::INTEGER AS v, "
    "NULL::TIMESTAMPTZ AS occurred_at, NULL::TIMESTAMPTZ AS received_at, "
    "NULL::VARCHAR AS user_id, NULL::VARCHAR AS anon_id, NULL::VARCHAR AS session_id, "
    "NULL::VARCHAR AS context, NULL::VARCHAR AS ids, NULL::VARCHAR AS payload, "
    "NULL::DATE AS dt, NULL::VARCHAR AS filename WHERE false"
)


@dataclass(frozen=True, slots=True)
class NrtFreshness:
    """When the NRT views were refreshed and the newest event they saw."""

    snapshot_id: str
    refreshed_at: datetime
    newest_occurred_at: datetime | None
    newest_received_at: datetime | None

    def lag_seconds(self, now: datetime | None = None) -> float:
        """Seconds between the newest received event and ``now`` (or the refresh time)."""
        moment = now or self.refreshed_at
        if self.newest_received_at is None:
            return 0.0
        return max(0.0, (moment - self.newest_received_at).total_seconds())

    def to_json(self) -> dict[str, str | None]:
        return {
            "snapshot_id": self.snapshot_id,
            "refreshed_at": self.refreshed_at.isoformat(),
            "newest_occurred_at": _iso(self.newest_occurred_at),
            "newest_received_at": _iso(self.newest_received_at),
        }


@dataclass(frozen=True, slots=True)
class NrtResult:
    """A published NRT snapshot, and how much of Bronze the refresh read for it."""

    path: str
    freshness: NrtFreshness
    seconds: float
    mode: NrtMode = NrtMode.FULL
    files_read: int = 0
    reason: str = ""
    #: Of ``files_read``, the files whose rows a :func:`prefetch_nrt` had read.
    files_prefetched: int = 0


@dataclass(frozen=True, slots=True)
class NrtPrefetch:
    """The rows of :data:`NRT_EVENTS` of some Bronze files, read ahead of a refresh.

    ``files`` maps each file read (lake key) to its size and modification time then, and
    the name its rows carry in ``filename``; ``rows`` is an Arrow table of
    :data:`_ROW_COLUMNS`.
    """

    files: dict[str, tuple[tuple[int, float], str]]
    rows: pa.Table

    def names_of(self, files: Sequence[BronzeFile]) -> list[str]:
        """The row names (``filename``) of those of ``files`` read unchanged."""
        names = []
        for file in files:
            read = self.files.get(file.path)
            if read is not None and read[0] == file.signature:
                names.append(read[1])
        return names


def prefetch_nrt(
    layout: LakeLayout,
    *,
    tombstones: Sequence[str] | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> NrtPrefetch | None:
    """Read the Bronze rows the next :func:`refresh_nrt` of ``layout`` would read.

    Plans as the refresh does (under the NRT lock, then released) and reads the planned
    files' rows into memory, with ``connection`` (an in-memory one by default). The
    refresh takes the rows of the files it still reads and that have not changed since,
    and reads any other file itself, so a prefetch is never wrong, only sometimes of no
    use. None when there is nothing to read or more than :data:`PREFETCH_MAX_BYTES`.
    """
    dirs = warehouse_dirs(layout)
    erased = tuple(tombstones if tombstones is not None else read_tombstones(layout))
    with dirs.store.lock(NRT_LOCK):
        plan = _plan(layout, dirs, erased)
    if not plan.files or sum(f.bytes for f in plan.files) > PREFETCH_MAX_BYTES:
        return None
    with contextlib.nullcontext(connection) if connection is not None else duckdb.connect() as conn:
        _create_input_view(conn, layout, plan)
        rows = conn.sql(
            f"SELECT {_ROW_COLUMNS} FROM nrt_input.new_bronze WHERE {_events_filter()}"
        ).to_arrow_table()
    files = {f.path: (f.signature, layout.lake.uri(f.path)) for f in plan.files}
    return NrtPrefetch(files, rows)


def refresh_nrt(
    layout: LakeLayout,
    *,
    tombstones: Sequence[str] | None = None,
    prefetched: NrtPrefetch | None = None,
) -> NrtResult:
    """Fold new Bronze files into the NRT views, run their data tests, and publish them.

    ``prefetched``: rows a :func:`prefetch_nrt` read ahead; the files among them that did
    not change are not read again.

    Raises CTAS_FAILURE when a view fails to build and QUALITY_CHECK_FAILED when an
    error-severity data test fails; either way the previous snapshot stays current.
    """
    dirs = warehouse_dirs(layout)
    began = time.monotonic()
    erased = tuple(tombstones if tombstones is not None else read_tombstones(layout))
    with dirs.store.lock(NRT_LOCK):
        plan = _fold(layout, dirs, _plan(layout, dirs, erased), erased, prefetched)
        path, freshness = _publish_snapshot(dirs, nrt_state_path(dirs))
    return NrtResult(
        path=path,
        freshness=freshness,
        seconds=time.monotonic() - began,
        mode=plan.mode,
        files_read=len(plan.files),
        reason=plan.reason,
        files_prefetched=len(prefetched.names_of(plan.files)) if prefetched else 0,
    )


def _plan(layout: LakeLayout, dirs: WarehouseDirs, erased: Sequence[str]) -> NrtPlan:
    """What a refresh of ``layout`` would read now (hold the NRT lock)."""
    return plan_refresh(
        layout,
        read_folded_state(nrt_state_path(dirs)),
        tombstones_digest=digest(erased),
        current=list_bronze_files(layout),
    )


def nrt_state_path(dirs: WarehouseDirs) -> Path:
    """The NRT state file: node-local, opened only by the refresher (under the NRT lock).

    Its file name is the build's staging file's: dbt-duckdb names the catalog after the
    file's stem and that name is parsed into every dbt node, so with the same stem the
    refresh after a build reuses the build's parse of the project (see ``_dbt``).
    """
    return dirs.work.path(f"{WAREHOUSE}/_nrt/{dirs.builds.staging.name}")


#: Where the NRT state lived before it took the staging file's name; removed with the state.
_LEGACY_STATE = "state.duckdb"


def discard_nrt_state(dirs: WarehouseDirs) -> None:
    """Delete the NRT state (hold the ``nrt`` lock): the next refresh rebuilds it from Bronze.

    A purge calls this: the state holds the identity links folded in so far, erased users'
    included, until it is rebuilt from the purged Bronze.
    """
    state = nrt_state_path(dirs)
    for file in (state, state.with_name(_LEGACY_STATE)):
        for path in (file, file.with_name(file.name + ".wal")):
            path.unlink(missing_ok=True)


def _fold(
    layout: LakeLayout,
    dirs: WarehouseDirs,
    plan: NrtPlan,
    erased: Sequence[str],
    prefetched: NrtPrefetch | None,
) -> NrtPlan:
    """Run ``plan``; rebuild from all of Bronze when the erased subjects changed meanwhile."""
    before = read_folded_state(nrt_state_path(dirs)) if plan.mode is NrtMode.INCREMENTAL else None
    erased_now, invocation = _run_fold(layout, dirs, plan, erased, prefetched)
    if before is not None and erased_now != before.erased_digest:
        # A new identity link ties an anonymous id to an erased user: rows folded in
        # earlier may be that id's, so the state is rebuilt with the new erased set.
        plan = NrtPlan(
            NrtMode.FULL, "new identity links of erased users", list_bronze_files(layout)
        )
        _, invocation = _run_fold(layout, dirs, plan, erased, prefetched)
    _raise_for_failed_tests(invocation)
    return plan


def _run_fold(
    layout: LakeLayout,
    dirs: WarehouseDirs,
    plan: NrtPlan,
    erased: Sequence[str],
    prefetched: NrtPrefetch | None,
) -> tuple[str, DbtInvocation]:
    """Fold the plan's files into the state file and rebuild the views (with their tests).

    Returns the digest of the erased set and the dbt invocation. A model error leaves the
    state marked unfinished (the next refresh rebuilds it); failed tests do not.
    """
    state = nrt_state_path(dirs)
    if plan.mode is NrtMode.FULL:
        discard_nrt_state(dirs)
    state.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(state)) as conn:
        write_tombstones_table(conn, erased)
        _write_meta(conn, {"version": STATE_VERSION, "complete": "false"})
        _write_inputs(conn, layout, plan, prefetched)
        conn.execute("CHECKPOINT")
    lake = dbt_lake(layout)
    invocation = run_dbt(
        ["build", "--select", "+tag:nrt"],
        target_dir=dirs.dbt_target("nrt"),
        variables={**lake.variables, "warehouse_path": str(state)},
        target=lake.target,
    )
    _raise_for_model_errors(invocation)
    with duckdb.connect(str(state)) as conn:
        rows = conn.execute(
            "SELECT subject_type || ':' || subject_id FROM internal.nrt_erased_subjects"
        ).fetchall()
        erased_digest = digest(str(r[0]) for r in rows)
        # Only the digest of the erased ids stays: the lists are rebuilt on every refresh.
        conn.execute("DROP TABLE internal.nrt_erased_subjects")
        conn.execute("DROP SCHEMA IF EXISTS privacy CASCADE")
        conn.execute("DROP SCHEMA IF EXISTS nrt_input CASCADE")
        _write_meta(
            conn,
            {
                "complete": "true",
                "tombstones_digest": digest(erased),
                "erased_digest": erased_digest,
                "refreshed_at": datetime.now(UTC).isoformat(),
            },
        )
        conn.execute("CHECKPOINT")
    return erased_digest, invocation


def _raise_for_model_errors(invocation: DbtInvocation) -> None:
    broken = [n for n in invocation.nodes if n.resource_type != "test" and n.status == "error"]
    if broken or (invocation.error is not None and not invocation.nodes):
        detail = "; ".join(f"{n.name}: {n.message}" for n in broken) or invocation.error
        raise RastupError(
            ErrorCode.CTAS_FAILURE,
            f"NRT views failed to build: {detail}. The previous snapshot stays current.",
        )


def _raise_for_failed_tests(invocation: DbtInvocation) -> None:
    failed = [n for n in invocation.by_type("test") if n.status in {"fail", "error"}]
    if failed:
        detail = "; ".join(f"{n.name}: {n.message or n.failures}" for n in failed)
        raise RastupError(
            ErrorCode.QUALITY_CHECK_FAILED,
            f"NRT views failed {len(failed)} data test(s): {detail}. The previous snapshot "
            "stays current; see docs/runbooks/quality-failure.md.",
        )


def _write_meta(conn: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    conn.execute("CREATE SCHEMA IF NOT EXISTS internal")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS internal.nrt_state (key VARCHAR PRIMARY KEY, value VARCHAR)"
    )
    conn.executemany(
        "INSERT OR REPLACE INTO internal.nrt_state VALUES (?, ?)", list(values.items())
    )


def _write_inputs(
    conn: duckdb.DuckDBPyConnection,
    layout: LakeLayout,
    plan: NrtPlan,
    prefetched: NrtPrefetch | None,
) -> None:
    """The files to read, a view over exactly them and the rows of them the views read."""
    _create_input_view(conn, layout, plan)
    _write_new_rows(conn, layout, plan, prefetched)
    if plan.forget and _has_table(conn, "internal", "nrt_bronze_files"):
        conn.executemany(
            "DELETE FROM internal.nrt_bronze_files WHERE path = ?", [(p,) for p in plan.forget]
        )


def _create_input_view(conn: duckdb.DuckDBPyConnection, layout: LakeLayout, plan: NrtPlan) -> None:
    """``nrt_input.pending_files`` (the files to read) and ``nrt_input.new_bronze``, a view
    over exactly them."""
    layout.lake.register_duckdb(conn)  # the view is bound here: DuckDB reads the files' schema
    conn.execute("DROP SCHEMA IF EXISTS nrt_input CASCADE")
    conn.execute("CREATE SCHEMA nrt_input")
    conn.execute(
        "CREATE TABLE nrt_input.pending_files "
        "(path VARCHAR, uri VARCHAR, bytes BIGINT, modified DOUBLE)"
    )
    rows = [(f.path, layout.lake.uri(f.path), f.bytes, f.modified) for f in plan.files]
    if rows:
        conn.executemany("INSERT INTO nrt_input.pending_files VALUES (?, ?, ?, ?)", rows)
    conn.execute(f"CREATE VIEW nrt_input.new_bronze AS {_input_sql(layout, plan)}")


def _write_new_rows(
    conn: duckdb.DuckDBPyConnection,
    layout: LakeLayout,
    plan: NrtPlan,
    prefetched: NrtPrefetch | None,
) -> None:
    """``nrt_input.new_rows``: the plan's rows of :data:`NRT_EVENTS`, taken from
    ``prefetched`` for the files it read unchanged and read from Bronze for the others."""
    names = prefetched.names_of(plan.files) if prefetched is not None else []
    if prefetched is None or not names:
        conn.execute(
            f"CREATE TABLE nrt_input.new_rows AS SELECT {_ROW_COLUMNS} "
            f"FROM nrt_input.new_bronze WHERE {_events_filter()}"
        )
        return
    conn.register("nrt_prefetched", prefetched.rows)
    try:
        conn.execute(
            "CREATE TABLE nrt_input.new_rows AS SELECT * FROM nrt_prefetched "
            "WHERE filename IN (SELECT unnest(?::VARCHAR[]))",
            [names],
        )
    finally:
        conn.unregister("nrt_prefetched")
    kept = set(names)
    rest = tuple(f for f in plan.files if layout.lake.uri(f.path) not in kept)
    if rest:
        read = _listed_files_sql(layout, rest)
        conn.execute(
            f"INSERT INTO nrt_input.new_rows BY NAME SELECT {_ROW_COLUMNS} "
            f"FROM ({read}) WHERE {_events_filter()}"
        )


def _events_filter() -> str:
    return "event IN (" + ", ".join(_quote(e) for e in NRT_EVENTS) + ")"


_READ_OPTIONS = "hive_partitioning = true, union_by_name = true, filename = true"


def _input_sql(layout: LakeLayout, plan: NrtPlan) -> str:
    if plan.files and plan.mode is NrtMode.FULL:
        # Everything: one glob, keeping only the files listed (not those landed since).
        return (
            f"SELECT * FROM read_parquet({_quote(layout.events_glob)}, {_READ_OPTIONS}) "
            "WHERE filename IN (SELECT uri FROM nrt_input.pending_files)"
        )
    return _listed_files_sql(layout, plan.files)


def _listed_files_sql(layout: LakeLayout, files: Sequence[BronzeFile]) -> str:
    """The raw Bronze rows of exactly ``files``."""
    if not files:
        return _EMPTY_BRONZE
    listed = ", ".join(_quote(layout.lake.uri(f.path)) for f in files)
    # A file may lack optional columns (union_by_name fills them only across files).
    return (
        f"{_EMPTY_BRONZE} UNION ALL BY NAME SELECT * FROM read_parquet([{listed}], {_READ_OPTIONS})"
    )


def _publish_snapshot(dirs: WarehouseDirs, state: Path) -> tuple[str, NrtFreshness]:
    """Copy the views out of the state into a new snapshot file and switch CURRENT to it."""
    staging = dirs.prepare_staging(dirs.nrt)
    try:
        with duckdb.connect(str(staging)) as conn:
            conn.execute(f"ATTACH {_quote(str(state))} AS nrt_state (READ_ONLY)")
            for view in NRT_VIEWS:
                conn.execute(f"CREATE TABLE main.{view} AS SELECT * FROM nrt_state.main.{view}")
            conn.execute("DETACH nrt_state")
            row = conn.execute(
                "SELECT newest_occurred_at, newest_received_at FROM main.lake_watermark"
            ).fetchone()
            conn.execute("CHECKPOINT")
        snapshot_id = new_snapshot_id()
        path = dirs.nrt.publish(staging, snapshot_id)
    except BaseException:
        dirs.nrt.discard_staging()
        raise
    freshness = NrtFreshness(
        snapshot_id=snapshot_id,
        refreshed_at=datetime.now(UTC),
        newest_occurred_at=_utc(row[0]) if row else None,
        newest_received_at=_utc(row[1]) if row else None,
    )
    record = json.dumps(freshness.to_json(), indent=2) + "\n"
    dirs.store.put_bytes(dirs.freshness, record.encode())
    dirs.nrt.collect_garbage()
    return path, freshness


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _has_table(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def read_nrt_freshness(layout: LakeLayout) -> NrtFreshness | None:
    """The freshness of the current NRT snapshot, or None before the first refresh."""
    dirs = warehouse_dirs(layout)
    try:
        data = json.loads(dirs.store.read_bytes(dirs.freshness))
    except FileNotFoundError:
        return None
    return NrtFreshness(
        snapshot_id=str(data["snapshot_id"]),
        refreshed_at=datetime.fromisoformat(data["refreshed_at"]),
        newest_occurred_at=_parse(data.get("newest_occurred_at")),
        newest_received_at=_parse(data.get("newest_received_at")),
    )


def _utc(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
