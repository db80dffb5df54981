"""Tile views from the audit log: every tile query carries ``-- tile: <board>/<tile>``, so
the gate's audit of the ``dashboard`` path counts each view (page, CSV or live refresh)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from rastup_data.bi.boards import Dashboard
from rastup_data.governance import AuditLog

__all__ = ["tile_views", "unused_tiles"]

_MARKER = re.compile(r"^-- tile: ([a-z0-9_]+)/([a-z0-9_]+)\n")


def tile_views(audit: AuditLog, *, since: datetime) -> Counter[tuple[str, str]]:
    """(board, tile) → views on the ``dashboard`` path since ``since``."""
    views: Counter[tuple[str, str]] = Counter()
    for record in audit.records(since=since.isoformat()):
        if record.path != "dashboard":
            continue
        match = _MARKER.match(record.sql)
        if match is not None:
            views[(match[1], match[2])] += 1
    return views


def unused_tiles(
    boards: Sequence[Dashboard], audit: AuditLog, *, now: datetime, days: int
) -> list[tuple[str, str]]:
    """The tiles of ``boards`` nobody viewed in the last ``days`` days."""
    views = tile_views(audit, since=now - timedelta(days=days))
    return [(b.key, t.key) for b in boards for t in b.tiles if (b.key, t.key) not in views]
