"""DSAR requests in the state database: their states, deadlines, history and tombstones.

An erasure moves ``received → excluded → purged → verified``; a purge that meets a legal
hold moves it to ``blocked`` (and the next purge after the release on to ``purged``). An
access request is ``exported`` once its archive is written. Every move is a row of
``dsar_history`` with its time. The deadline is received + 30 days, extendable once
(GDPR Art. 12(3)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.privacy.context import now_iso
from rastup_data.privacy.ids import SubjectIds
from rastup_data.state import StateDB

__all__ = [
    "DsarRequest",
    "HistoryEntry",
    "RequestKind",
    "RequestState",
    "RequestStore",
    "Tombstone",
]


class RequestKind(str, Enum):
    ERASE = "erase"
    ACCESS = "access"


class RequestState(str, Enum):
    RECEIVED = "received"
    EXCLUDED = "excluded"
    BLOCKED = "blocked"
    PURGED = "purged"
    VERIFIED = "verified"
    EXPORTED = "exported"


#: States an erasure is still being worked on in (what ``dsar list --overdue`` looks at).
OPEN_STATES = frozenset(
    {RequestState.RECEIVED, RequestState.EXCLUDED, RequestState.BLOCKED, RequestState.PURGED}
)
#: The column holding the time each state was reached.
_STATE_COLUMN = {
    RequestState.EXCLUDED: "excluded_at",
    RequestState.BLOCKED: "blocked_at",
    RequestState.PURGED: "purged_at",
    RequestState.VERIFIED: "verified_at",
    RequestState.EXPORTED: "purged_at",
}
_COLUMNS = (
    "request_id, kind, state, subject_key, subject_salt, subject_hash, reason, filed_by, "
    "received_at, excluded_at, purged_at, verified_at, blocked_at, blocked_case, deadline_at, "
    "extended_at, extension_reason, updated_at"
)


@dataclass(frozen=True, slots=True)
class DsarRequest:
    """One request as stored (the subject only as hashes)."""

    request_id: str
    kind: RequestKind
    state: RequestState
    subject_key: str
    subject_salt: str
    subject_hash: str
    reason: str | None
    filed_by: str
    received_at: str
    excluded_at: str | None
    purged_at: str | None
    verified_at: str | None
    blocked_at: str | None
    blocked_case: str | None
    deadline_at: str
    extended_at: str | None
    extension_reason: str | None
    updated_at: str

    def overdue(self, now: datetime | None = None) -> bool:
        moment = now or datetime.now(UTC)
        return self.state in OPEN_STATES and datetime.fromisoformat(self.deadline_at) < moment

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        body = {name.strip(): getattr(self, name.strip()) for name in _COLUMNS.split(",")}
        body.pop("subject_key")
        body.pop("subject_salt")
        body["kind"] = self.kind.value
        body["state"] = self.state.value
        body["overdue"] = self.overdue(now)
        return body


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: str
    event: str
    detail: str


@dataclass(frozen=True, slots=True)
class Tombstone:
    """One id an erasure covers (raw id absent once the request is verified)."""

    request_id: str
    subject_key: str
    subject_type: str
    subject_id: str | None
    source: str


def _request(row: Sequence[Any]) -> DsarRequest:
    values = [None if v is None else str(v) for v in row]
    return DsarRequest(
        request_id=str(values[0]),
        kind=RequestKind(values[1]),
        state=RequestState(values[2]),
        subject_key=str(values[3]),
        subject_salt=str(values[4]),
        subject_hash=str(values[5]),
        reason=values[6],
        filed_by=str(values[7]),
        received_at=str(values[8]),
        excluded_at=values[9],
        purged_at=values[10],
        verified_at=values[11],
        blocked_at=values[12],
        blocked_case=values[13],
        deadline_at=str(values[14]),
        extended_at=values[15],
        extension_reason=values[16],
        updated_at=str(values[17]),
    )


class RequestStore:
    """Read and change DSAR requests, their history and their tombstones."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    # --- requests ------------------------------------------------------------------------

    def get(self, request_id: str) -> DsarRequest:
        row = self.db.fetchone(
            f"SELECT {_COLUMNS} FROM dsar_requests WHERE request_id = ?", (request_id,)
        )
        if row is None:
            raise RastupError(
                ErrorCode.DSAR_INVALID,
                f"no DSAR request {request_id!r}. To fix this, pick an id from "
                "`rastup-data dsar status`.",
            )
        return _request(row)

    def find(self, request_id: str) -> DsarRequest | None:
        row = self.db.fetchone(
            f"SELECT {_COLUMNS} FROM dsar_requests WHERE request_id = ?", (request_id,)
        )
        return None if row is None else _request(row)

    def of_subject(self, subject_key: str, kind: RequestKind) -> list[DsarRequest]:
        rows = self.db.fetchall(
            f"SELECT {_COLUMNS} FROM dsar_requests WHERE subject_key = ? AND kind = ? "
            "ORDER BY received_at",
            (subject_key, kind.value),
        )
        return [_request(r) for r in rows]

    def requests(
        self,
        *,
        states: Iterable[RequestState] | None = None,
        overdue: bool = False,
        now: datetime | None = None,
    ) -> list[DsarRequest]:
        rows = self.db.fetchall(f"SELECT {_COLUMNS} FROM dsar_requests ORDER BY received_at")
        wanted = None if states is None else frozenset(states)
        found = [_request(r) for r in rows]
        return [
            r
            for r in found
            if (wanted is None or r.state in wanted) and (not overdue or r.overdue(now))
        ]

    def create(self, request: DsarRequest, detail: str) -> None:
        values = [getattr(request, name.strip()) for name in _COLUMNS.split(",")]
        values[1], values[2] = request.kind.value, request.state.value
        with self.db.transaction():
            self.db.execute(
                f"INSERT INTO dsar_requests ({_COLUMNS}) VALUES ({', '.join('?' * len(values))})",
                values,
            )
            self.note(request.request_id, request.state.value, detail, at=request.received_at)

    def move(
        self, request_id: str, state: RequestState, detail: str, *, case: str | None = None
    ) -> DsarRequest:
        """Put a request in ``state`` (stamping that state's time) and record it."""
        at = now_iso()
        column = _STATE_COLUMN.get(state)
        sets = ["state = ?", "updated_at = ?"]
        params: list[Any] = [state.value, at]
        if column is not None:
            sets.append(f"{column} = ?")
            params.append(at)
        if state is RequestState.BLOCKED:
            sets.append("blocked_case = ?")
            params.append(case)
        with self.db.transaction():
            self.db.execute(
                f"UPDATE dsar_requests SET {', '.join(sets)} WHERE request_id = ?",
                (*params, request_id),
            )
            self.note(request_id, state.value, detail, at=at)
        return self.get(request_id)

    def extend(self, request_id: str, reason: str, days: int) -> DsarRequest:
        """Push the deadline back once by ``days``, with a reason (Art. 12(3))."""
        request = self.get(request_id)
        if request.kind is not RequestKind.ERASE or request.state not in OPEN_STATES:
            raise RastupError(
                ErrorCode.DSAR_INVALID,
                f"request {request_id} is {request.state.value}: only an open erasure can be "
                "extended.",
            )
        if request.extended_at is not None:
            raise RastupError(
                ErrorCode.DSAR_INVALID,
                f"request {request_id} was already extended on {request.extended_at[:10]}: "
                "the deadline can be extended once.",
            )
        if not reason.strip():
            raise RastupError(ErrorCode.DSAR_INVALID, "an extension needs a --reason.")
        at = now_iso()
        deadline = datetime.fromisoformat(request.deadline_at) + timedelta(days=days)
        with self.db.transaction():
            self.db.execute(
                "UPDATE dsar_requests SET deadline_at = ?, extended_at = ?, extension_reason = ?, "
                "updated_at = ? WHERE request_id = ?",
                (now_iso(deadline), at, reason.strip(), at, request_id),
            )
            self.note(request_id, "extended", f"by {days} days: {reason.strip()}", at=at)
        return self.get(request_id)

    def save_certificate(self, request_id: str, certificate: str) -> None:
        self.db.execute(
            "UPDATE dsar_requests SET certificate = ?, updated_at = ? WHERE request_id = ?",
            (certificate, now_iso(), request_id),
        )

    def certificate(self, request_id: str) -> str | None:
        row = self.db.fetchone(
            "SELECT certificate FROM dsar_requests WHERE request_id = ?", (request_id,)
        )
        return None if row is None or row[0] is None else str(row[0])

    # --- history -------------------------------------------------------------------------

    def note(self, request_id: str, event: str, detail: str, *, at: str | None = None) -> None:
        """Add a line to a request's history (inside the caller's transaction if any)."""
        with self.db.transaction():
            row = self.db.fetchone(
                "SELECT coalesce(max(seq), 0) FROM dsar_history WHERE request_id = ?",
                (request_id,),
            )
            seq = int(row[0]) + 1 if row else 1
            self.db.execute(
                "INSERT INTO dsar_history (request_id, seq, at, event, detail) "
                "VALUES (?, ?, ?, ?, ?)",
                (request_id, seq, at or now_iso(), event, detail),
            )

    def history(self, request_id: str) -> list[HistoryEntry]:
        rows = self.db.fetchall(
            "SELECT at, event, detail FROM dsar_history WHERE request_id = ? ORDER BY seq",
            (request_id,),
        )
        return [HistoryEntry(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def events_since(self, event: str, since: str) -> int:
        """How many history rows of ``event`` were written after ``since`` (ISO time)."""
        row = self.db.fetchone(
            "SELECT count(*) FROM dsar_history WHERE event = ? AND at > ?", (event, since)
        )
        return int(row[0]) if row else 0

    # --- tombstones ----------------------------------------------------------------------

    def add_tombstones(self, request_id: str, ids: Mapping[str, tuple[str, str, str]]) -> int:
        """Add ``subject_key -> (type, id, source)`` rows not there yet; returns how many."""
        added = 0
        at = now_iso()
        with self.db.transaction():
            for key, (kind, subject_id, source) in sorted(ids.items()):
                user = subject_id if kind == "user" else None
                anon = subject_id if kind == "anon" else None
                added += self.db.execute(
                    "INSERT INTO tombstones (request_id, subject_key, subject_type, user_id, "
                    "anon_id, source, added_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (request_id, subject_key) DO NOTHING",
                    (request_id, key, kind, user, anon, source, at),
                )
        return added

    def tombstones(self, request_id: str) -> list[Tombstone]:
        rows = self.db.fetchall(
            "SELECT request_id, subject_key, subject_type, coalesce(user_id, anon_id), source "
            "FROM tombstones WHERE request_id = ? ORDER BY subject_type DESC, added_at",
            (request_id,),
        )
        return [
            Tombstone(
                str(r[0]), str(r[1]), str(r[2]), None if r[3] is None else str(r[3]), str(r[4])
            )
            for r in rows
        ]

    def subject_ids(self, request_id: str) -> SubjectIds:
        """The raw ids of a request still held (none once it is verified)."""
        stones = self.tombstones(request_id)
        return SubjectIds(
            users=frozenset(
                t.subject_id for t in stones if t.subject_type == "user" and t.subject_id
            ),
            anons=frozenset(
                t.subject_id for t in stones if t.subject_type == "anon" and t.subject_id
            ),
        )

    def clear_raw_ids(self, request_id: str) -> int:
        """Forget a verified request's raw ids; its keyed hashes keep suppressing."""
        return self.db.execute(
            "UPDATE tombstones SET user_id = NULL, anon_id = NULL WHERE request_id = ?",
            (request_id,),
        )

    def suppression_keys(self) -> list[str]:
        """Every keyed hash an erasure covers (what the collector suppresses)."""
        rows = self.db.fetchall("SELECT DISTINCT subject_key FROM tombstones")
        return [str(r[0]) for r in rows]

    def suppression_version(self) -> tuple[int, str]:
        """A cheap fingerprint of the tombstones: changes whenever an id is added."""
        row = self.db.fetchone("SELECT count(*), coalesce(max(added_at), '') FROM tombstones")
        return (int(row[0]), str(row[1])) if row else (0, "")
