"""The policy as code: roles, grants, tag rules, city scope, partition filters, cost guards.

``governance/policy.yaml`` is validated strictly: an unknown key, a wrong type or an unknown
value is a ``POLICY_INVALID`` error naming the file and the path inside it
(``roles.analyst.tags.pii``). Column tags themselves live in the dbt schema files.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from rastup_data.environments.document import DocumentChecker, read_yaml_document
from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "DEFAULT_MAX_ANSWER_BYTES",
    "DEFAULT_MAX_TEMP_BYTES",
    "CostPolicy",
    "Policy",
    "Role",
    "RoleLimits",
    "TagAction",
    "TagRule",
    "default_policy_path",
    "load_policy",
    "parse_policy",
]

#: The byte budget of one answer when a role does not set ``limits.max_answer_bytes``.
DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024

#: The most temporary disk space one query may spill to (DuckDB's ``max_temp_directory_size``
#: of the role's sessions) when a role does not set ``limits.max_temp_bytes``.
DEFAULT_MAX_TEMP_BYTES = 4 * 1024 * 1024 * 1024

#: Every path label a query can carry; partition filters name a subset of them.
PATHS = ("cli", "http", "dashboard", "report")


class TagAction(str, Enum):
    """What a tagged column looks like to a role; ordered from most to least open."""

    VISIBLE = "visible"
    MASKED = "masked"
    DENIED = "denied"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {TagAction.VISIBLE: 0, TagAction.MASKED: 1, TagAction.DENIED: 2}


@dataclass(frozen=True, slots=True)
class TagRule:
    """A tag's action for one role: per schema (``silver``), else the default (``*``)."""

    default: TagAction
    by_schema: Mapping[str, TagAction] = field(default_factory=dict)

    def action(self, schema: str) -> TagAction:
        return self.by_schema.get(schema, self.default)


@dataclass(frozen=True, slots=True)
class RoleLimits:
    """Most rows a query returns (more are cut, and flagged), its wall-clock limit, and the
    most bytes one answer may hold and the most temporary disk space a query may spill to
    (past either the query is stopped)."""

    max_rows: int
    max_seconds: float
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    max_temp_bytes: int = DEFAULT_MAX_TEMP_BYTES


@dataclass(frozen=True, slots=True)
class Role:
    """One role: the relations it is granted (glob patterns) and its tag rules."""

    name: str
    description: str
    grants: tuple[str, ...]
    tags: Mapping[str, TagRule]
    limits: RoleLimits

    def grants_relation(self, relation: str) -> bool:
        return any(fnmatch.fnmatchcase(relation, pattern) for pattern in self.grants)

    def column_action(self, schema: str, tags: frozenset[str]) -> TagAction:
        """The most restrictive action of the column's tags (untagged columns are visible)."""
        action = TagAction.VISIBLE
        for tag in tags:
            rule = self.tags.get(tag)
            if rule is not None and rule.action(schema).rank > action.rank:
                action = rule.action(schema)
        return action


