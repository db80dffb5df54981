"""Extract snapshots: each BI dataset as immutable Parquet under the lake's ``extracts/``.

::

    <lake>/extracts/<dataset>/
      <snapshot_id>/part-00000.parquet     one snapshot (never written again)
      <snapshot_id>/_snapshot.json         rows, bytes, as_of, build, columns
      CURRENT                              pointer: the snapshot dashboards read

A refresh copies the dataset's table from the published build into a new snapshot folder
(every file stored atomically through :mod:`rastup_data.storage`) and then switches
``CURRENT`` in one atomic put: readers see the old snapshot or the new one, never a mix.
Old snapshots are collected, keeping the newest few and always the current one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import orjson

from rastup_data.lake.layout import LakeLayout
from rastup_data.storage import Storage
from rastup_data.transform.warehouse import new_snapshot_id

__all__ = [
    "EXTRACTS",
    "KEEP_SNAPSHOTS",
    "Snapshot",
    "collect_snapshots",
    "current_snapshot",
    "dataset_folder",
    "publish_snapshot",
    "snapshot_glob",
    "stage_snapshot",
]

#: The lake folder of every extract.
EXTRACTS = "extracts"
#: Snapshots kept per dataset besides the current one.
KEEP_SNAPSHOTS = 3

_POINTER = "CURRENT"
_META = "_snapshot.json"
_PART = "part-00000.parquet"
_SNAPSHOT_ID = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{6}$")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One published extract of a dataset."""

    dataset: str
    snapshot_id: str
    rows: int
    bytes: int
    as_of: str | None
    refreshed_at: str
    build: str | None
    columns: tuple[str, ...]

    @property
    def folder(self) -> str:
        return f"{dataset_folder(self.dataset)}/{self.snapshot_id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "snapshot_id": self.snapshot_id,
            "rows": self.rows,
            "bytes": self.bytes,
            "as_of": self.as_of,
            "refreshed_at": self.refreshed_at,
            "build": self.build,
            "columns": list(self.columns),
        }


def dataset_folder(dataset: str) -> str:
    return f"{EXTRACTS}/{dataset}"


def current_snapshot(store: Storage, dataset: str) -> Snapshot | None:
    """The snapshot ``CURRENT`` names, or None before the first refresh (or if it vanished)."""
    snapshot_id = store.read_pointer(f"{dataset_folder(dataset)}/{_POINTER}")
    if not snapshot_id or not _SNAPSHOT_ID.match(snapshot_id):
        return None
    try:
        document = orjson.loads(
            store.read_bytes(f"{dataset_folder(dataset)}/{snapshot_id}/{_META}")
        )
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
    return Snapshot(
        dataset=dataset,
        snapshot_id=snapshot_id,
        rows=int(document["rows"]),
        bytes=int(document["bytes"]),
        as_of=document.get("as_of"),
        refreshed_at=str(document["refreshed_at"]),
        build=document.get("build"),
        columns=tuple(document.get("columns", ())),
    )


def snapshot_glob(store: Storage, dataset: str) -> str | None:
    """The Parquet glob of the current snapshot (what the gate reads), or None."""
    snapshot = current_snapshot(store, dataset)
    return None if snapshot is None else store.uri(f"{snapshot.folder}/*.parquet")


def stage_snapshot(
    layout: LakeLayout,
    conn: duckdb.DuckDBPyConnection,
    dataset: str,
    *,
    source: str,
    now: datetime,
    build: str | None = None,
) -> Snapshot:
    """Copy ``source`` (a relation of ``conn``) into a new snapshot folder; readers do not
    see it until :func:`publish_snapshot`."""
    store = layout.lake
    snapshot_id = new_snapshot_id(now)
    folder = f"{dataset_folder(dataset)}/{snapshot_id}"
    with store.writing(f"{folder}/{_PART}") as tmp:
        conn.execute(
            f"COPY (SELECT * FROM {source}) TO '{_quote(str(tmp))}' "
            "(FORMAT parquet, COMPRESSION zstd)"
        )
    part = store.stat(f"{folder}/{_PART}")
    counted = conn.execute(f"SELECT count(*) FROM {source}").fetchone()
    columns = tuple(str(d[0]) for d in conn.execute(f"SELECT * FROM {source} LIMIT 0").description)
    snapshot = Snapshot(
        dataset=dataset,
        snapshot_id=snapshot_id,
        rows=int(counted[0]) if counted else 0,
        bytes=part.size if part is not None else 0,
        as_of=_as_of(conn),
        refreshed_at=now.isoformat(),
        build=build,
        columns=columns,
    )
    store.put_bytes(f"{folder}/{_META}", orjson.dumps(snapshot.to_json()))
    return snapshot


def publish_snapshot(store: Storage, snapshot: Snapshot) -> None:
    """Switch the dataset's CURRENT to ``snapshot`` in one atomic step."""
    store.write_pointer(f"{dataset_folder(snapshot.dataset)}/{_POINTER}", snapshot.snapshot_id)


def collect_snapshots(store: Storage, dataset: str, keep: int = KEEP_SNAPSHOTS) -> list[str]:
    """Delete old snapshot folders: keep the newest ``keep`` and always the current one."""
    base = dataset_folder(dataset)
    current = store.read_pointer(f"{base}/{_POINTER}")
    ids = sorted(
        {k.split("/")[2] for k in store.list_keys(base) if k.count("/") == 3},
        reverse=True,
    )
    removed = []
    for snapshot_id in ids[keep:]:
        if snapshot_id != current and _SNAPSHOT_ID.match(snapshot_id):
            store.delete_prefix(f"{base}/{snapshot_id}")
            removed.append(snapshot_id)
    return removed


def _as_of(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The newest occurred_at of the build the extract came from (its freshness)."""
    try:
        row = conn.execute("SELECT max(occurred_at) FROM silver.events_deduped").fetchone()
    except duckdb.Error:
        return None
    value = row[0] if row else None
    return value.isoformat() if isinstance(value, datetime) else None


def _quote(text: str) -> str:
    return text.replace("'", "''")
