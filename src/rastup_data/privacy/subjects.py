"""Who a subject is: the user id and every anonymous id linked to it.

Links come from three places, all read each time (at filing and again at purge time, so a
link that arrived meanwhile is not missed): the state database's ``identity_links`` (sticky
assignment across login), ``identity.linked`` events in Bronze (payload ``anon_id`` and the
envelope's ``anon_id``), and the published build's ``silver.dim_identity``.
"""

from __future__ import annotations

from collections.abc import Collection

import duckdb

from rastup_data.lake.files import has_files
from rastup_data.lake.layout import BRONZE_EVENTS, LakeLayout
from rastup_data.state import StateDB
from rastup_data.transform.published import published_files

__all__ = ["Links", "resolve_links"]

#: user id -> {anonymous id -> where the link was found}
Links = dict[str, dict[str, str]]


def resolve_links(layout: LakeLayout, state: StateDB, users: Collection[str]) -> Links:
    """The anonymous ids linked to each of ``users``, with the first source that named them."""
    links: Links = {user: {} for user in users}
    if not links:
        return links
    for user, anon in _state_links(state, links):
        links[user].setdefault(anon, "identity_links")
    with duckdb.connect(":memory:") as conn:
        layout.lake.register_duckdb(conn)
        conn.execute("CREATE TEMP TABLE wanted (user_id VARCHAR)")
        conn.executemany("INSERT INTO wanted VALUES (?)", [(u,) for u in sorted(links)])
        for user, anon in _bronze_links(layout, conn):
            links[user].setdefault(anon, "bronze")
        for user, anon in _warehouse_links(layout, conn):
            links[user].setdefault(anon, "warehouse")
    return links


def _state_links(state: StateDB, links: Links) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    users = sorted(links)
    for start in range(0, len(users), 500):
        chunk = users[start : start + 500]
        rows = state.fetchall(
            "SELECT user_id, anon_id FROM identity_links "
            f"WHERE user_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        found += [(str(r[0]), str(r[1])) for r in rows]
    return found


def _bronze_links(layout: LakeLayout, conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    store = layout.lake
    if not has_files(store, BRONZE_EVENTS):
        return []
    glob = store.uri(f"{BRONZE_EVENTS}/**/*.parquet")
    rows = conn.execute(
        "WITH linked AS ("
        "  SELECT coalesce(payload ->> 'user_id', user_id) AS user_id, "
        "         payload ->> 'anon_id' AS payload_anon, anon_id "
        "  FROM read_parquet(?, hive_partitioning = false, union_by_name = true) "
        "  WHERE event = 'identity.linked'), "
        "pairs AS (SELECT user_id, payload_anon AS anon FROM linked "
        "          UNION SELECT user_id, anon_id FROM linked) "
        "SELECT p.user_id, p.anon FROM pairs AS p JOIN wanted AS w ON w.user_id = p.user_id "
        "WHERE p.anon IS NOT NULL",
        [glob],
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def _warehouse_links(layout: LakeLayout, conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    current = published_files(layout).warehouse
    if current is None:
        return []
    conn.execute(f"ATTACH '{current.replace(chr(39), chr(39) * 2)}' AS wh (READ_ONLY)")
    try:
        known = conn.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'wh' "
            "AND schema_name = 'silver' AND table_name = 'dim_identity'"
        ).fetchone()
        if not known or not known[0]:
            return []
        rows = conn.execute(
            "SELECT d.user_id, d.anon_id FROM wh.silver.dim_identity AS d "
            "JOIN wanted AS w ON w.user_id = d.user_id WHERE d.anon_id IS NOT NULL"
        ).fetchall()
    finally:
        conn.execute("DETACH wh")
    return [(str(r[0]), str(r[1])) for r in rows]
