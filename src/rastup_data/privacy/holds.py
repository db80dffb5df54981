"""Legal holds: a case keeps a subject's data from purges and from retention until released.

A hold names a case, a subject (matched by its keyed hash), a reason and optionally an end
date (the hold lapses after it). The user id is kept while the hold is active, so the data it
preserves can be found, and cleared on release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.privacy.context import now_iso
from rastup_data.privacy.ids import check_case_id
from rastup_data.state import StateDB

__all__ = ["HoldStore", "LegalHold"]

_COLUMNS = (
    "case_id, subject_key, user_id, reason, placed_by, placed_at, until_date, released_at, "
    "released_by"
)


@dataclass(frozen=True, slots=True)
class LegalHold:
    case_id: str
    subject_key: str
    user_id: str | None
    reason: str
    placed_by: str
    placed_at: str
    until_date: str | None
    released_at: str | None
    released_by: str | None

    def active(self, today: date | None = None) -> bool:
        day = today or datetime.now(UTC).date()
        if self.released_at is not None:
            return False
        return self.until_date is None or date.fromisoformat(self.until_date) >= day

    def status(self, today: date | None = None) -> str:
        if self.released_at is not None:
            return "released"
        return "active" if self.active(today) else "lapsed"

    def to_json(self, today: date | None = None) -> dict[str, Any]:
        return {
            "case": self.case_id,
            "subject": self.user_id,
            "reason": self.reason,
            "placed_by": self.placed_by,
            "placed_at": self.placed_at,
            "until": self.until_date,
            "released_at": self.released_at,
            "released_by": self.released_by,
            "status": self.status(today),
        }


def _hold(row: tuple[Any, ...]) -> LegalHold:
    v = [None if x is None else str(x) for x in row]
    return LegalHold(str(v[0]), str(v[1]), v[2], str(v[3]), str(v[4]), str(v[5]), v[6], v[7], v[8])


class HoldStore:
    """Place, release and look up legal holds."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def add(
        self,
        case_id: str,
        *,
        subject_id: str,
        subject_key: str,
        reason: str,
        until: date | None,
        placed_by: str,
    ) -> LegalHold:
        check_case_id(case_id)
        if not reason.strip():
            raise RastupError(ErrorCode.DSAR_INVALID, "a legal hold needs a reason.")
        if until is not None and until < datetime.now(UTC).date():
            raise RastupError(ErrorCode.DSAR_INVALID, f"until {until.isoformat()} is in the past.")
        with self.db.transaction():
            existing = self.db.fetchone(
                f"SELECT {_COLUMNS} FROM legal_holds WHERE case_id = ? AND subject_key = ?",
                (case_id, subject_key),
            )
            if existing is not None and _hold(existing).released_at is None:
                raise RastupError(
                    ErrorCode.DSAR_INVALID,
                    f"case {case_id} already holds this subject (since {str(existing[5])[:10]}).",
                )
            self.db.execute(
                "DELETE FROM legal_holds WHERE case_id = ? AND subject_key = ?",
                (case_id, subject_key),
            )
            self.db.execute(
                f"INSERT INTO legal_holds ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                (
                    case_id,
                    subject_key,
                    subject_id,
                    reason.strip(),
                    placed_by,
                    now_iso(),
                    None if until is None else until.isoformat(),
                ),
            )
        return self.get(case_id, subject_key)

    def get(self, case_id: str, subject_key: str) -> LegalHold:
        row = self.db.fetchone(
            f"SELECT {_COLUMNS} FROM legal_holds WHERE case_id = ? AND subject_key = ?",
            (case_id, subject_key),
        )
        if row is None:
            raise RastupError(ErrorCode.DSAR_INVALID, f"case {case_id} does not hold that subject.")
        return _hold(row)

    def release(self, case_id: str, *, released_by: str) -> list[LegalHold]:
        """Release every subject the case holds; DSAR_INVALID when it holds none."""
        check_case_id(case_id)
        with self.db.transaction():
            count = self.db.execute(
                "UPDATE legal_holds SET released_at = ?, released_by = ?, user_id = NULL "
                "WHERE case_id = ? AND released_at IS NULL",
                (now_iso(), released_by, case_id),
            )
        if count == 0:
            raise RastupError(
                ErrorCode.DSAR_INVALID,
                f"case {case_id} holds nothing (unknown, or already released). To fix this, "
                "pick a case from `rastup-data hold list`.",
            )
        rows = self.db.fetchall(
            f"SELECT {_COLUMNS} FROM legal_holds WHERE case_id = ? ORDER BY placed_at",
            (case_id,),
        )
        return [_hold(r) for r in rows]

    def holds(self, *, active_only: bool = False) -> list[LegalHold]:
        rows = self.db.fetchall(f"SELECT {_COLUMNS} FROM legal_holds ORDER BY placed_at, case_id")
        holds = [_hold(r) for r in rows]
        return [h for h in holds if h.active()] if active_only else holds

    def active_case(self, subject_key: str) -> str | None:
        """The case of an active hold on the subject, or None."""
        rows = self.db.fetchall(
            f"SELECT {_COLUMNS} FROM legal_holds WHERE subject_key = ? AND released_at IS NULL "
            "ORDER BY placed_at",
            (subject_key,),
        )
        cases = [h.case_id for h in (_hold(r) for r in rows) if h.active()]
        return cases[0] if cases else None

    def held_user_ids(self) -> frozenset[str]:
        """The user ids under an active hold (what retention must keep)."""
        return frozenset(h.user_id for h in self.holds(active_only=True) if h.user_id)
