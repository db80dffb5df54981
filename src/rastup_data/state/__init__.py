"""The platform's operational state database: SQLite embedded by default, PostgreSQL by URL.

Open it with :func:`open_state`; numbered migrations in ``sql/`` are applied on open.
"""

from __future__ import annotations

from rastup_data.state.controls import SCHEDULER_SINCE, Control, OpsControls
from rastup_data.state.database import (
    POSTGRESQL,
    SQLITE,
    Connector,
    Dialect,
    StateDB,
    register_connector,
    sqlite_url,
    state_url_for_lake,
)
from rastup_data.state.keys import stored_key
from rastup_data.state.migrations import (
    Migration,
    applied_versions,
    apply_migrations,
    builtin_migrations,
)
from rastup_data.state.open import open_state

__all__ = [
    "POSTGRESQL",
    "SCHEDULER_SINCE",
    "SQLITE",
    "Connector",
    "Control",
    "Dialect",
    "Migration",
    "OpsControls",
    "StateDB",
    "applied_versions",
    "apply_migrations",
    "builtin_migrations",
    "open_state",
    "register_connector",
    "sqlite_url",
    "state_url_for_lake",
    "stored_key",
]
