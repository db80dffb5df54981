"""Deterministic, sticky assignment of units to experiment variants.

Hashing (shared with every engine that must reproduce it; docs/experiments-definitions.md)::

    bucket(salt, unit_id) = int.from_bytes(sha256(f"{salt}:{unit_id}").digest()[:8], "big") % 10000

Variants take consecutive bucket ranges in YAML order; a layer's holdout takes buckets
``< holdout_pct * 100`` of ``bucket("holdout:<layer>", unit_id)``. Decisions are stored in
the state database, so a unit keeps its variant after logging in and on linked devices.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.definitions import (
    BUCKETS,
    Experiment,
    ExperimentSet,
    Layer,
    UnitType,
)
from rastup_data.state.database import StateDB

__all__ = [
    "Assigner",
    "Assignment",
    "AssignmentReason",
    "HashDecision",
    "bucket_of",
    "hash_assignment",
    "holdout_salt",
    "layer_salt",
    "link_identity",
    "linked_user",
]


class AssignmentReason(str, Enum):
    """Why a unit got its assignment (stable values, safe to store and compare)."""

    ASSIGNED = "assigned"  # hashed now
    STICKY = "sticky"  # stored earlier for this unit
    INHERITED = "inherited"  # taken over from an anonymous id linked to this user
    HOLDOUT = "holdout"  # in the layer's holdout
    OUTSIDE_LAYER_SLICE = "outside_layer_slice"  # another experiment's slice of the layer
    NOT_TARGETED = "not_targeted"  # attributes do not match the targeting
    NOT_STARTED = "not_started"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Assignment:
    """The outcome for one unit: ``variant`` is None when the unit is not in the experiment."""

    exp_key: str
    variant: str | None
    unit_id: str
    unit_type: UnitType
    bucket: int
    in_experiment: bool
    reason: AssignmentReason


@dataclass(frozen=True, slots=True)
class HashDecision:
    """What pure hashing decides for one unit id (no targeting, time or stickiness)."""

    variant: str | None
    bucket: int
    reason: AssignmentReason

    @property
    def in_experiment(self) -> bool:
        return self.variant is not None


def bucket_of(salt: str, unit_id: str) -> int:
    """The unit's bucket in [0, 10000) for ``salt``."""
    digest = hashlib.sha256(f"{salt}:{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def holdout_salt(layer: str) -> str:
    return f"holdout:{layer}"


def layer_salt(layer: str) -> str:
    return f"layer:{layer}"


def hash_assignment(
    experiment: Experiment, unit_id: str, layer: Layer | None = None
) -> HashDecision:
    """Holdout, layer slice, then variant by bucket: the reproducible part of assignment."""
    bucket = bucket_of(experiment.salt, unit_id)
    if layer is not None:
        if bucket_of(holdout_salt(layer.name), unit_id) < layer.holdout_buckets:
            return HashDecision(None, bucket, AssignmentReason.HOLDOUT)
        if experiment.layer_slice is not None:
            low, high = experiment.layer_slice
            if not low <= bucket_of(layer_salt(layer.name), unit_id) < high:
                return HashDecision(None, bucket, AssignmentReason.OUTSIDE_LAYER_SLICE)
    index = bisect_right(experiment.boundaries, bucket)
    return HashDecision(experiment.variants[index].name, bucket, AssignmentReason.ASSIGNED)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"timestamp {at} has no time zone: pass an aware UTC time.",
        )
    return at.astimezone(UTC).isoformat(timespec="microseconds")


_ID_PATTERNS = {
    "anon_id": re.compile(r"^a_[A-Za-z0-9_-]{1,126}$"),
    "user_id": re.compile(r"^u_[A-Za-z0-9_-]{1,126}$"),
    "session_id": re.compile(r"^s_[A-Za-z0-9_-]{1,126}$"),
}


def _person_ids(
    experiment: Experiment, unit_id: str | None, anon_id: str | None, user_id: str | None
) -> tuple[str | None, str | None]:
    """(anon_id, user_id) of a person-randomised experiment's unit: the ids given, or
    ``unit_id`` read as one of them by its prefix (u_ or a_)."""
    if anon_id is not None or user_id is not None:
        if unit_id is not None and unit_id not in (anon_id, user_id):
            raise RastupError(
                ErrorCode.EXPERIMENT_INVALID,
                f"unit_id {unit_id!r} differs from anon_id/user_id: pass one way of naming the "
                "unit.",
            )
        return anon_id, user_id
    if unit_id is None:
        raise _missing(experiment, "user_id, anon_id or unit_id")
    if unit_id.startswith("u_"):
        return None, _check_id("user_id", unit_id)
    if unit_id.startswith("a_"):
        return _check_id("anon_id", unit_id), None
    raise RastupError(
        ErrorCode.EXPERIMENT_INVALID,
        f"unit_id {unit_id!r}: experiment {experiment.key} randomises people, so "
        "pass a user id (u_…) or an anonymous id (a_…).",
    )


