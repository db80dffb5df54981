"""Open the state database named by a URL, the settings, or a lake, and migrate it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rastup_data.config import resolve_lake
from rastup_data.state.database import StateDB, connect_url, state_url_for_lake
from rastup_data.state.migrations import Migration, apply_migrations

__all__ = ["open_state"]


def open_state(
    url: str | None = None,
    *,
    lake: str | Path | None = None,
    migrations: Sequence[Migration] | None = None,
) -> StateDB:
    """Open (creating if needed) and migrate the state database.

    ``url`` wins (e.g. ``Settings.state_url`` from ``RASTUP_STATE_URL``); otherwise the
    SQLite file ``<work>/state/state.db`` of the lake. ``migrations`` defaults to the built-in ones.
    """
    if url is None:
        url = state_url_for_lake(resolve_lake(lake))
    connection, dialect = connect_url(url)
    db = StateDB(connection, dialect, url)
    try:
        apply_migrations(db, migrations)
    except BaseException:
        db.close()
        raise
    return db
