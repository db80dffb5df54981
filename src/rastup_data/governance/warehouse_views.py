"""Warehouse views priced by their base tables: column lineage and pushed-down predicates.

A DuckDB view stores no data, so its read is priced as the reads of the relations its text
names (``duckdb_views().sql``, qualified by sqlglot against the file's own columns). For
each base relation a :class:`BaseRead` records

* ``always``: the base columns read whatever the query asks of the view (its WHERE, joins,
  grouping, DISTINCT, subqueries);
* ``derives``: per view column, the base columns its value is computed from;
* ``passthrough``: view columns that are a base column unchanged (the same value), so a
  query's constant predicate on them prunes the base table's row groups; predicates on
  computed columns do not (a scope with LIMIT, OFFSET or a window keeps none);
* ``predicates``: the view's own ``column <op> constant`` conjuncts on the base table.

A view read of columns C with predicates P becomes, per base read, the columns
``always ∪ derives[C]`` with ``predicates ∪ P mapped through passthrough``; a base relation
that is itself a view is expanded the same way (:func:`table_reads`). Text the lineage
cannot follow is priced conservatively: every column the text names of each relation it
reads (all of them when it selects ``*``), without pruning. Catalog names inside view
text (the build's staging catalog) are ignored: relations match by ``schema.table``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

from rastup_data.governance.lineage import Predicate, RelationRead, scope_predicates

__all__ = ["BaseRead", "ViewPlan", "plan_view", "read_views", "table_reads"]

#: Views nested deeper than this are priced conservatively (DuckDB forbids cycles).
MAX_DEPTH = 16

_EMPTY: Mapping[str, frozenset[str]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class BaseRead:
    """One relation a view reads, and how the view's columns derive from its columns."""

    relation: str
    always: frozenset[str]
    derives: Mapping[str, frozenset[str]] = field(default_factory=lambda: _EMPTY)
    passthrough: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    predicates: tuple[Predicate, ...] = ()


@dataclass(frozen=True, slots=True)
class ViewPlan:
    """A view: its base reads; ``exact`` is false when priced conservatively."""

    name: str
    reads: tuple[BaseRead, ...]
    exact: bool


def read_views(conn: duckdb.DuckDBPyConnection, database: str) -> dict[str, ViewPlan]:
    """``schema.view`` -> plan, for every user view of the attached ``database``."""
    rows = conn.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = ? ORDER BY schema_name, table_name, column_index",
        [database],
    ).fetchall()
    columns: dict[str, list[str]] = {}
    for schema, table, column in rows:
        columns.setdefault(f"{schema}.{table}".lower(), []).append(str(column).lower())
    views = conn.execute(
        "SELECT schema_name, view_name, sql FROM duckdb_views() "
        "WHERE database_name = ? AND NOT internal",
        [database],
    ).fetchall()
    return {
        f"{schema}.{name}".lower(): plan_view(f"{schema}.{name}".lower(), str(sql), columns)
        for schema, name, sql in views
    }


def plan_view(name: str, sql: str, columns: Mapping[str, list[str]]) -> ViewPlan:
    """The plan of view ``name`` from its ``CREATE VIEW`` text; ``columns`` holds every
    relation's columns in order (``schema.table`` -> names)."""
    schema = name.split(".", 1)[0]
    try:
        parsed = sqlglot.parse_one(sql, dialect="duckdb")
    except (SqlglotError, RecursionError):
        parsed = None
    query = parsed.expression if isinstance(parsed, exp.Create) else parsed
    if not isinstance(query, exp.Query):
        return ViewPlan(name, tuple(_named_in(sql, name, columns)), exact=False)
    for table in query.find_all(exp.Table):
        if not isinstance(table.this, exp.Func):
            table.set("catalog", None)
            table.set("db", exp.to_identifier(table.db or schema))
    try:
        qualified = qualify(
            query.copy(),
            schema=_schema(columns),
            dialect="duckdb",
            validate_qualify_columns=True,
            quote_identifiers=False,
        )
        return ViewPlan(name, _Tracer(qualified).reads(), exact=True)
    except (SqlglotError, RecursionError, KeyError, _Unfollowable):
        return ViewPlan(name, tuple(_conservative(query, columns)), exact=False)