def _check_id(name: str, value: str | None) -> str | None:
    """None, or an id shaped as the envelope wants it (``a_…``, ``u_…``, ``s_…``)."""
    if value is None:
        return None
    pattern = _ID_PATTERNS.get(name)
    valid = isinstance(value, str) and 0 < len(value) <= 128 and value.strip() == value
    if valid and pattern is not None:
        valid = bool(pattern.match(value))
    if not valid:
        shape = {"anon_id": "a_ then ", "user_id": "u_ then ", "session_id": "s_ then "}.get(
            name, ""
        )
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"{name} {value!r} is not a valid id: use {shape}letters, digits, _ or - "
            "(at most 128 characters, no surrounding spaces).",
        )
    return value


def linked_user(state: StateDB, anon_id: str) -> str | None:
    """The user an anonymous id is linked to, if any."""
    row = state.fetchone("SELECT user_id FROM identity_links WHERE anon_id = ?", (anon_id,))
    return None if row is None else str(row[0])


def link_identity(state: StateDB, anon_id: str, user_id: str, *, at: datetime | None = None) -> str:
    """Record that ``anon_id`` belongs to ``user_id``; return the user it is linked to.

    The first link of an anonymous id wins: linking it again to another user changes nothing
    (a shared device keeps its first owner's assignments).
    """
    _check_id("anon_id", anon_id)
    _check_id("user_id", user_id)
    if anon_id == user_id:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID, f"cannot link {anon_id!r} to itself: pass an anon id."
        )
    state.execute(
        "INSERT INTO identity_links (anon_id, user_id, linked_at) VALUES (?, ?, ?) "
        "ON CONFLICT (anon_id) DO NOTHING",
        (anon_id, user_id, _iso(at or _now())),
    )
    linked = linked_user(state, anon_id)
    assert linked is not None
    return linked


_SELECT_ASSIGNMENT = (
    "SELECT variant, in_experiment, bucket, reason, source_unit_id, assigned_at "
    "FROM experiment_assignments WHERE exp_key = ? AND unit_id = ?"
)

_INSERT_ASSIGNMENT = (
    "INSERT INTO experiment_assignments (exp_key, unit_id, unit_type, variant, in_experiment, "
    "bucket, reason, source_unit_id, assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (exp_key, unit_id) DO NOTHING"
)

# The earliest stored decision of any anonymous id linked to the user.
_SELECT_INHERITABLE = (
    "SELECT a.variant, a.in_experiment, a.bucket, a.reason, a.source_unit_id, a.assigned_at "
    "FROM experiment_assignments a JOIN identity_links l ON l.anon_id = a.unit_id "
    "WHERE a.exp_key = ? AND l.user_id = ? AND a.unit_type = 'anon' "
    "ORDER BY a.assigned_at, a.unit_id LIMIT 1"
)


@dataclass(frozen=True, slots=True)
class _Stored:
    variant: str | None
    in_experiment: bool
    bucket: int
    reason: AssignmentReason
    source_unit_id: str
    assigned_at: str

    @classmethod
    def from_row(cls, row: tuple[object, ...]) -> _Stored:
        variant, in_experiment, bucket, reason, source, assigned_at = row
        return cls(
            None if variant is None else str(variant),
            bool(in_experiment),
            int(str(bucket)),
            AssignmentReason(str(reason)),
            str(source),
            str(assigned_at),
        )


