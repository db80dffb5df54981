"""Verify the state database: every column of every table, the audit log included.

The request's own tombstones are the one exception: they hold its ids until this
verification succeeds, and are cleared in the same transaction that marks it verified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from rastup_data.privacy.verify.base import StoreScan, VerifyScope
from rastup_data.state import POSTGRESQL, StateDB

__all__ = ["StateScanner", "state_tables"]

_BATCH = 10_000


def state_tables(db: StateDB) -> list[str]:
    """Every user table of the state database."""
    if db.dialect.name == POSTGRESQL.name:
        rows = db.fetchall(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    else:
        rows = db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    return sorted(str(r[0]) for r in rows)


@dataclass(frozen=True, slots=True)
class StateScanner:
    name: str = "state"

    def scan(self, scope: VerifyScope) -> StoreScan:
        result = StoreScan(self.name)
        db = scope.ctx.state
        for table in state_tables(db):
            where, params = "", []
            if table == "tombstones":
                where, params = " WHERE request_id <> ?", [scope.request_id]
            offset = 0
            result.files += 1
            while True:
                rows = db.fetchall(
                    f"SELECT * FROM {table}{where} LIMIT {_BATCH} OFFSET {offset}", params
                )
                if not rows:
                    break
                offset += len(rows)
                texts = [(i, v) for i, row in enumerate(rows) for v in row if isinstance(v, str)]
                result.bytes += sum(len(v) for _, v in texts)
                if texts and scope.ids:
                    mask = scope.matcher.rows(pa.array([v for _, v in texts], pa.large_string()))
                    result.add_hits(table, len({texts[j][0] for j in np.flatnonzero(mask)}))
        return result
