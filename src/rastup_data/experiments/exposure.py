"""Exposure logging (once per unit and experiment) and first exposures from the lake.

Online: :func:`assign_and_expose` assigns a unit and returns the ``exp.exposure`` event the
first time only; the state database remembers what was logged. Offline:
:func:`first_exposures` resolves exposure rows to people, keeps each unit's first exposure
and excludes (and counts) units seen in more than one variant.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.assignment import Assigner, Assignment
from rastup_data.experiments.definitions import UnitType
from rastup_data.state.database import StateDB

__all__ = [
    "EXPOSURE_COLUMNS",
    "EXPOSURE_EVENT",
    "FirstExposures",
    "UnitRef",
    "assign_and_expose",
    "exposure_event",
    "first_exposures",
    "log_exposure",
]

EXPOSURE_EVENT = "exp.exposure"
_SESSION_ID = re.compile(r"^s_[A-Za-z0-9_-]{1,126}$")
#: Columns :func:`first_exposures` needs in its exposure rows.
EXPOSURE_COLUMNS = ("exp_key", "variant", "unit_id", "unit_type", "occurred_at")


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def exposure_event(
    assignment: Assignment,
    *,
    at: datetime,
    anon_id: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The ``exp.exposure`` envelope (v1) for an in-experiment assignment.

    ``received_at`` is the creation time; a collector that spools the event may restamp it.
    """
    if not assignment.in_experiment or assignment.variant is None:
        raise ValueError(f"{assignment.unit_id} is not in {assignment.exp_key}: no exposure")
    if user_id is None and assignment.unit_type is UnitType.USER:
        user_id = assignment.unit_id
    if anon_id is None and assignment.unit_type is UnitType.ANON:
        anon_id = assignment.unit_id
    unit_id, unit_type = assignment.unit_id, assignment.unit_type
    if unit_type is UnitType.SESSION:
        # The event contract names people (u_/a_), so a session's exposure names its person
        # and carries the randomised session in the envelope's session_id.
        session_id = assignment.unit_id
        if user_id is not None:
            unit_id, unit_type = user_id, UnitType.USER
        elif anon_id is not None:
            unit_id, unit_type = anon_id, UnitType.ANON
        else:
            raise RastupError(
                ErrorCode.EXPERIMENT_INVALID,
                f"experiment {assignment.exp_key} randomises sessions: pass the anon_id or "
                "user_id of the session so its exposure can name the person.",
            )
    if session_id is not None and not _SESSION_ID.match(session_id):
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"session_id {session_id!r} is not a valid id: use s_ then letters, digits, _ or -.",
        )
    stamp = _rfc3339(at)
    return {
        "event": EXPOSURE_EVENT,
        "v": 1,
        "occurred_at": stamp,
        "received_at": stamp,
        "user_id": user_id,
        "anon_id": anon_id,
        "session_id": session_id,
        "context": {"app": "backend", "platform": "server"},
        "ids": {"event_id": event_id or str(uuid.uuid4())},
        "payload": {
            "exp_key": assignment.exp_key,
            "variant": assignment.variant,
            "unit_id": unit_id,
            "unit_type": unit_type.value,
        },
    }


def log_exposure(
    state: StateDB,
    assignment: Assignment,
    *,
    at: datetime | None = None,
    anon_id: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
) -> dict[str, Any] | None:
    """Record the exposure; return its event the first time, None on repeats or if not in."""
    if not assignment.in_experiment:
        return None
    event = exposure_event(
        assignment,
        at=at or datetime.now(UTC),
        anon_id=anon_id,
        user_id=user_id,
        session_id=session_id,
    )
    event_id = event["ids"]["event_id"]
    state.execute(
        "INSERT INTO exposures_logged (exp_key, unit_id, unit_type, variant, event_id, "
        "exposed_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (exp_key, unit_id) DO NOTHING",
        (
            assignment.exp_key,
            assignment.unit_id,
            assignment.unit_type.value,
            assignment.variant,
            event_id,
            event["occurred_at"],
        ),
    )
    row = state.fetchone(
        "SELECT event_id FROM exposures_logged WHERE exp_key = ? AND unit_id = ?",
        (assignment.exp_key, assignment.unit_id),
    )
    # Whoever inserted first (this call, an earlier one, another process) owns the exposure.
    return event if row is not None and row[0] == event_id else None


@dataclass(frozen=True, slots=True)
class UnitRef:
    """How a caller names the unit to assign: a ``unit_id`` and/or the person's ``anon_id``
    and ``user_id``, and the ``session_id`` the exposure happened in."""

    unit_id: str | None = None
    anon_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None


def assign_and_expose(
    assigner: Assigner,
    exp_key: str,
    unit: UnitRef,
    *,
    attributes: Mapping[str, object] | None = None,
    at: datetime | None = None,
) -> tuple[Assignment, dict[str, Any] | None]:
    """Assign a unit and log its exposure: the event is returned the first time only."""
    assignment = assigner.assign(
        exp_key,
        unit_id=unit.unit_id,
        anon_id=unit.anon_id,
        user_id=unit.user_id,
        attributes=attributes,
        at=at,
    )
    event = log_exposure(
        assigner.state,
        assignment,
        at=at,
        anon_id=unit.anon_id,
        user_id=unit.user_id,
        session_id=unit.session_id,
    )
    return assignment, event