@dataclass(frozen=True, slots=True)
class CostPolicy:
    """How bytes are billed (Athena: whole MiB, 10 MiB minimum). Each environment's cap and
    budget are in its profile (:mod:`rastup_data.environments`)."""

    billing_minimum: int
    billing_unit: int

    def billed(self, scanned: int) -> int:
        units = -(-scanned // self.billing_unit)
        return max(self.billing_minimum, units * self.billing_unit)


@dataclass(frozen=True, slots=True)
class Policy:
    """The whole validated policy."""

    source: str
    roles: Mapping[str, Role]
    parquet_relations: Mapping[str, str]
    city_scoped: Mapping[str, str]
    city_neutral: frozenset[str]
    partition_paths: frozenset[str]
    partition_relations: Mapping[str, str]
    erasure_user_columns: frozenset[str]
    erasure_anon_columns: frozenset[str]
    cost: CostPolicy

    def role(self, name: str) -> Role:
        found = self.roles.get(name)
        if found is None:
            raise RastupError(
                ErrorCode.ACCESS_DENIED,
                f"unknown role {name!r}; the policy defines {', '.join(sorted(self.roles))}.",
            )
        return found


def default_policy_path() -> Path:
    """The shipped policy: packaged in a wheel (``rastup_data/_governance``) or the repo's."""
    here = Path(__file__).resolve()
    packaged = here.parents[1] / "_governance" / "policy.yaml"
    return packaged if packaged.is_file() else here.parents[3] / "governance" / "policy.yaml"


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy file (default: :func:`default_policy_path`)."""
    file = Path(path) if path is not None else default_policy_path()
    data = read_yaml_document(file, ErrorCode.POLICY_INVALID, "the policy")
    return parse_policy(data, source=str(file))


def parse_policy(data: Any, *, source: str = "<policy>") -> Policy:
    """Validate a parsed policy document; errors name ``source`` and the path inside it."""
    check = _Checker(source)
    top = check.mapping(
        data,
        "",
        required=("version", "roles"),
        optional=("parquet_relations", "city_scope", "partition_filters", "erasure", "cost"),
    )
    if top["version"] != 1:
        check.fail("version", f"unsupported version {top['version']!r} (this release reads 1)")
    roles = {
        check.name(name, "roles"): _role(check, name, value)
        for name, value in check.mapping(top["roles"], "roles").items()
    }
    if "admin" not in roles:
        check.fail("roles", "an `admin` role is required (the local CLI runs as admin)")
    city = check.mapping(top.get("city_scope", {}), "city_scope", optional=("relations", "neutral"))
    parts = check.mapping(
        top.get("partition_filters", {}), "partition_filters", optional=("paths", "relations")
    )
    erasure = check.mapping(top.get("erasure", {}), "erasure", optional=("user", "anon"))
    paths = frozenset(check.strings(parts.get("paths", []), "partition_filters.paths"))
    for label in paths - set(PATHS):
        check.fail("partition_filters.paths", f"unknown path {label!r} (one of {', '.join(PATHS)})")
    return Policy(
        source=source,
        roles=roles,
        parquet_relations=check.relation_map(top.get("parquet_relations", {}), "parquet_relations"),
        city_scoped=check.relation_map(city.get("relations", {}), "city_scope.relations"),
        city_neutral=frozenset(check.strings(city.get("neutral", []), "city_scope.neutral")),
        partition_paths=paths,
        partition_relations=check.relation_map(
            parts.get("relations", {}), "partition_filters.relations"
        ),
        erasure_user_columns=frozenset(check.strings(erasure.get("user", []), "erasure.user")),
        erasure_anon_columns=frozenset(check.strings(erasure.get("anon", []), "erasure.anon")),
        cost=_cost(check, top.get("cost", {})),
    )


def _role(check: _Checker, name: str, value: Any) -> Role:
    path = f"roles.{name}"
    body = check.mapping(
        value, path, required=("grants",), optional=("description", "tags", "limits")
    )
    tags = {
        check.name(tag, f"{path}.tags"): _tag_rule(check, f"{path}.tags.{tag}", rule)
        for tag, rule in check.mapping(body.get("tags", {}), f"{path}.tags").items()
    }
    limits = check.mapping(
        body.get("limits", {}),
        f"{path}.limits",
        optional=("max_rows", "max_seconds", "max_answer_bytes", "max_temp_bytes"),
    )
    return Role(
        name=name,
        description=str(body.get("description", "")),
        grants=tuple(check.strings(body["grants"], f"{path}.grants")),
        tags=tags,
        limits=RoleLimits(
            max_rows=check.positive_int(limits.get("max_rows", 100_000), f"{path}.limits.max_rows"),
            max_seconds=float(
                check.positive_int(limits.get("max_seconds", 120), f"{path}.limits.max_seconds")
            ),
            max_answer_bytes=check.size(
                limits.get("max_answer_bytes", DEFAULT_MAX_ANSWER_BYTES),
                f"{path}.limits.max_answer_bytes",
            ),
            max_temp_bytes=check.size(
                limits.get("max_temp_bytes", DEFAULT_MAX_TEMP_BYTES),
                f"{path}.limits.max_temp_bytes",
            ),
        ),
    )


def _tag_rule(check: _Checker, path: str, value: Any) -> TagRule:
    if isinstance(value, str):
        return TagRule(default=check.action(value, path))
    rules = check.mapping(value, path, required=("*",), any_keys=True)
    return TagRule(
        default=check.action(rules["*"], f"{path}.*"),
        by_schema={
            schema: check.action(action, f"{path}.{schema}")
            for schema, action in rules.items()
            if schema != "*"
        },
    )


def _cost(check: _Checker, value: Any) -> CostPolicy:
    # The per-environment cap and budget moved to the environment profiles: say where.
    if isinstance(value, dict) and ("environments" in value or "alarm_ratio" in value):
        check.fail(
            "cost",
            "per-environment caps, budgets and the alarm share live in the environment "
            "profiles now (operations/environments/<env>.yaml: queries.cap, "
            "budgets.scanned_per_day, budgets.alarm_at); keep only billing_minimum and "
            "billing_unit here",
        )
    body = check.mapping(value, "cost", optional=("billing_minimum", "billing_unit"))
    return CostPolicy(
        billing_minimum=check.size(body.get("billing_minimum", "10 MiB"), "cost.billing_minimum"),
        billing_unit=check.size(body.get("billing_unit", "1 MiB"), "cost.billing_unit"),
    )


_RELATION = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


class _Checker(DocumentChecker):
    """Walks the policy document and raises POLICY_INVALID with the file and the path."""

    def __init__(self, source: str) -> None:
        super().__init__(source, ErrorCode.POLICY_INVALID)

    def name(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            self.fail(_join(path, str(value)), "names are lower-case letters, digits and _")
        return value

    def relation_map(self, value: Any, path: str) -> dict[str, str]:
        body = self.mapping(value, path)
        for relation, target in body.items():
            if not _RELATION.match(relation):
                self.fail(_join(path, relation), "relations are written schema.name")
            if not isinstance(target, str) or not target:
                self.fail(_join(path, relation), "expected a non-empty string")
        return body

    def action(self, value: Any, path: str) -> TagAction:
        try:
            return TagAction(value)
        except ValueError:
            choices = ", ".join(a.value for a in TagAction)
            self.fail(path, f"{value!r} is not one of {choices}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
