"""What one role sees: every relation it is granted, with each column's tags and action.

A :class:`RelationView` is the blueprint of one secure view — which columns stay, which are
masked, which are dropped (denied), the city filter for scoped principals, and the
identifier columns the read-time erasure hook filters on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from rastup_data.governance.policy import Policy, Role, TagAction
from rastup_data.governance.principals import Principal
from rastup_data.governance.tags import ColumnTags

__all__ = [
    "CATALOG_COLUMNS",
    "CATALOG_TABLES",
    "ColumnView",
    "PhysicalColumn",
    "PhysicalRelation",
    "Refusal",
    "RelationView",
    "SourceKind",
    "plan_relations",
]


#: The filtered catalogue that ``information_schema.tables`` / ``.columns`` read.
CATALOG_TABLES = "__gate.catalog_tables"
CATALOG_COLUMNS = "__gate.catalog_columns"


class SourceKind(str, Enum):
    """Where a relation's data lives."""

    WAREHOUSE = "warehouse"
    NRT = "nrt"
    PARQUET = "parquet"


@dataclass(frozen=True, slots=True)
class PhysicalColumn:
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class PhysicalRelation:
    """A relation as stored: its public name, where it lives, how to read it, its columns."""

    name: str
    kind: SourceKind
    source_sql: str
    columns: tuple[PhysicalColumn, ...]
    #: A Parquet folder, or ``schema.table`` inside the warehouse or NRT file.
    location: str


@dataclass(frozen=True, slots=True)
class ColumnView:
    """One column of a secure view and how the role sees it."""

    name: str
    type: str
    tags: frozenset[str]
    action: TagAction


@dataclass(frozen=True, slots=True)
class RelationView:
    """The secure view of one relation for one principal."""

    name: str
    kind: SourceKind
    source_sql: str
    columns: tuple[ColumnView, ...]
    city_filter: tuple[str, frozenset[str]] | None
    erasure_columns: tuple[tuple[str, str], ...]
    partition_column: str | None
    location: str

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def visible(self) -> tuple[ColumnView, ...]:
        return tuple(c for c in self.columns if c.action is not TagAction.DENIED)

    @property
    def denied(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.action is TagAction.DENIED)

    @property
    def masked(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.action is TagAction.MASKED)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a relation that exists is not in the principal's view (for ACCESS_DENIED text)."""

    relation: str
    reason: str


def plan_relations(
    policy: Policy,
    principal: Principal,
    physical: Sequence[PhysicalRelation],
    tags: ColumnTags,
) -> tuple[dict[str, RelationView], dict[str, Refusal]]:
    """The views ``principal`` gets over the ``physical`` relations, and why others are not."""
    role = policy.role(principal.role)
    views: dict[str, RelationView] = {}
    refused: dict[str, Refusal] = {}
    for relation in sorted(physical, key=lambda r: r.name):
        reason = _refusal(policy, role, principal, relation.name, tags)
        if reason is not None:
            refused[relation.name] = Refusal(relation.name, reason)
            continue
        views[relation.name] = _view(policy, role, principal, relation, tags)
    return views, refused


def _refusal(
    policy: Policy, role: Role, principal: Principal, name: str, tags: ColumnTags
) -> str | None:
    if not role.grants_relation(name):
        return f"role {role.name} is not granted {name}"
    if name not in tags and role.name != "admin":
        return f"{name} is not documented in the dbt project, so its columns carry no tags"
    if principal.scoped and name not in policy.city_scoped and name not in policy.city_neutral:
        return (
            f"{name} aggregates across cities and {principal.name} is scoped to "
            f"{', '.join(sorted(principal.cities))}"
        )
    return None


def _view(
    policy: Policy,
    role: Role,
    principal: Principal,
    relation: PhysicalRelation,
    tags: ColumnTags,
) -> RelationView:
    name, columns = relation.name, relation.columns
    schema = name.split(".", 1)[0]
    known = tags.get(name, {})
    views = tuple(
        ColumnView(
            c.name,
            c.type,
            known.get(c.name.lower(), frozenset()),
            role.column_action(schema, known.get(c.name.lower(), frozenset())),
        )
        for c in columns
    )
    names = {c.name for c in columns}
    city_filter = None
    if principal.scoped and name in policy.city_scoped:
        city_filter = (policy.city_scoped[name], principal.cities)
    erasure = tuple(
        sorted(
            [(c, "user") for c in names & policy.erasure_user_columns]
            + [(c, "anon") for c in names & policy.erasure_anon_columns]
        )
    )
    partition = policy.partition_relations.get(name)
    return RelationView(
        name=name,
        kind=relation.kind,
        source_sql=relation.source_sql,
        columns=views,
        city_filter=city_filter,
        erasure_columns=erasure,
        partition_column=partition if partition in names else None,
        location=relation.location,
    )
