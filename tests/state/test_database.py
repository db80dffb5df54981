"""The state database layer on a real SQLite file: pragmas, transactions, URLs, connectors."""

from __future__ import annotations

import sqlite3
import sys
import threading
from pathlib import Path

import pytest
from tests.services.postgres import PostgresServer

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.state import (
    SQLITE,
    Dialect,
    Migration,
    StateDB,
    open_state,
    register_connector,
    sqlite_url,
    state_url_for_lake,
)


def test_default_location_is_under_the_lake(tmp_path: Path) -> None:
    with open_state(lake=tmp_path / "lake") as db:
        assert db.url == state_url_for_lake(tmp_path / "lake")
    assert (tmp_path / "lake" / "_node" / "state" / "state.db").is_file()


def test_sqlite_urls_are_relative_with_three_and_absolute_with_four_slashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_state("sqlite:///rel/state.db"):
        pass
    assert (tmp_path / "rel" / "state.db").is_file()
    absolute = tmp_path / "abs" / "state.db"
    with open_state(f"sqlite:///{absolute}"):
        pass
    assert absolute.is_file()
    assert sqlite_url(absolute) == f"sqlite:////{str(absolute).lstrip('/')}"


def test_sqlite_runs_in_wal_with_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    with open_state(sqlite_url(tmp_path / "s.db")) as db:
        assert db.fetchone("PRAGMA journal_mode") == ("wal",)
        assert db.fetchone("PRAGMA foreign_keys") == (1,)
        (timeout,) = db.fetchone("PRAGMA busy_timeout") or (0,)
        assert timeout >= 5000
        # An exposure without its assignment breaks the foreign key.
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(
                "INSERT INTO exposures_logged VALUES ('e', 'a_1', 'anon', 'control', 'x', 't')"
            )


def test_foreign_keys_are_enforced(state_url: str) -> None:
    import psycopg

    with open_state(state_url) as db:
        # An exposure without its assignment breaks the foreign key.
        with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
            db.execute(
                "INSERT INTO exposures_logged VALUES ('e', 'a_1', 'anon', 'control', 'x', 't')"
            )
        assert db.fetchone("SELECT count(*) FROM exposures_logged") == (0,)


def test_transaction_commits_or_rolls_back_as_a_whole(state_url: str) -> None:
    with open_state(state_url) as db:
        insert = "INSERT INTO identity_links (anon_id, user_id, linked_at) VALUES (?, ?, ?)"
        with db.transaction():
            db.execute(insert, ("a_1", "u_1", "t"))
            db.execute(insert, ("a_2", "u_1", "t"))

        def insert_then_fail() -> None:
            with db.transaction():
                db.execute(insert, ("a_3", "u_2", "t"))
                raise RuntimeError("abort")

        with pytest.raises(RuntimeError):
            insert_then_fail()
        rows = db.fetchall("SELECT anon_id FROM identity_links ORDER BY anon_id")
        assert rows == [("a_1",), ("a_2",)]


def test_committed_rows_are_visible_to_another_connection(state_url: str) -> None:
    with open_state(state_url) as writer, open_state(state_url) as reader:
        writer.execute(
            "INSERT INTO identity_links (anon_id, user_id, linked_at) VALUES (?, ?, ?)",
            ("a_9", "u_9", "t"),
        )
        assert reader.fetchone(
            "SELECT user_id FROM identity_links WHERE anon_id = ?", ("a_9",)
        ) == ("u_9",)


def test_one_instance_is_safe_to_share_between_threads(state_url: str) -> None:
    with open_state(state_url) as db:

        def insert_many(prefix: str) -> None:
            for i in range(200):
                with db.transaction():
                    db.execute(
                        "INSERT INTO identity_links (anon_id, user_id, linked_at) VALUES (?, ?, ?)",
                        (f"a_{prefix}{i}", "u_1", "t"),
                    )

        threads = [threading.Thread(target=insert_many, args=(p,)) for p in "xyz"]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert db.fetchone("SELECT count(*) FROM identity_links") == (600,)


@pytest.mark.parametrize(
    "url",
    ["mysql://host/db", "sqlite://somehost/x.db", "sqlite://", "nonsense"],
)
def test_bad_urls_get_a_coded_error(url: str) -> None:
    with pytest.raises(RastupError) as info:
        open_state(url)
    assert info.value.code is ErrorCode.CONFIG_INVALID


def test_postgresql_without_psycopg_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes `import psycopg` fail
    with pytest.raises(RastupError) as info:
        open_state("postgresql://127.0.0.1:1/nothing")
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert "psycopg" in info.value.message


def test_a_file_that_is_not_sqlite_is_a_coded_error(tmp_path: Path) -> None:
    bogus = tmp_path / "state.db"
    bogus.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RastupError) as info:
        open_state(sqlite_url(bogus))
    assert info.value.code is ErrorCode.CONFIG_INVALID


def test_registered_connectors_make_the_connection_pluggable(tmp_path: Path) -> None:
    opened: list[str] = []
    target = tmp_path / "plugged.db"

    def connect(url: str) -> tuple[sqlite3.Connection, Dialect]:
        opened.append(url)
        return sqlite3.connect(target, isolation_level=None, check_same_thread=False), SQLITE

    register_connector("plugtest", connect)
    migrations = [Migration(1, "things", ("CREATE TABLE things (id INTEGER PRIMARY KEY)",))]
    with open_state("plugtest://anything", migrations=migrations) as db:
        assert isinstance(db, StateDB)
        db.execute("INSERT INTO things (id) VALUES (?)", (7,))
    assert opened == ["plugtest://anything"]
    with sqlite3.connect(target) as check:
        assert check.execute("SELECT id FROM things").fetchall() == [(7,)]


def test_public_surface_is_stable() -> None:
    import rastup_data.state as state

    assert sorted(state.__all__) == [
        "Connector",
        "Control",
        "Dialect",
        "Migration",
        "OpsControls",
        "POSTGRESQL",
        "SCHEDULER_SINCE",
        "SQLITE",
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
    assert all(hasattr(state, name) for name in state.__all__)


def test_operator_controls_are_set_read_and_cleared(state_url: str) -> None:
    from rastup_data.state import OpsControls

    with open_state(state_url) as db:
        controls = OpsControls(db)
        assert controls.get("jobs.paused.daily_build") is None
        controls.set("jobs.paused.daily_build", "1", by="ops", reason="lander behind")
        controls.set("jobs.paused.daily_build", "1", by="ops2", reason="still behind")
        controls.set("lander.rotate_s", "5", by="ops")
        assert controls.get("jobs.paused.daily_build") == "1"
        (paused,) = controls.with_prefix("jobs.paused.")
        assert (paused.set_by, paused.reason) == ("ops2", "still behind")
        assert controls.clear("jobs.paused.daily_build") is True
        assert controls.clear("jobs.paused.daily_build") is False
        assert [c.name for c in controls.with_prefix("")] == ["lander.rotate_s"]


def test_an_unreachable_postgresql_is_a_coded_error_without_the_password() -> None:
    with pytest.raises(RastupError) as info:
        open_state("postgresql://owner:s3cret@127.0.0.1:1/state")
    assert info.value.code is ErrorCode.STATE_UNAVAILABLE
    assert "s3cret" not in info.value.message
    assert "owner:***@127.0.0.1:1" in info.value.message


def test_a_missing_postgresql_database_is_a_coded_error(postgres_server: PostgresServer) -> None:
    with pytest.raises(RastupError) as info:
        open_state(postgres_server.url("no_such_database"))
    assert info.value.code is ErrorCode.STATE_UNAVAILABLE
    assert "no_such_database" in info.value.message
