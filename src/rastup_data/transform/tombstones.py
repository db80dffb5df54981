"""Erased ids: read them from the state store and hand them to the dbt project.

The dbt source ``privacy.tombstones`` is a table the build writes into its private
warehouse file before dbt runs, so every Silver and Gold model can exclude them. It lists
every erased user id and every anonymous id an erasure covers (privacy resolves those from
``identity_links``, Bronze and ``dim_identity``); the models exclude a listed id wherever it
appears as a user or an anonymous id.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from rastup_data.config import Settings
from rastup_data.lake.layout import LakeLayout, adopt_legacy_work
from rastup_data.state import open_state
from rastup_data.state.database import state_url_for_layout

__all__ = ["read_tombstones", "seal_warehouse_file", "write_tombstones_table"]


def read_tombstones(layout: LakeLayout) -> tuple[str, ...]:
    """Ids with a tombstone in the lake's state database (empty when there is none): the
    ``user_id`` and ``anon_id`` of its ``tombstones`` table (raw until the erasure is
    verified, when nothing is left to exclude). The database is ``RASTUP_STATE_URL`` when
    set (PostgreSQL for several nodes), else the SQLite file in the lake's work folder."""
    url = Settings.from_env(lake=layout.root).state_url
    if url is None:
        adopt_legacy_work(layout)
        if not layout.state_db.exists():
            return ()  # nothing was ever erased here; do not create a database to say so
        url = state_url_for_layout(layout)
    with open_state(url) as state:
        rows = state.fetchall(
            "SELECT user_id FROM tombstones WHERE user_id IS NOT NULL "
            "UNION SELECT anon_id FROM tombstones WHERE anon_id IS NOT NULL"
        )
    return tuple(sorted(str(row[0]) for row in rows))


def write_tombstones_table(conn: duckdb.DuckDBPyConnection, user_ids: Iterable[str]) -> int:
    """Replace ``privacy.tombstones`` in a warehouse file with these users; returns the count."""
    ids = sorted({u for u in user_ids if u})
    conn.execute("CREATE SCHEMA IF NOT EXISTS privacy")
    conn.execute(
        "CREATE OR REPLACE TABLE privacy.tombstones "
        "(user_id VARCHAR NOT NULL, requested_at TIMESTAMPTZ)"
    )
    if ids:
        conn.executemany("INSERT INTO privacy.tombstones VALUES (?, NULL)", [(u,) for u in ids])
    return len(ids)


def seal_warehouse_file(path: Path) -> None:
    """Prepare a built file for readers: drop the erased-id lists, checkpoint the WAL away."""
    with duckdb.connect(str(path)) as conn:
        conn.execute("DROP SCHEMA IF EXISTS privacy CASCADE")
        conn.execute("CHECKPOINT")
