"""The read-time erasure hook: erased subjects vanish from Bronze and Silver at once."""

from __future__ import annotations

from gate_fixture import ADMIN, ANALYST

from rastup_data.governance import ErasedSubjects, Gate, QueryPath
from rastup_data.governance.exclusions import StateTombstones

CLI = QueryPath.CLI
BRONZE = "SELECT count(*) FROM bronze.events WHERE dt >= DATE '2026-01-05' AND user_id = 'u_3'"
SILVER = "SELECT count(*) FROM silver.fact_bookings WHERE user_id = 'u_3'"


class Erase:
    """An exclusion source a test can change between queries."""

    def __init__(self) -> None:
        self.subjects = ErasedSubjects()

    def erased_subjects(self) -> ErasedSubjects:
        return self.subjects


def test_an_erasure_applies_to_the_next_query_on_every_layer(gate: Gate) -> None:
    source = Erase()
    gate.exclusions = source
    assert gate.run(ADMIN, BRONZE, path=CLI).rows == ((12,),)
    assert gate.run(ADMIN, SILVER, path=CLI).rows == ((3,),)
    source.subjects = ErasedSubjects(users=frozenset({"u_3"}), anons=frozenset({"a_5"}))
    assert gate.run(ADMIN, BRONZE, path=CLI).rows == ((0,),)
    assert gate.run(ADMIN, SILVER, path=CLI).rows == ((0,),)
    anon = "SELECT count(*) FROM silver.fact_booking_legs WHERE anon_id = 'a_5'"
    assert gate.run(ADMIN, anon, path=CLI).rows == ((0,),)
    total = gate.run(ANALYST, "SELECT count(DISTINCT user_id) FROM silver.fact_bookings", path=CLI)
    assert total.rows == ((6,),)  # eight users, u_3 and u_5 (through a_5) gone


def _tombstone(gate: Gate, kind: str, subject: str, *, raw: bool = True) -> None:
    """A tombstone as privacy files it (migration 0005), with its request."""
    gate.state.execute(
        "INSERT INTO dsar_requests (request_id, kind, state, subject_key, subject_salt, "
        "subject_hash, filed_by, received_at, deadline_at, updated_at) VALUES "
        "('r1', 'erase', 'excluded', 'k', 's', 'h', 'test', 't', 't', 't') "
        "ON CONFLICT (request_id) DO NOTHING"
    )
    column = "user_id" if kind == "user" else "anon_id"
    gate.state.execute(
        f"INSERT INTO tombstones (request_id, subject_key, subject_type, {column}, source, "
        "added_at) VALUES ('r1', ?, ?, ?, 'filing', 't')",
        (f"key-{subject}", kind, subject if raw else None),
    )


def test_the_state_database_is_the_default_source(gate: Gate) -> None:
    _tombstone(gate, "user", "u_2")
    _tombstone(gate, "anon", "a_5")
    erased = StateTombstones(gate.state).erased_subjects()
    assert erased.users == frozenset({"u_2"})
    assert "a_5" in erased.anons
    assert gate.run(ADMIN, SILVER.replace("u_3", "u_2"), path=CLI).rows == ((0,),)
    anon = "SELECT count(*) FROM silver.fact_booking_legs WHERE anon_id = 'a_5'"
    assert gate.run(ADMIN, anon, path=CLI).rows == ((0,),)


def test_verified_tombstones_without_raw_ids_exclude_nobody(gate: Gate) -> None:
    _tombstone(gate, "user", "u_2", raw=False)
    assert StateTombstones(gate.state).erased_subjects() == ErasedSubjects()


def test_without_tombstones_nobody_is_erased(gate: Gate) -> None:
    assert StateTombstones(gate.state).erased_subjects() == ErasedSubjects()


def test_an_anonymous_visitor_alone_can_be_erased(gate: Gate) -> None:
    _tombstone(gate, "anon", "a_6")
    erased = StateTombstones(gate.state).erased_subjects()
    assert erased.users == frozenset()
    assert erased.anons == frozenset({"a_6"})
    anon = "SELECT count(*) FROM silver.fact_booking_legs WHERE anon_id = 'a_6'"
    assert gate.run(ADMIN, anon, path=CLI).rows == ((0,),)
