"""The audit log: one append-only, hash-chained record per query on every path.

``hash = sha256(prev_hash + canonical JSON of the record)``; the first record's
``prev_hash`` is empty. Changing, removing or inserting a record breaks the chain at that
record, which :meth:`AuditLog.verify` reports (``rastup-data audit verify``).

Two changes are allowed, each recorded so the chain stays verifiable:

* **Redaction** (a DSAR erasure of someone the SQL named): :meth:`AuditLog.redact` checks
  each record against its hash first, replaces its ``sql_text`` with ``[redacted]``, keeps
  its hash, and stores a digest of every *other* field in ``audit_redactions``; a new chained
  record commits to the list of those digests. ``verify`` checks a redacted record's link,
  its other fields against the stored digest, and the stored digests against the chained
  record — only the removed text is no longer provable.
* **Retention** (:meth:`AuditLog.prune`): the oldest records are deleted after the hash of
  the last one is kept in ``audit_prunes``; ``verify`` starts from that anchor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import orjson

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.state import POSTGRESQL, StateDB

__all__ = ["REDACTED", "AuditLog", "AuditRecord", "ChainVerdict"]

#: The text a redacted record's SQL is replaced with.
REDACTED = "[redacted]"

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
        body = {name: getattr(self, name) for name in _CANONICAL_FIELDS}
        body["duration_ms"] = round(float(self.duration_ms), 3)
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "relations": list(self.relations), "columns": list(self.columns)}

    def fields_digest(self) -> str:
        """sha256 of every field but ``seq`` and ``sql`` (what a redaction keeps provable)."""
        body = orjson.loads(self.canonical())
        body.pop("sql")
        return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """The outcome of verifying the chain: records checked and the first broken one."""

    records: int
    first_broken: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_broken is None


#: The fields the chain hashes (every field but ``seq``); read by name, not ``asdict``,
#: which copies every tuple on each append.
_CANONICAL_FIELDS = tuple(f.name for f in fields(AuditRecord) if f.name != "seq")


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
            if record.scanned_bytes:
                self.db.execute(
                    "INSERT INTO audit_scanned_daily (env, day, scanned_bytes) VALUES (?, ?, ?) "
                    "ON CONFLICT (env, day) DO UPDATE SET scanned_bytes = "
                    "audit_scanned_daily.scanned_bytes + excluded.scanned_bytes",
                    (record.env, record.day, record.scanned_bytes),
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
        """Bytes scanned by the queries that ran in ``env`` on UTC ``day`` (the daily total
        each append keeps, not a sum over the day's records)."""
        row = self.db.fetchone(
            "SELECT scanned_bytes FROM audit_scanned_daily WHERE env = ? AND day = ?",
            (env, day),
        )
        return int(row[0]) if row else 0

    def verify(self) -> ChainVerdict:
        """Recompute every hash from the first record (or the prune anchor) and check each
        link; redacted records are checked against their recorded redaction instead."""
        anchor = self._anchor()
        prev, expected_seq = (anchor[1], anchor[0] + 1) if anchor else ("", 1)
        redacted = self._redactions()
        count = 0
        rows = self.db.fetchall(
            f"SELECT seq, {_COLUMNS}, prev_hash, hash FROM audit_log ORDER BY seq"
        )
        for row in rows:
            record = _record(row[:-2])
            count += 1
            reason = _broken_link(record, row, prev, expected_seq, redacted.get(record.seq))
            if reason is not None:
                return ChainVerdict(count, record.seq, reason)
            prev = str(row[-1])
            expected_seq += 1
        unmatched = self._unmatched_redactions(redacted)
        if unmatched is not None:
            return ChainVerdict(count, unmatched[0], unmatched[1])
        return ChainVerdict(count, None, None)

    # --- recorded changes: redaction and retention -------------------------------------

    def redact(self, seqs: Sequence[int], *, request_id: str, record: AuditRecord) -> AuditRecord:
        """Replace the SQL text of the records ``seqs`` with ``[redacted]``.

        Each record is checked against its hash first (a record that does not match is
        refused with AUDIT_CHAIN_BROKEN rather than laundered). ``record`` is the privacy
        action to chain; its text gets the digest of the redacted records' other fields.
        """
        lock = _PG_LOCK if self.db.dialect.name == POSTGRESQL.name else ()
        with self.db.transaction(lock_statements=lock):
            digests = [self._checked_digest(seq) for seq in sorted(set(seqs))]
            listing = "\n".join(f"{seq}:{digest}" for seq, digest in digests)
            text = f"{record.sql} records={len(digests)} digest={_sha(listing)}"
            chained = self.append(_with_sql(record, text))
            for seq, digest in digests:
                self.db.execute(
                    "INSERT INTO audit_redactions (seq, request_id, fields_sha256, "
                    "redaction_query_id, redacted_at) VALUES (?, ?, ?, ?, ?)",
                    (seq, request_id, digest, chained.query_id, chained.at),
                )
                self.db.execute("UPDATE audit_log SET sql_text = ? WHERE seq = ?", (REDACTED, seq))
        return chained

    def prune(self, before: str, *, record: AuditRecord) -> int:
        """Delete the records made before ``before`` (ISO time), keeping an anchor; returns
        how many went. ``record`` (the retention action) is chained afterwards."""
        lock = _PG_LOCK if self.db.dialect.name == POSTGRESQL.name else ()
        with self.db.transaction(lock_statements=lock):
            # The newest record always stays: the next append chains onto it.
            last = self.db.fetchone(
                "SELECT seq, hash FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log "
                "WHERE at < ? AND seq < (SELECT max(seq) FROM audit_log))",
                (before,),
            )
            if last is None:
                return 0
            anchor = self._anchor()
            first = anchor[0] + 1 if anchor else 1
            self.db.execute(
                "INSERT INTO audit_prunes (through_seq, last_hash, records, pruned_at) "
                "VALUES (?, ?, ?, ?)",
                (int(last[0]), str(last[1]), int(last[0]) - first + 1, record.at),
            )
            removed = self.db.execute("DELETE FROM audit_log WHERE seq <= ?", (int(last[0]),))
            self.append(_with_sql(record, f"{record.sql} through={int(last[0])} records={removed}"))
        return removed

    def _checked_digest(self, seq: int) -> tuple[int, str]:
        row = self.db.fetchone(
            f"SELECT seq, {_COLUMNS}, prev_hash, hash FROM audit_log WHERE seq = ?", (seq,)
        )
        if row is None:
            raise RastupError(ErrorCode.AUDIT_CHAIN_BROKEN, f"audit record {seq} does not exist.")
        record = _record(row[:-2])
        if _chain(str(row[-2]), record) != str(row[-1]):
            raise RastupError(
                ErrorCode.AUDIT_CHAIN_BROKEN,
                f"audit record {seq} does not match its hash; it is not redacted. Run "
                "`rastup-data audit verify` and follow the runbook.",
            )
        return seq, record.fields_digest()

    def _anchor(self) -> tuple[int, str] | None:
        row = self.db.fetchone(
            "SELECT through_seq, last_hash FROM audit_prunes ORDER BY through_seq DESC LIMIT 1"
        )
        return None if row is None else (int(row[0]), str(row[1]))

    def _redactions(self) -> dict[int, tuple[str, str]]:
        rows = self.db.fetchall(
            "SELECT seq, fields_sha256, redaction_query_id FROM audit_redactions"
        )
        return {int(r[0]): (str(r[1]), str(r[2])) for r in rows}

    def _unmatched_redactions(self, redacted: dict[int, tuple[str, str]]) -> tuple[int, str] | None:
        """A redaction whose digests the chained redaction record does not commit to."""
        pruned = self._anchor() is not None
        by_query: dict[str, list[tuple[int, str]]] = {}
        for seq, (digest, query_id) in sorted(redacted.items()):
            by_query.setdefault(query_id, []).append((seq, digest))
        for query_id, entries in by_query.items():
            row = self.db.fetchone("SELECT sql_text FROM audit_log WHERE query_id = ?", (query_id,))
            if row is None and pruned:
                continue  # the redaction record itself aged out with the records it covers
            listing = "\n".join(f"{seq}:{digest}" for seq, digest in entries)
            if row is None or not str(row[0]).endswith(f"digest={_sha(listing)}"):
                return entries[0][0], "its redaction is not the one the chain recorded"
        return None


def _broken_link(
    record: AuditRecord,
    row: Sequence[Any],
    prev: str,
    expected_seq: int,
    redaction: tuple[str, str] | None,
) -> str | None:
    """Why one record breaks the chain, or None."""
    if record.seq != expected_seq:
        return f"record {expected_seq} is missing"
    if str(row[-2]) != prev:
        return "it does not link to the record before"
    if redaction is not None:
        if record.sql != REDACTED or record.fields_digest() != redaction[0]:
            return "it differs from its recorded redaction"
        return None
    if _chain(prev, record) != str(row[-1]):
        return "its content does not match its hash"
    return None


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _with_sql(record: AuditRecord, sql: str) -> AuditRecord:
    return AuditRecord(**{**asdict(record), "sql": sql})


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
    return replace(record, seq=seq)


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
