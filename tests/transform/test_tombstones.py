"""A tombstoned user (and the anon ids linked to them) vanishes from Silver and Gold."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from bronze_fixture import write_bronze
from helpers import assert_rows_equal, published_rows
from market_fixture import market_events
from reference_marts import reference_marts

from rastup_data.lake.layout import LakeLayout
from rastup_data.state import open_state, sqlite_url
from rastup_data.transform import BuildOptions, build, open_published
from rastup_data.transform.tombstones import read_tombstones

EVENTS = market_events(seed=5)
#: A user some anonymous ids are linked to.
ERASED = next(e["payload"]["user_id"] for e in EVENTS if e["event"] == "identity.linked")


def _linked_anons(events: list[dict[str, Any]], user: str) -> set[str]:
    return {
        e["payload"]["anon_id"]
        for e in events
        if e["event"] == "identity.linked" and e["payload"]["user_id"] == user
    }


def _silver_user_rows(layout: LakeLayout, user: str, anons: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    anon_list = ", ".join(f"'{a}'" for a in sorted(anons)) or "NULL"
    with open_published(layout) as conn:
        tables = conn.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_columns() "
            "WHERE schema_name = 'silver' AND column_name = 'user_id'"
        ).fetchall()
        for (table,) in tables:
            columns = {str(r[0]) for r in conn.execute(f"DESCRIBE {table}").fetchall()}
            anon_clause = f" OR anon_id IN ({anon_list})" if "anon_id" in columns else ""
            row = conn.execute(
                f"SELECT count(*) FROM {table} WHERE user_id = ?{anon_clause}", [user]
            ).fetchone()
            found[str(table)] = int(row[0]) if row else 0
    return found


@pytest.fixture(scope="module")
def erased_lake(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[LakeLayout, list[dict[str, Any]], dict[str, int]]:
    layout = LakeLayout(Path(tmp_path_factory.mktemp("dsar")) / "lake")
    events = EVENTS
    write_bronze(layout, events, name="all")
    build(layout, BuildOptions(quality_gates=False, with_nrt=False, tombstones=()))
    before = _silver_user_rows(layout, ERASED, _linked_anons(events, ERASED))
    build(layout, BuildOptions(quality_gates=False, with_nrt=True, tombstones=(ERASED,)))
    return layout, events, before


def test_user_was_present_before_the_tombstone(
    erased_lake: tuple[LakeLayout, list[dict[str, Any]], dict[str, int]],
) -> None:
    _, events, before = erased_lake
    assert _linked_anons(events, ERASED), "the fixture must link an anon id to the user"
    assert before["silver.events_deduped"] > 0
    assert before["silver.dim_user"] == 1


def test_tombstoned_user_and_linked_anons_leave_every_silver_table(
    erased_lake: tuple[LakeLayout, list[dict[str, Any]], dict[str, int]],
) -> None:
    layout, events, _ = erased_lake
    after = _silver_user_rows(layout, ERASED, _linked_anons(events, ERASED))
    assert after
    assert all(count == 0 for count in after.values()), after
    with open_published(layout) as conn:
        links = conn.execute(
            "SELECT count(*) FROM silver.dim_identity WHERE user_id = ?", [ERASED]
        ).fetchone()
        schemas = {
            r[0] for r in conn.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()
        }
    assert links == (0,)
    assert "privacy" not in schemas, "published builds must not carry the erased-id lists"


def test_gold_is_recomputed_without_the_erased_subjects(
    erased_lake: tuple[LakeLayout, list[dict[str, Any]], dict[str, int]],
) -> None:
    layout, events, _ = erased_lake
    anons = _linked_anons(events, ERASED)
    kept = [
        e
        for e in events
        if e["user_id"] != ERASED
        and e["anon_id"] not in anons
        and not (e["event"] == "identity.linked" and e["payload"]["user_id"] == ERASED)
    ]
    assert len(kept) < len(events)
    expected = reference_marts(kept)
    for mart, keys in (
        ("kpi_funnel_daily", ("dt", "stage")),
        ("kpi_marketplace_daily", ("dt", "city")),
    ):
        assert_rows_equal(published_rows(layout, f"gold.{mart}"), expected[mart], keys)
    with_user = reference_marts(events)["kpi_funnel_daily"]
    assert sum(r["users"] for r in with_user) > sum(
        r["users"] for r in expected["kpi_funnel_daily"]
    )


def test_tombstones_are_read_from_the_state_database(
    layout: LakeLayout, state_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lake's own SQLite file, or the shared database RASTUP_STATE_URL names.
    if state_url.startswith("sqlite"):
        state_url = sqlite_url(layout.state_db)
        assert read_tombstones(layout) == ()
        assert not layout.state_db.exists(), "reading created a state database"
    else:
        monkeypatch.setenv("RASTUP_STATE_URL", state_url)
        assert read_tombstones(layout) == ()
    with open_state(state_url) as state:
        state.execute(
            "INSERT INTO dsar_requests (request_id, kind, state, subject_key, subject_salt, "
            "subject_hash, filed_by, received_at, deadline_at, updated_at) VALUES "
            "('r1', 'erase', 'excluded', 'k', 's', 'h', 't', 't', 't', 't')"
        )
        for key, kind, column, value in (
            ("k9", "user", "user_id", "u_9"),
            ("k2", "user", "user_id", "u_2"),
            ("ka", "anon", "anon_id", "a_7"),
            ("kv", "user", "user_id", None),  # verified: its raw id is cleared
        ):
            state.execute(
                f"INSERT INTO tombstones (request_id, subject_key, subject_type, {column}, "
                "source, added_at) VALUES ('r1', ?, ?, ?, 'filing', 't')",
                (key, kind, value),
            )
    assert read_tombstones(layout) == ("a_7", "u_2", "u_9")


def test_a_tombstoned_anonymous_id_leaves_silver_even_without_a_link_in_bronze(
    tmp_path: Path,
) -> None:
    layout = LakeLayout(tmp_path / "lake")
    write_bronze(layout, EVENTS, name="all")
    linked = {e["payload"]["anon_id"] for e in EVENTS if e["event"] == "identity.linked"}
    anon = next(e["anon_id"] for e in EVENTS if e["anon_id"] and e["anon_id"] not in linked)
    build(layout, BuildOptions(quality_gates=False, with_nrt=False, tombstones=(anon,)))
    with open_published(layout) as conn:
        row = conn.execute(
            "SELECT count(*) FROM silver.events_deduped WHERE anon_id = ?", [anon]
        ).fetchone()
    assert row == (0,)
    assert sum(1 for e in EVENTS if e["anon_id"] == anon) > 0


def test_state_database_without_tombstones_table_means_none(layout: LakeLayout) -> None:
    layout.state_dir.mkdir(parents=True)
    with sqlite3.connect(layout.state_db) as conn:
        conn.execute("CREATE TABLE other (x TEXT)")
    assert read_tombstones(layout) == ()