def table_reads(
    plans: Mapping[str, ViewPlan], read: RelationRead, depth: int = 0
) -> Iterator[RelationRead]:
    """``read`` itself for a stored relation; for a view, the reads of its base relations
    (recursively), with the columns the requested ones derive from and the predicates that
    survive the view."""
    plan = plans.get(read.relation)
    if plan is None:
        yield read
        return
    for base in plan.reads:
        columns = set(base.always)
        for column in read.columns:
            columns |= base.derives.get(column, frozenset())
        pushed = tuple(
            Predicate(base.passthrough[p.column], p.op, p.values)
            for p in read.predicates
            if p.column in base.passthrough
        )
        inner = RelationRead(base.relation, frozenset(columns), base.predicates + pushed)
        if depth >= MAX_DEPTH:
            yield inner
        else:
            yield from table_reads(plans, inner, depth + 1)


class _Unfollowable(Exception):
    """The view text uses a form the lineage does not follow."""


#: A derivation: (index of the base read, base column).
_Origin = tuple[int, str]


@dataclass(frozen=True, slots=True)
class _Output:
    name: str
    origins: frozenset[_Origin]
    passthrough: _Origin | None


class _Tracer:
    """Walks the scopes of a qualified view query, innermost first."""

    def __init__(self, tree: exp.Query) -> None:
        self.tree = tree
        self.bases: list[tuple[str, tuple[Predicate, ...]]] = []
        self.always: set[_Origin] = set()
        self.outputs: dict[int, tuple[_Output, ...]] = {}

    def reads(self) -> tuple[BaseRead, ...]:
        root: Scope | None = None
        for scope in traverse_scope(self.tree):
            self.outputs[id(scope)] = self._scope(scope)
            root = scope
        if root is None:
            raise _Unfollowable("no scope")
        return tuple(self._base(i, self.outputs[id(root)]) for i in range(len(self.bases)))

    def _base(self, index: int, outputs: tuple[_Output, ...]) -> BaseRead:
        relation, predicates = self.bases[index]
        derives = {o.name: frozenset(c for i, c in o.origins if i == index) for o in outputs}
        passthrough = {
            o.name: o.passthrough[1]
            for o in outputs
            if o.passthrough is not None and o.passthrough[0] == index
        }
        return BaseRead(
            relation=relation,
            always=frozenset(c for i, c in self.always if i == index),
            derives=MappingProxyType(derives),
            passthrough=MappingProxyType(passthrough),
            predicates=predicates,
        )

    def _scope(self, scope: Scope) -> tuple[_Output, ...]:
        if isinstance(scope.expression, exp.SetOperation):
            return self._set_operation(scope)
        if not isinstance(scope.expression, exp.Select):
            raise _Unfollowable(type(scope.expression).__name__)
        select = scope.expression
        tables = self._register_tables(scope)
        for child in scope.subquery_scopes:
            self.always |= {o for out in self.outputs[id(child)] for o in out.origins}
        outputs = tuple(self._output(scope, tables, s) for s in select.selects)
        in_selects = {id(c) for s in select.selects for c in _own_columns(s)}
        names = {o.name: o for o in outputs}
        for column in scope.columns:
            if id(column) in in_selects:
                continue
            if not column.table and column.name.lower() in names:
                self.always |= names[column.name.lower()].origins
            else:
                self.always |= self._origin(scope, tables, column)[0]
        group = select.args.get("group")
        if select.args.get("distinct") is not None:
            self.always |= {o for out in outputs for o in out.origins}
        elif group is not None and group.args.get("all"):  # the keys: every plain select
            keys = (
                o for o, s in zip(outputs, select.selects, strict=True) if not s.find(exp.AggFunc)
            )
            self.always |= {o for out in keys for o in out.origins}
        if any(select.args.get(k) is not None for k in ("limit", "offset")) or any(
            s.find(exp.Window) for s in select.selects
        ):
            outputs = tuple(_Output(o.name, o.origins, None) for o in outputs)
        return outputs

    def _register_tables(self, scope: Scope) -> dict[str, int]:
        tables: dict[str, int] = {}
        for alias, (_node, source) in scope.selected_sources.items():
            if isinstance(source, Scope):
                continue
            if not isinstance(source, exp.Table) or isinstance(source.this, exp.Func):
                raise _Unfollowable(f"source {alias}")
            tables[alias] = len(self.bases)
            relation = f"{source.db}.{source.name}".lower()
            self.bases.append((relation, tuple(scope_predicates(scope, alias))))
        return tables

    def _output(self, scope: Scope, tables: dict[str, int], node: exp.Expr) -> _Output:
        origins: set[_Origin] = set()
        passthrough: _Origin | None = None
        for column in _own_columns(node):
            found, through = self._origin(scope, tables, column)
            origins |= found
            if column is node.unalias():
                passthrough = through
        return _Output(node.alias_or_name.lower(), frozenset(origins), passthrough)

    def _origin(
        self, scope: Scope, tables: dict[str, int], column: exp.Column
    ) -> tuple[frozenset[_Origin], _Origin | None]:
        name = column.name.lower()
        if column.table in tables:
            origin = (tables[column.table], name)
            return frozenset({origin}), origin
        source = scope.selected_sources.get(column.table, (None, None))[1]
        if not isinstance(source, Scope):
            raise _Unfollowable(f"column {column.sql()}")
        for output in self.outputs[id(source)]:
            if output.name == name:
                return output.origins, output.passthrough
        raise _Unfollowable(f"column {column.sql()}")

    def _set_operation(self, scope: Scope) -> tuple[_Output, ...]:
        left, right = (self.outputs[id(s)] for s in scope.set_operation_scopes)
        if len(left) != len(right):
            raise _Unfollowable("set operation widths")
        outputs = tuple(
            _Output(a.name, a.origins | b.origins, None) for a, b in zip(left, right, strict=True)
        )
        if scope.expression.args.get("distinct"):
            self.always |= {o for out in outputs for o in out.origins}
        return outputs


