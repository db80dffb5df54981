"""Subject ids: validation of what users type, and the set of ids one erasure covers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["SubjectIds", "check_case_id", "check_request_id", "check_subject_id"]

_SUBJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")
_REQUEST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_CASE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")


def check_subject_id(value: str) -> str:
    """A user id as the platform stores it (``u_…``); DSAR_INVALID otherwise."""
    text = value.strip()
    if not _SUBJECT.match(text):
        raise RastupError(
            ErrorCode.DSAR_INVALID,
            f"subject {value[:40]!r} is not a user id: use the pseudonymous id the events "
            "carry (letters, digits and _ . : @ -, at most 128), e.g. u_k3x9.",
        )
    return text


def check_request_id(value: str) -> str:
    if not _REQUEST.match(value):
        raise RastupError(
            ErrorCode.DSAR_INVALID,
            f"request id {value[:70]!r} is not valid: use letters, digits and _ . : - "
            "(at most 64), e.g. the ticket number of the request.",
        )
    return value


def check_case_id(value: str) -> str:
    if not _CASE.match(value):
        raise RastupError(
            ErrorCode.DSAR_INVALID,
            f"case {value[:70]!r} is not valid: use letters, digits and _ . : / - (at most 64).",
        )
    return value


@dataclass(frozen=True, slots=True)
class SubjectIds:
    """The ids of the people one purge or one verification looks for."""

    users: frozenset[str] = field(default_factory=frozenset)
    anons: frozenset[str] = field(default_factory=frozenset)

    @property
    def all(self) -> frozenset[str]:
        return self.users | self.anons

    def __bool__(self) -> bool:
        return bool(self.users or self.anons)

    def __len__(self) -> int:
        return len(self.all)

    @classmethod
    def union(cls, parts: Iterable[SubjectIds]) -> SubjectIds:
        users: set[str] = set()
        anons: set[str] = set()
        for part in parts:
            users |= part.users
            anons |= part.anons
        return cls(frozenset(users), frozenset(anons))
