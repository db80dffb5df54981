"""The audit log: one append-only, hash-chained record per query on every path.

``hash = sha256(prev_hash + canonical JSON of the record)``; the first record's
``prev_hash`` is empty. Changing, removing or inserting a record breaks the chain at that
record, which :meth:`AuditLog.verify` reports (``rastup-data audit verify``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from rastup_data.state import POSTGRESQL, StateDB

__all__ = ["AuditLog", "AuditRecord", "ChainVerdict"]

_COLUMNS = (
    "query_id, at, day, env, principal, role, path, sql_text, relations, columns_read, "
    "row_count, scanned_bytes, billed_bytes, duration_ms, status, code"
)
_PG_LOCK = ("SELECT pg_advisory_xact_lock(72616376)",)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What one query did: who, how, what it read, what it cost, how it ended."""

    query_id: str
    at: str
    env: str
    principal: str
    role: str
    path: str
    sql: str
    relations: tuple[str, ...]
    columns: tuple[str, ...]
    rows: int
    scanned_bytes: int
    billed_bytes: int
    duration_ms: float
    status: str
    code: str | None
    seq: int = 0

    @property
    def day(self) -> str:
        return self.at[:10]

    def canonical(self) -> bytes:
        """The bytes the chain hashes: every field but ``seq``, in a fixed order."""
        body = asdict(self)
        body.pop("seq")
        body["duration_ms"] = round(self.duration_ms, 3)
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "relations": list(self.relations), "columns": list(self.columns)}


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """The outcome of verifying the chain: records checked and the first broken one."""

    records: int
    first_broken: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def _chain(prev_hash: str, record: AuditRecord) -> str:
    return hashlib.sha256(prev_hash.encode() + record.canonical()).hexdigest()


class AuditLog:
    """Append to, read and verify the audit log of a state database."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def append(self, record: AuditRecord) -> AuditRecord:
        """Append ``record`` after the current last one; returns it with its ``seq``."""
        lock = _PG_LOCK if self.db.dialect.name == POSTGRESQL.name else ()
        with self.db.transaction(lock_statements=lock):
            last = self.db.fetchone("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            seq = 1 if last is None else int(last[0]) + 1
            prev = "" if last is None else str(last[1])
            self.db.execute(
                f"INSERT INTO audit_log (seq, {_COLUMNS}, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, *_values(record), prev, _chain(prev, record)),
            )
        return _with_seq(record, seq)

    def records(
        self,
        *,
        principal: str | None = None,
        since: str | None = None,
        limit: int | None = None,
    ) -> list[AuditRecord]:
        """Records oldest first, optionally one principal's and from ``since`` (ISO) on."""
        where, params = _filters(principal, since)
        sql = f"SELECT seq, {_COLUMNS} FROM audit_log{where} ORDER BY seq"
        if limit is not None:
            sql = (
                f"SELECT * FROM (SELECT seq, {_COLUMNS} FROM audit_log{where} "
                f"ORDER BY seq DESC LIMIT {int(limit)}) AS newest ORDER BY seq"
            )
        return [_record(row) for row in self.db.fetchall(sql, params)]

    def scanned_on(self, env: str, day: str) -> int:
        """Bytes scanned by the queries that ran in ``env`` on UTC ``day``."""
        row = self.db.fetchone(
            "SELECT coalesce(sum(scanned_bytes), 0) FROM audit_log WHERE env = ? AND day = ?",
            (env, day),
        )
        return int(row[0]) if row else 0

    def verify(self) -> ChainVerdict:
        """Recompute every hash from the first record and check each link."""
        prev = ""
        expected_seq = 1
        count = 0
        rows = self.db.fetchall(
            f"SELECT seq, {_COLUMNS}, prev_hash, hash FROM audit_log ORDER BY seq"
        )
        for row in rows:
            record = _record(row[:-2])
            count += 1
            if record.seq != expected_seq:
                return ChainVerdict(count, record.seq, f"record {expected_seq} is missing")
            if str(row[-2]) != prev:
                return ChainVerdict(count, record.seq, "it does not link to the record before")
            if _chain(prev, record) != str(row[-1]):
                return ChainVerdict(count, record.seq, "its content does not match its hash")
            prev = str(row[-1])
            expected_seq += 1
        return ChainVerdict(count, None, None)


def _values(record: AuditRecord) -> tuple[Any, ...]:
    return (
        record.query_id,
        record.at,
        record.day,
        record.env,
        record.principal,
        record.role,
        record.path,
        record.sql,
        orjson.dumps(list(record.relations)).decode(),
        orjson.dumps(list(record.columns)).decode(),
        record.rows,
        record.scanned_bytes,
        record.billed_bytes,
        round(record.duration_ms, 3),
        record.status,
        record.code,
    )


def _record(row: Sequence[Any]) -> AuditRecord:
    return AuditRecord(
        seq=int(row[0]),
        query_id=str(row[1]),
        at=str(row[2]),
        env=str(row[4]),
        principal=str(row[5]),
        role=str(row[6]),
        path=str(row[7]),
        sql=str(row[8]),
        relations=tuple(orjson.loads(row[9])),
        columns=tuple(orjson.loads(row[10])),
        rows=int(row[11]),
        scanned_bytes=int(row[12]),
        billed_bytes=int(row[13]),
        duration_ms=float(row[14]),
        status=str(row[15]),
        code=None if row[16] is None else str(row[16]),
    )


def _with_seq(record: AuditRecord, seq: int) -> AuditRecord:
    return AuditRecord(**{**asdict(record), "seq": seq})


def _filters(principal: str | None, since: str | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if principal is not None:
        clauses.append("principal = ?")
        params.append(principal)
    if since is not None:
        clauses.append("at >= ?")
        params.append(since)
    return ((" WHERE " + " AND ".join(clauses)) if clauses else "", params)
