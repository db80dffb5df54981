"""The audit log: one chained record per query; tampering is found; admins only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gate_fixture import ADMIN, ANALYST, VIEWER
from tests.services.raw_state import DB_ERRORS, drop_append_only_triggers, raw_state

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, QueryPath
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import open_state


@pytest.fixture
def gate(lake: LakeLayout, state_url: str) -> Iterator[Gate]:
    """The shared lake's gate, its audit log on SQLite and on PostgreSQL."""
    with Gate(lake, state=open_state(state_url), env="test") as g:
        yield g


def test_every_query_ok_or_refused_is_recorded_with_what_it_read(gate: Gate) -> None:
    gate.run(ANALYST, "SELECT city, bookings FROM gold.kpi_marketplace_daily", path=QueryPath.HTTP)
    with pytest.raises(RastupError):
        gate.run(VIEWER, "SELECT * FROM silver.fact_bookings", path=QueryPath.DASHBOARD)
    ok, refused = gate.audit.records()
    assert (ok.principal, ok.role, ok.path, ok.status) == ("bob", "analyst", "http", "ok")
    assert ok.code is None
    assert ok.relations == ("gold.kpi_marketplace_daily",)
    kpi = "gold.kpi_marketplace_daily"
    assert set(ok.columns) == {f"{kpi}.city", f"{kpi}.bookings"}
    assert ok.rows == 6
    assert ok.scanned_bytes > 0
    assert ok.billed_bytes == 10 * 1024 * 1024
    assert (refused.status, refused.code, refused.rows, refused.billed_bytes) == (
        "refused",
        "ACCESS_DENIED",
        0,
        0,
    )
    assert refused.seq == ok.seq + 1
    assert gate.audit.verify().ok


def test_verify_finds_a_changed_record(gate: Gate) -> None:
    for _ in range(3):
        gate.run(ADMIN, "SELECT count(*) FROM gold.kpi_funnel_daily", path=QueryPath.CLI)
    with raw_state(gate.state.url) as raw:
        with pytest.raises(DB_ERRORS, match="append-only"):
            raw.execute("UPDATE audit_log SET principal = 'mallory' WHERE seq = 2")
        drop_append_only_triggers(raw)
        raw.execute("UPDATE audit_log SET principal = 'mallory' WHERE seq = 2")
    verdict = gate.audit.verify()
    assert (verdict.ok, verdict.first_broken) == (False, 2)
    assert "content" in (verdict.reason or "")


def test_verify_finds_a_removed_record(gate: Gate) -> None:
    for _ in range(3):
        gate.run(ADMIN, "SELECT 1", path=QueryPath.CLI)
    with raw_state(gate.state.url) as raw:
        with pytest.raises(DB_ERRORS, match="append-only"):
            raw.execute("DELETE FROM audit_log WHERE seq = 2")
        drop_append_only_triggers(raw)
        raw.execute("DELETE FROM audit_log WHERE seq = 2")
    verdict = gate.audit.verify()
    assert (verdict.ok, verdict.first_broken) == (False, 3)


def test_only_admins_read_the_audit_log(gate: Gate) -> None:
    with pytest.raises(RastupError) as error:
        gate.require_admin(ANALYST, "the audit log")
    assert error.value.code is ErrorCode.ACCESS_DENIED
    gate.require_admin(ADMIN, "the audit log")
