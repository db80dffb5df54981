"""Redaction and retention of the audit log keep ``audit verify`` meaningful."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from tests.services.raw_state import DB_ERRORS, drop_append_only_triggers, raw_state

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import AuditLog, AuditRecord
from rastup_data.governance.audit import REDACTED
from rastup_data.state import open_state


def _record(sql: str, day: int, duration: float = 1.5) -> AuditRecord:
    return AuditRecord(
        query_id=uuid.uuid4().hex,
        at=f"2026-01-{day:02d}T00:00:00+00:00",
        env="test",
        principal="alice",
        role="admin",
        path="cli",
        sql=sql,
        relations=("bronze.events",),
        columns=("bronze.events.user_id",),
        rows=1,
        scanned_bytes=10,
        billed_bytes=10,
        duration_ms=duration,
        status="ok",
        code=None,
    )


@pytest.fixture
def log(state_url: str) -> Iterator[AuditLog]:
    with open_state(state_url) as db:
        audit = AuditLog(db)
        for day in range(1, 6):
            audit.append(
                _record(f"SELECT * FROM bronze.events WHERE user_id = 'u_person{day}'", day)
            )
        yield audit


def test_a_whole_number_duration_verifies(state_url: str) -> None:
    with open_state(state_url) as db:
        audit = AuditLog(db)
        audit.append(_record("SELECT 1", 1, duration=0))
        assert audit.verify().ok


def test_redacted_records_keep_the_chain_verifying(log: AuditLog) -> None:
    chained = log.redact([2, 4], request_id="r1", record=_record("dsar purge redact", 9))
    assert "records=2 digest=" in chained.sql
    texts = [r.sql for r in log.records()]
    assert texts[1] == texts[3] == REDACTED
    assert "u_person3" in texts[2]
    assert log.verify().ok


def test_a_redacted_record_cannot_be_changed_silently(log: AuditLog) -> None:
    log.redact([2], request_id="r1", record=_record("dsar purge redact", 9))
    with raw_state(log.db.url) as raw:
        with pytest.raises(DB_ERRORS, match="append-only"):
            raw.execute("UPDATE audit_log SET principal = 'mallory' WHERE seq = 2")
        drop_append_only_triggers(raw)
        raw.execute("UPDATE audit_log SET principal = 'mallory' WHERE seq = 2")
    verdict = log.verify()
    assert verdict.first_broken == 2
    assert verdict.reason == "it differs from its recorded redaction"


def test_an_unrecorded_redaction_is_refused_and_a_forged_one_is_found(log: AuditLog) -> None:
    with raw_state(log.db.url) as raw:
        with pytest.raises(DB_ERRORS, match="recorded redaction"):
            raw.execute(f"UPDATE audit_log SET sql_text = '{REDACTED}' WHERE seq = 3")
        raw.execute(
            "INSERT INTO audit_redactions VALUES (3, 'forged', 'x', 'nothing', '2026-01-09')"
        )
        raw.execute(f"UPDATE audit_log SET sql_text = '{REDACTED}' WHERE seq = 3")
    assert log.verify().first_broken == 3


def test_a_tampered_record_is_not_redacted(log: AuditLog) -> None:
    with raw_state(log.db.url) as raw:
        drop_append_only_triggers(raw)
        raw.execute("UPDATE audit_log SET row_count = 99 WHERE seq = 2")
    with pytest.raises(RastupError) as refused:
        log.redact([2], request_id="r1", record=_record("dsar purge redact", 9))
    assert refused.value.code is ErrorCode.AUDIT_CHAIN_BROKEN
    assert log.records()[1].sql != REDACTED


def test_pruning_keeps_an_anchor_and_the_rest_verifies(log: AuditLog) -> None:
    log.redact([4], request_id="r1", record=_record("dsar purge redact", 9))
    removed = log.prune("2026-01-03T12:00:00+00:00", record=_record("lake lifecycle audit", 10))
    assert removed == 3
    assert [r.seq for r in log.records()] == [4, 5, 6, 7]
    assert log.verify().ok
    with raw_state(log.db.url) as raw, pytest.raises(DB_ERRORS, match="append-only"):
        raw.execute("DELETE FROM audit_log WHERE seq = 5")


def test_pruning_never_removes_the_newest_record(log: AuditLog) -> None:
    assert log.prune("2027-01-01T00:00:00+00:00", record=_record("lifecycle", 10)) == 4
    assert [r.seq for r in log.records()] == [5, 6]
    assert log.verify().ok
    assert log.prune("2020-01-01T00:00:00+00:00", record=_record("lifecycle", 11)) == 0