class Assigner:
    """Assigns units to variants of the given experiments, stickily, via the state database."""

    def __init__(
        self,
        state: StateDB,
        experiments: ExperimentSet | Iterable[Experiment],
        *,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        if isinstance(experiments, ExperimentSet):
            self.experiments = experiments
        else:
            listed = {e.key: e for e in experiments}
            layered = [e.key for e in listed.values() if e.layer is not None]
            if layered:
                raise RastupError(
                    ErrorCode.EXPERIMENT_INVALID,
                    f"experiments {layered} use layers: pass the ExperimentSet from "
                    "load_experiments() so their layers are known.",
                )
            self.experiments = ExperimentSet(listed)
        self.state = state
        self._clock = clock

    def link_identity(self, anon_id: str, user_id: str, *, at: datetime | None = None) -> str:
        """Record that ``anon_id`` belongs to ``user_id`` (see :func:`link_identity`)."""
        return link_identity(self.state, anon_id, user_id, at=at or self._clock())

    def assign(
        self,
        exp_key: str,
        *,
        unit_id: str | None = None,
        anon_id: str | None = None,
        user_id: str | None = None,
        attributes: Mapping[str, object] | None = None,
        at: datetime | None = None,
    ) -> Assignment:
        """Assign one unit; repeated calls for the same unit return the same variant.

        For ``unit: user`` experiments the unit is the resolved person: ``user_id``, else the
        user ``anon_id`` is linked to, else ``anon_id``; ``unit_id`` alone is read as a user
        id when it starts with ``u_`` and as an anonymous id otherwise. Passing both
        ``anon_id`` and ``user_id`` links them. ``unit: anon`` uses ``anon_id`` (or
        ``unit_id``); ``unit: session`` uses ``unit_id``.
        """
        experiment = self.experiments.get(exp_key)
        when = at or self._clock()
        _iso(when)  # refuses naive times before they meet aware ones
        unit, unit_type = self._resolve_unit(experiment, unit_id, anon_id, user_id, when)
        bucket = bucket_of(experiment.salt, unit)

        if when < experiment.start:
            return self._outside(experiment, unit, unit_type, bucket, AssignmentReason.NOT_STARTED)
        if experiment.end is not None and when >= experiment.end:
            return self._outside(experiment, unit, unit_type, bucket, AssignmentReason.ENDED)

        stored = self._stored(exp_key, unit)
        if stored is not None:
            return self._from_stored(experiment, unit, unit_type, stored, AssignmentReason.STICKY)

        if unit_type is UnitType.USER:
            row = self.state.fetchone(_SELECT_INHERITABLE, (exp_key, unit))
            if row is not None:
                inherited = _Stored.from_row(row)
                return self._insert_and_read(
                    experiment, unit, unit_type, inherited, when, AssignmentReason.INHERITED
                )

        if not experiment.targeting.matches(attributes or {}):
            return self._outside(experiment, unit, unit_type, bucket, AssignmentReason.NOT_TARGETED)

        decision = hash_assignment(experiment, unit, self.experiments.layer_of(experiment))
        fresh = _Stored(
            variant=decision.variant,
            in_experiment=decision.in_experiment,
            bucket=decision.bucket,
            reason=decision.reason,
            source_unit_id=unit,
            assigned_at=_iso(when),
        )
        return self._insert_and_read(experiment, unit, unit_type, fresh, when, decision.reason)

    def _resolve_unit(
        self,
        experiment: Experiment,
        unit_id: str | None,
        anon_id: str | None,
        user_id: str | None,
        when: datetime,
    ) -> tuple[str, UnitType]:
        unit_id = _check_id("unit_id", unit_id)
        anon_id = _check_id("anon_id", anon_id)
        user_id = _check_id("user_id", user_id)
        if experiment.unit is UnitType.SESSION:
            if unit_id is None:
                raise _missing(experiment, "unit_id (the session id)")
            return _check_id("session_id", unit_id) or unit_id, UnitType.SESSION
        if experiment.unit is UnitType.ANON:
            unit = anon_id or _check_id("anon_id", unit_id)
            if unit is None:
                raise _missing(experiment, "anon_id (or unit_id)")
            return unit, UnitType.ANON
        anon_id, user_id = _person_ids(experiment, unit_id, anon_id, user_id)
        if user_id is not None:
            if anon_id is not None and linked_user(self.state, anon_id) is None:
                link_identity(self.state, anon_id, user_id, at=when)
            return user_id, UnitType.USER
        assert anon_id is not None
        owner = linked_user(self.state, anon_id)
        if owner is not None:
            return owner, UnitType.USER
        return anon_id, UnitType.ANON

    def _stored(self, exp_key: str, unit: str) -> _Stored | None:
        row = self.state.fetchone(_SELECT_ASSIGNMENT, (exp_key, unit))
        return None if row is None else _Stored.from_row(row)

    def _insert_and_read(
        self,
        experiment: Experiment,
        unit: str,
        unit_type: UnitType,
        decision: _Stored,
        when: datetime,
        reason: AssignmentReason,
    ) -> Assignment:
        stored_reason = reason if reason is not AssignmentReason.INHERITED else decision.reason
        mine = (
            decision.variant,
            int(decision.in_experiment),
            decision.bucket,
            stored_reason.value,
            decision.source_unit_id,
            _iso(when),
        )
        self.state.execute(_INSERT_ASSIGNMENT, (experiment.key, unit, unit_type.value, *mine))
        # Another process may have inserted first: the stored row is the truth.
        winner = self._stored(experiment.key, unit)
        assert winner is not None
        won = (
            winner.variant == decision.variant
            and winner.source_unit_id == decision.source_unit_id
            and winner.assigned_at == mine[-1]
        )
        return self._from_stored(
            experiment, unit, unit_type, winner, reason if won else AssignmentReason.STICKY
        )

    @staticmethod
    def _from_stored(
        experiment: Experiment,
        unit: str,
        unit_type: UnitType,
        stored: _Stored,
        reason: AssignmentReason,
    ) -> Assignment:
        if not stored.in_experiment:
            reason = stored.reason
        return Assignment(
            exp_key=experiment.key,
            variant=stored.variant if stored.in_experiment else None,
            unit_id=unit,
            unit_type=unit_type,
            bucket=stored.bucket,
            in_experiment=stored.in_experiment,
            reason=reason,
        )

    @staticmethod
    def _outside(
        experiment: Experiment,
        unit: str,
        unit_type: UnitType,
        bucket: int,
        reason: AssignmentReason,
    ) -> Assignment:
        return Assignment(
            experiment.key, None, unit, unit_type, bucket, in_experiment=False, reason=reason
        )


def _missing(experiment: Experiment, what: str) -> RastupError:
    return RastupError(
        ErrorCode.EXPERIMENT_INVALID,
        f"experiment {experiment.key} randomises by {experiment.unit.value}: pass {what}.",
    )
