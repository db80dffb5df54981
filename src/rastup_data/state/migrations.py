"""Numbered schema migrations, applied in order when the state database is opened.

Migrations are SQL files in ``rastup_data/state/sql/`` named ``NNNN_what.sql`` (portable
SQL) or ``NNNN_what.<dialect>.sql`` (one engine only; it replaces the portable file of the
same number for that engine). Statements end with ``;`` at the end of a line. The
``schema_version`` table records what has been applied; applying is idempotent and safe
when several processes open the database at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.state.database import Dialect, StateDB

__all__ = [
    "Migration",
    "applied_versions",
    "apply_migrations",
    "builtin_migrations",
    "split_statements",
]

_FILE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)(?:\.(?P<dialect>[a-z]+))?\.sql$")

_CREATE_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)"
)


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema change: its version, a short name, and its SQL statements."""

    version: int
    name: str
    statements: tuple[str, ...]


def split_statements(sql: str) -> tuple[str, ...]:
    """Split a migration file on ``;`` at line ends; drop ``--`` comment lines."""
    kept = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    parts = re.split(r";[ \t]*(?:\n|$)", kept)
    return tuple(p.strip() for p in parts if p.strip())


def builtin_migrations(dialect: Dialect) -> tuple[Migration, ...]:
    """The migrations shipped in ``rastup_data/state/sql`` for ``dialect``, in order."""
    portable: dict[int, Migration] = {}
    specific: dict[int, Migration] = {}
    folder = resources.files("rastup_data.state").joinpath("sql")
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match is None:
            continue
        which = match["dialect"]
        if which is not None and which != dialect.name:
            continue
        target = portable if which is None else specific
        version = int(match["version"])
        if version in target:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"two state migrations are numbered {version:04d}: renumber {entry.name}.",
            )
        target[version] = Migration(version, match["name"], split_statements(entry.read_text()))
    merged = {**portable, **specific}
    return tuple(merged[v] for v in sorted(merged))


def applied_versions(db: StateDB) -> set[int]:
    """Versions recorded in ``schema_version`` (empty for a new database)."""
    try:
        rows = db.fetchall("SELECT version FROM schema_version")
    except Exception:  # the table does not exist yet; driver error classes differ
        return set()
    return {int(r[0]) for r in rows}


def apply_migrations(db: StateDB, migrations: Sequence[Migration] | None = None) -> list[int]:
    """Apply the migrations not yet recorded; return the versions applied now."""
    wanted = tuple(builtin_migrations(db.dialect) if migrations is None else migrations)
    _check_numbering(wanted)
    known = {m.version for m in wanted}
    if known and known <= applied_versions(db):
        _refuse_newer(db, applied_versions(db), known)
        return []
    applied: list[int] = []
    with db.transaction(lock_statements=db.dialect.migration_lock):
        db.execute(_CREATE_VERSION_TABLE)
        done = applied_versions(db)
        _refuse_newer(db, done, known)
        for migration in sorted(wanted, key=lambda m: m.version):
            if migration.version in done:
                continue
            for statement in migration.statements:
                db.execute(statement)
            db.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, datetime.now(UTC).isoformat()),
            )
            applied.append(migration.version)
    return applied


def _check_numbering(migrations: Iterable[Migration]) -> None:
    seen: set[int] = set()
    for m in migrations:
        if m.version in seen:
            raise RastupError(
                ErrorCode.CONFIG_INVALID, f"state migration {m.version} is defined twice."
            )
        seen.add(m.version)


def _refuse_newer(db: StateDB, done: set[int], known: set[int]) -> None:
    newer = sorted(done - known)
    if newer and newer[-1] > max(known, default=0):
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"the state database {db.url} has schema version {newer[-1]}, newer than this "
            f"release knows ({max(known, default=0)}). Upgrade rastup-data to open it.",
        )
