"""Secrets generated once per state database (``governance_keys``): the masking key of the
query gate, the privacy key of subject hashes, and any other component's."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from rastup_data.state.database import StateDB

__all__ = ["stored_key"]


def stored_key(db: StateDB, name: str) -> str:
    """The secret ``name`` (64 hex characters), created on first use; processes racing here
    agree on the first one stored."""
    row = db.fetchone("SELECT value FROM governance_keys WHERE name = ?", (name,))
    if row is None:
        db.execute(
            "INSERT INTO governance_keys (name, value, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO NOTHING",
            (name, secrets.token_hex(32), datetime.now(UTC).isoformat()),
        )
        row = db.fetchone("SELECT value FROM governance_keys WHERE name = ?", (name,))
    assert row is not None
    return str(row[0])