def _own_columns(node: exp.Expr) -> Iterator[exp.Column]:
    """The columns of ``node`` outside any nested query (those belong to another scope)."""
    for child in node.walk(prune=lambda n: isinstance(n, exp.Query) and n is not node):
        if isinstance(child, exp.Column) and not isinstance(child.this, exp.Star):
            yield child


def _schema(columns: Mapping[str, list[str]]) -> MappingSchema:
    nested: dict[str, Any] = {}
    for relation, names in columns.items():
        schema, table = relation.split(".", 1)
        nested.setdefault(schema, {})[table] = dict.fromkeys(names, "VARCHAR")
    return MappingSchema(nested, dialect="duckdb")


def _conservative(query: exp.Query, columns: Mapping[str, list[str]]) -> Iterator[BaseRead]:
    """Every column the text names of each relation it reads; all of them after a ``*``."""
    named = {c.name.lower() for c in query.find_all(exp.Column)}
    star = query.find(exp.Star) is not None
    for table in query.find_all(exp.Table):
        relation = f"{table.db}.{table.name}".lower()
        known = columns.get(relation, [])
        used = frozenset(known if star else (c for c in known if c in named))
        yield BaseRead(relation, used or frozenset(known))


def _named_in(sql: str, name: str, columns: Mapping[str, list[str]]) -> Iterator[BaseRead]:
    """Text that does not parse: every column of each other relation its text names."""
    text = sql.lower().replace('"', "")
    for relation, known in columns.items():
        pattern = r"\b" + r"\s*\.\s*".join(map(re.escape, relation.split(".", 1))) + r"\b"
        if relation != name and re.search(pattern, text):
            yield BaseRead(relation, frozenset(known))
