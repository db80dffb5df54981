"""The audit log: one chained record per query; tampering is found; admins only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from gate_fixture import ADMIN, ANALYST, VIEWER

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, QueryPath


def _state_file(gate: Gate) -> Path:
    return Path(gate.state.url.removeprefix("sqlite:///"))


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
    with sqlite3.connect(_state_file(gate)) as raw:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("UPDATE audit_log SET principal = 'mallory' WHERE seq = 2")
        raw.execute("DROP TRIGGER audit_log_no_update")
        raw.execute("UPDATE audit_log SET principal = 'mallory' WHERE seq = 2")
    verdict = gate.audit.verify()
    assert (verdict.ok, verdict.first_broken) == (False, 2)
    assert "content" in (verdict.reason or "")


def test_verify_finds_a_removed_record(gate: Gate) -> None:
    for _ in range(3):
        gate.run(ADMIN, "SELECT 1", path=QueryPath.CLI)
    with sqlite3.connect(_state_file(gate)) as raw:
        raw.execute("DROP TRIGGER audit_log_no_delete")
        raw.execute("DELETE FROM audit_log WHERE seq = 2")
    verdict = gate.audit.verify()
    assert (verdict.ok, verdict.first_broken) == (False, 3)


def test_only_admins_read_the_audit_log(gate: Gate) -> None:
    with pytest.raises(RastupError) as error:
        gate.require_admin(ANALYST, "the audit log")
    assert error.value.code is ErrorCode.ACCESS_DENIED
    gate.require_admin(ADMIN, "the audit log")
