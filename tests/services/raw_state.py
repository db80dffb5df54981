"""Reaching past the platform into a state database, to tamper with it as an attacker would."""

from __future__ import annotations

import sqlite3

import psycopg

from rastup_data.state import SQLITE, StateDB
from rastup_data.state.database import connect_url

__all__ = ["DB_ERRORS", "drop_append_only_triggers", "raw_state"]

#: What either driver raises when a statement fails (a trigger's refusal included).
DB_ERRORS = (sqlite3.DatabaseError, psycopg.Error)


def raw_state(url: str) -> StateDB:
    """A plain connection to the database at ``url``: no migrations, no platform rules."""
    connection, dialect = connect_url(url)
    return StateDB(connection, dialect, url)


def drop_append_only_triggers(db: StateDB) -> None:
    """Remove the audit log's update and delete guards (what only a database owner can)."""
    if db.dialect is SQLITE:
        db.execute("DROP TRIGGER audit_log_no_update")
        db.execute("DROP TRIGGER audit_log_no_delete")
    else:
        db.execute("DROP TRIGGER audit_log_no_update ON audit_log")