@dataclass(frozen=True, slots=True)
class FirstExposures:
    """First exposure per resolved unit, and the crossover units excluded from it.

    ``table``: exp_key, unit_id, unit_type, variant, first_exposed_at, exposures.
    ``crossover_units``: exp_key, unit_id, variants (sorted list), exposures.
    """

    table: pa.Table
    crossover_units: pa.Table

    def crossover_count(self, exp_key: str | None = None) -> int:
        """How many units were excluded for seeing more than one variant."""
        if exp_key is None:
            return int(self.crossover_units.num_rows)
        keys = self.crossover_units.column("exp_key").to_pylist()
        return sum(1 for k in keys if k == exp_key)

    def units(self, exp_key: str) -> int:
        keys = self.table.column("exp_key").to_pylist()
        return sum(1 for k in keys if k == exp_key)


_RESOLVE_SQL = """
CREATE TEMP TABLE resolved AS
WITH links AS (
    SELECT anon_id, {pick_user} AS user_id
    FROM identity_links
    WHERE anon_id IS NOT NULL AND user_id IS NOT NULL
    GROUP BY anon_id
)
SELECT
    e.exp_key,
    e.variant,
    e.occurred_at,
    CASE WHEN l.user_id IS NOT NULL THEN l.user_id ELSE e.unit_id END AS unit_id,
    CASE WHEN l.user_id IS NOT NULL THEN 'user' ELSE e.unit_type END AS unit_type
FROM exposures AS e
LEFT JOIN links AS l ON e.unit_type = 'anon' AND e.unit_id = l.anon_id
WHERE e.exp_key IS NOT NULL AND e.unit_id IS NOT NULL AND e.variant IS NOT NULL
"""

_PER_UNIT_SQL = """
CREATE TEMP TABLE per_unit AS
SELECT
    exp_key,
    unit_id,
    max(unit_type) AS unit_type,
    count(DISTINCT variant) AS n_variants,
    list_sort(list(DISTINCT variant)) AS variants,
    arg_min(variant, occurred_at) AS variant,
    min(occurred_at) AS first_exposed_at,
    count(*) AS exposures
FROM resolved
GROUP BY exp_key, unit_id
"""


def first_exposures(
    exposures: pa.Table | duckdb.DuckDBPyRelation,
    identity_links: pa.Table | duckdb.DuckDBPyRelation | None = None,
) -> FirstExposures:
    """First exposure per resolved unit; crossover units are excluded and counted.

    ``exposures`` has the columns of :data:`EXPOSURE_COLUMNS` (the ``exp.exposure`` payload
    plus ``occurred_at``). ``identity_links`` has ``anon_id`` and ``user_id`` (and
    optionally ``linked_at``: the earliest link of an anonymous id wins, else the smallest
    user id). An exposure of an anonymous id linked to a user counts for that user.
    """
    exposure_table = _as_arrow(exposures, "exposures")
    _require(exposure_table, EXPOSURE_COLUMNS, "exposures")
    if identity_links is None:
        links_table = pa.table(
            {"anon_id": pa.array([], pa.string()), "user_id": pa.array([], pa.string())}
        )
    else:
        links_table = _as_arrow(identity_links, "identity_links")
        _require(links_table, ("anon_id", "user_id"), "identity_links")
    pick_user = (
        "arg_min(user_id, linked_at)" if "linked_at" in links_table.column_names else "min(user_id)"
    )
    con = duckdb.connect(":memory:")
    try:
        con.register("exposures", exposure_table.select(list(EXPOSURE_COLUMNS)))
        con.register("identity_links", links_table)
        con.execute(_RESOLVE_SQL.format(pick_user=pick_user))
        con.execute(_PER_UNIT_SQL)
        first = con.sql(
            "SELECT exp_key, unit_id, unit_type, variant, first_exposed_at, exposures "
            "FROM per_unit WHERE n_variants = 1 ORDER BY exp_key, unit_id"
        ).to_arrow_table()
        crossover = con.sql(
            "SELECT exp_key, unit_id, variants, exposures "
            "FROM per_unit WHERE n_variants > 1 ORDER BY exp_key, unit_id"
        ).to_arrow_table()
    finally:
        con.close()
    return FirstExposures(table=first, crossover_units=crossover)


def _as_arrow(data: object, name: str) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, duckdb.DuckDBPyRelation):
        table = data.to_arrow_table()
        assert isinstance(table, pa.Table)
        return table
    raise RastupError(
        ErrorCode.EXPERIMENT_INVALID,
        f"{name} must be a pyarrow Table or a DuckDB relation, got {type(data).__name__}.",
    )


def _require(table: pa.Table, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"{name} lacks the column(s) {', '.join(missing)}: select "
            f"{', '.join(columns)} from the exposure events.",
        )
