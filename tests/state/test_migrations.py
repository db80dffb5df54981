"""Numbered migrations: applied once, in order, idempotently, also by racing processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.state import (
    POSTGRESQL,
    SQLITE,
    Dialect,
    Migration,
    applied_versions,
    apply_migrations,
    builtin_migrations,
    open_state,
    sqlite_url,
)
from rastup_data.state.database import StateDB, connect_url
from rastup_data.state.migrations import split_statements


def _tables(url: str) -> set[str]:
    """The tables of the database at ``url``, asked through a fresh connection."""
    connection, dialect = connect_url(url)
    with StateDB(connection, dialect, url) as db:
        if db.dialect is SQLITE:
            rows = db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        else:
            rows = db.fetchall(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
    return {r[0] for r in rows}


def _dialect(url: str) -> Dialect:
    return SQLITE if url.startswith("sqlite") else POSTGRESQL


def test_builtin_migrations_create_the_experiment_tables(state_url: str) -> None:
    with open_state(state_url) as db:
        assert applied_versions(db) == {m.version for m in builtin_migrations(db.dialect)}
    assert {"schema_version", "experiment_assignments", "identity_links", "exposures_logged"} <= (
        _tables(state_url)
    )


def test_builtin_migrations_are_numbered_from_one_without_gaps() -> None:
    versions = [m.version for m in builtin_migrations(SQLITE)]
    assert versions == list(range(1, len(versions) + 1))


def test_reopening_applies_nothing_twice(state_url: str) -> None:
    url = state_url
    with open_state(url) as db:
        db.execute(
            "INSERT INTO identity_links (anon_id, user_id, linked_at) VALUES ('a_1', 'u_1', 't')"
        )
        assert apply_migrations(db) == []
    with open_state(url) as db:
        assert apply_migrations(db) == []
        assert db.fetchone("SELECT count(*) FROM schema_version") == (
            len(builtin_migrations(db.dialect)),
        )
        assert db.fetchone("SELECT count(*) FROM identity_links") == (1,)


def test_later_migrations_apply_on_top_of_existing_ones(state_url: str) -> None:
    url = state_url
    base = list(builtin_migrations(_dialect(url)))
    next_version = base[-1].version + 1
    extra = Migration(
        next_version,
        "alerts",
        ("CREATE TABLE alerts (alert_id TEXT PRIMARY KEY, raised_at TEXT NOT NULL)",),
    )
    with open_state(url) as db:
        assert apply_migrations(db, [*base, extra]) == [next_version]
        assert apply_migrations(db, [*base, extra]) == []
        db.execute("INSERT INTO alerts VALUES ('a_1', 't')")
    assert "alerts" in _tables(url)


def test_a_failing_migration_leaves_nothing_half_applied(state_url: str) -> None:
    import psycopg

    url = state_url
    base = list(builtin_migrations(_dialect(url)))
    broken = Migration(
        base[-1].version + 1,
        "broken",
        ("CREATE TABLE half (id INTEGER)", "CREATE TABLE half (id INTEGER)"),
    )
    with open_state(url) as db:
        with pytest.raises((sqlite3.OperationalError, psycopg.errors.DuplicateTable)):
            apply_migrations(db, [*base, broken])
        assert broken.version not in applied_versions(db)
    assert "half" not in _tables(url)


def test_a_database_newer_than_the_code_is_refused(state_url: str) -> None:
    url = state_url
    with open_state(url) as db:
        db.execute("INSERT INTO schema_version VALUES (999, 'future', 't')")
    with pytest.raises(RastupError) as info:
        open_state(url)
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert "999" in info.value.message


def test_duplicate_versions_are_refused(tmp_path: Path) -> None:
    twice = [Migration(1, "a", ("SELECT 1",)), Migration(1, "b", ("SELECT 1",))]
    with pytest.raises(RastupError) as info:
        open_state(sqlite_url(tmp_path / "s.db"), migrations=twice)
    assert info.value.code is ErrorCode.CONFIG_INVALID


def test_statement_splitting_drops_comments_and_blank_parts() -> None:
    sql = "-- a comment; with a semicolon\nCREATE TABLE a (x TEXT);\n\nCREATE INDEX i ON a (x);\n"
    assert split_statements(sql) == ("CREATE TABLE a (x TEXT)", "CREATE INDEX i ON a (x)")


OPENER = """
import sys, time
from pathlib import Path
from rastup_data.state import open_state

url, go = sys.argv[1:3]
while not Path(go).exists():
    time.sleep(0.002)
open_state(url).close()
"""


def test_processes_opening_a_new_database_at_once_migrate_it_once(
    state_url: str, tmp_path: Path
) -> None:
    url = state_url
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, url, str(go)], stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    time.sleep(0.3)
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with open_state(url) as db:
        rows = db.fetchall("SELECT version FROM schema_version ORDER BY version")
    assert rows == [(m.version,) for m in builtin_migrations(_dialect(url))]


def test_stored_keys_are_made_once_and_kept(state_url: str) -> None:
    from rastup_data.state import stored_key

    url = state_url
    with open_state(url) as db:
        first = stored_key(db, "some_key")
        assert len(first) == 64
        assert stored_key(db, "other_key") != first
    with open_state(url) as db:
        assert stored_key(db, "some_key") == first


def test_the_daily_scanned_totals_start_from_the_audit_log(state_url: str) -> None:
    """0010 fills `audit_scanned_daily` from the records already there; appends add to it."""
    from rastup_data.governance import AuditLog, AuditRecord

    early = [m for m in builtin_migrations(_dialect(state_url)) if m.version < 10]
    connection, dialect = connect_url(state_url)
    with StateDB(connection, dialect, state_url) as db:
        apply_migrations(db, early)
        rows = [("dev", "2026-11-01", 5), ("dev", "2026-11-01", 7), ("prod", "2026-11-01", 11)]
        for seq, (env, day, scanned) in enumerate(rows, 1):
            db.execute(
                "INSERT INTO audit_log (seq, query_id, at, day, env, principal, role, path, "
                "sql_text, relations, columns_read, row_count, scanned_bytes, billed_bytes, "
                "duration_ms, status, code, prev_hash, hash) VALUES (?, ?, ?, ?, ?, 'p', "
                "'admin', 'cli', 'SELECT 1', '[]', '[]', 1, ?, 0, 1.0, 'ok', NULL, '', '')",
                (seq, f"q{seq}", f"{day}T00:00:00+00:00", day, env, scanned),
            )
    with open_state(state_url) as db:
        audit = AuditLog(db)
        assert audit.scanned_on("dev", "2026-11-01") == 12
        assert audit.scanned_on("prod", "2026-11-01") == 11
        assert audit.scanned_on("dev", "2026-11-02") == 0
        for scanned, day in ((3, "2026-11-01"), (0, "2026-11-01"), (4, "2026-11-02")):
            audit.append(
                AuditRecord(
                    query_id=f"new-{scanned}-{day}", at=f"{day}T01:00:00+00:00", env="dev",
                    principal="p", role="admin", path="cli", sql="SELECT 1", relations=(),
                    columns=(), rows=1, scanned_bytes=scanned, billed_bytes=0, duration_ms=1.0,
                    status="ok", code=None,
                )
            )  # fmt: skip
        assert audit.scanned_on("dev", "2026-11-01") == 15
        assert audit.scanned_on("dev", "2026-11-02") == 4
        assert audit.scanned_on("prod", "2026-11-01") == 11
