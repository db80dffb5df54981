"""Where everything lives inside a lake root.

::

    <lake>/
      bronze/events/dt=YYYY-MM-DD/<segment>.parquet   landed events (immutable)
      bronze/_bad/dt=YYYY-MM-DD/<segment>.parquet     quarantine: rejected events, raw
      _spool/                                         collector write-ahead spool (w<N>/ per worker)
      _manifest/landings-YYYY-MM-DD.ndjson            what was landed when
      _state/state.db                                 operational state (SQLite)
      _locks/                                         lock files (lake, build, nrt)
      warehouse/                                      published Silver/Gold snapshots

Platform code writes the lake only through :attr:`LakeLayout.lake` (a
:class:`~rastup_data.storage.Storage`, keys below) and node-local files through
:attr:`LakeLayout.work`; the ``Path`` properties are for reading a local lake (tools, tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rastup_data.storage import LocalStorage, Storage

__all__ = [
    "BRONZE_BAD",
    "BRONZE_EVENTS",
    "LAKE_LOCK",
    "MANIFEST",
    "WAREHOUSE",
    "LakeLayout",
    "partition_key",
]

#: Storage keys (folders) of the shared lake.
BRONZE_EVENTS = "bronze/events"
BRONZE_BAD = "bronze/_bad"
MANIFEST = "_manifest"
WAREHOUSE = "warehouse"

#: The lake-wide lock: landings and partition swaps (compaction) take it.
LAKE_LOCK = "lake"


def partition_key(table: str, dt: date | str) -> str:
    """The key of one ``dt=`` partition folder of ``BRONZE_EVENTS`` or ``BRONZE_BAD``."""
    return f"{table}/dt={_iso(dt)}"


@dataclass(frozen=True, slots=True)
class LakeLayout:
    """Paths and stores of one lake root. Creating a layout touches nothing on disk."""

    root: Path

    @property
    def lake(self) -> Storage:
        """The shared lake: Bronze, quarantine, manifest, published warehouse builds."""
        return LocalStorage(self.root)

    @property
    def work(self) -> LocalStorage:
        """This node's work folder: spool, state database, staging builds, dbt targets."""
        return LocalStorage(self.root)

    @property
    def bronze(self) -> Path:
        return self.root / "bronze"

    @property
    def bronze_events(self) -> Path:
        return self.root / BRONZE_EVENTS

    @property
    def bronze_bad(self) -> Path:
        return self.root / BRONZE_BAD

    @property
    def spool(self) -> Path:
        return self.work.path("_spool")

    @property
    def state_dir(self) -> Path:
        return self.work.path("_state")

    @property
    def state_db(self) -> Path:
        return self.state_dir / "state.db"

    def events_partition(self, dt: date | str) -> Path:
        return self.root / partition_key(BRONZE_EVENTS, dt)

    def bad_partition(self, dt: date | str) -> Path:
        return self.root / partition_key(BRONZE_BAD, dt)

    @property
    def events_glob(self) -> str:
        return self.lake.uri(f"{BRONZE_EVENTS}/**/*.parquet")

    @property
    def bad_glob(self) -> str:
        return self.lake.uri(f"{BRONZE_BAD}/**/*.parquet")


def _iso(dt: date | str) -> str:
    return dt if isinstance(dt, str) else dt.isoformat()
