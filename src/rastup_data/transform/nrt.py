"""Near-real-time ops views: rebuild only the ``nrt``-tagged models into a new small file.

Each refresh reads Bronze directly (no Silver needed), writes a fresh snapshot file,
switches ``warehouse/nrt/CURRENT`` and records its freshness in ``FRESHNESS.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform._dbt import DbtInvocation, run_dbt
from rastup_data.transform.dbt_lake import dbt_lake
from rastup_data.transform.tombstones import (
    read_tombstones,
    seal_warehouse_file,
    write_tombstones_table,
)
from rastup_data.transform.warehouse import new_snapshot_id, warehouse_dirs

__all__ = ["NRT_VIEWS", "NrtFreshness", "NrtResult", "read_nrt_freshness", "refresh_nrt"]

#: The views a snapshot holds (readers see them as ``nrt.<name>``).
NRT_VIEWS = ("ops_payout_backlog", "ops_recon", "ops_dispute_queue", "lake_watermark")


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
    """A published NRT snapshot."""

    path: str
    freshness: NrtFreshness
    seconds: float


def refresh_nrt(layout: LakeLayout, *, tombstones: Sequence[str] | None = None) -> NrtResult:
    """Rebuild the NRT ops views from Bronze, run their data tests, and publish them.

    Raises CTAS_FAILURE when a view fails to build and QUALITY_CHECK_FAILED when an
    error-severity data test fails; either way the previous snapshot stays current.
    """
    dirs = warehouse_dirs(layout)
    began = time.monotonic()
    erased = tombstones if tombstones is not None else read_tombstones(layout)
    lake = dbt_lake(layout)
    with dirs.store.lock("nrt"):
        staging = dirs.prepare_staging(dirs.nrt)
        try:
            with duckdb.connect(str(staging)) as conn:
                write_tombstones_table(conn, erased)
            invocation = run_dbt(
                ["build", "--select", "+tag:nrt"],
                target_dir=dirs.dbt_target("nrt"),
                variables={**lake.variables, "warehouse_path": str(staging)},
                target=lake.target,
            )
            _raise_for_failures(invocation)
            snapshot_id = new_snapshot_id()
            with duckdb.connect(str(staging)) as conn:
                row = conn.execute(
                    "SELECT newest_occurred_at, newest_received_at FROM main.lake_watermark"
                ).fetchone()
            seal_warehouse_file(staging)
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
    return NrtResult(path=path, freshness=freshness, seconds=time.monotonic() - began)


def _raise_for_failures(invocation: DbtInvocation) -> None:
    broken = [n for n in invocation.nodes if n.resource_type != "test" and n.status == "error"]
    if broken or (invocation.error is not None and not invocation.nodes):
        detail = "; ".join(f"{n.name}: {n.message}" for n in broken) or invocation.error
        raise RastupError(
            ErrorCode.CTAS_FAILURE,
            f"NRT views failed to build: {detail}. The previous snapshot stays current.",
        )
    failed = [n for n in invocation.by_type("test") if n.status in {"fail", "error"}]
    if failed:
        detail = "; ".join(f"{n.name}: {n.message or n.failures}" for n in failed)
        raise RastupError(
            ErrorCode.QUALITY_CHECK_FAILED,
            f"NRT views failed {len(failed)} data test(s): {detail}. The previous snapshot "
            "stays current; see docs/runbooks/quality-failure.md.",
        )


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
