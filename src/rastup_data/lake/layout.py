"""Where everything lives inside a lake root.

::

    <lake>/
      bronze/events/dt=YYYY-MM-DD/<segment>.parquet   landed events (immutable)
      bronze/_bad/dt=YYYY-MM-DD/<segment>.parquet     quarantine: rejected events, raw
      _spool/                                         collector write-ahead spool (w<N>/ per worker)
      _manifest/landings.ndjson                       what was landed when
      _state/state.db                                 operational state (SQLite)
      warehouse/                                      published Silver/Gold snapshots
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

__all__ = ["LakeLayout"]


@dataclass(frozen=True, slots=True)
class LakeLayout:
    """Paths of one lake root. Creating a layout touches nothing on disk."""

    root: Path

    @property
    def bronze(self) -> Path:
        return self.root / "bronze"

    @property
    def bronze_events(self) -> Path:
        return self.bronze / "events"

    @property
    def bronze_bad(self) -> Path:
        return self.bronze / "_bad"

    @property
    def spool(self) -> Path:
        return self.root / "_spool"

    @property
    def manifest(self) -> Path:
        return self.root / "_manifest" / "landings.ndjson"

    @property
    def state_dir(self) -> Path:
        return self.root / "_state"

    @property
    def state_db(self) -> Path:
        return self.state_dir / "state.db"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    def events_partition(self, dt: date | str) -> Path:
        return self.bronze_events / f"dt={_iso(dt)}"

    def bad_partition(self, dt: date | str) -> Path:
        return self.bronze_bad / f"dt={_iso(dt)}"

    @property
    def events_glob(self) -> str:
        return str(self.bronze_events / "**" / "*.parquet")

    @property
    def bad_glob(self) -> str:
        return str(self.bronze_bad / "**" / "*.parquet")


def _iso(dt: date | str) -> str:
    return dt if isinstance(dt, str) else dt.isoformat()
