"""Erased ids: read them from the state store and hand them to the dbt project.

The dbt source ``privacy.tombstones`` is a table the build writes into its private
warehouse file before dbt runs, so every Silver and Gold model can exclude them. It lists
every erased user id and every anonymous id an erasure covers (privacy resolves those from
``identity_links``, Bronze and ``dim_identity``); the models exclude a listed id wherever it
appears as a user or an anonymous id.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import duckdb

from rastup_data.lake.layout import LakeLayout, adopt_legacy_work

__all__ = ["read_tombstones", "seal_warehouse_file", "write_tombstones_table"]


def read_tombstones(layout: LakeLayout) -> tuple[str, ...]:
    """Ids with a tombstone in the lake's state database (empty when there is none): the
    ``user_id`` and ``anon_id`` of the ``tombstones`` table of the embedded SQLite store
    (raw until the erasure is verified, when nothing is left to exclude)."""
    adopt_legacy_work(layout)
    path = layout.state_db
    if not path.exists():
        return ()
    uri = f"file:{path}?mode=ro"
    try:
        with sqlite3.connect(uri, uri=True, timeout=10) as conn:
            rows = conn.execute(
                "SELECT user_id FROM tombstones WHERE user_id IS NOT NULL "
                "UNION SELECT anon_id FROM tombstones WHERE anon_id IS NOT NULL"
            ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc) or "no such column" in str(exc):
            return ()
        raise
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
