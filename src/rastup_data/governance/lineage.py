"""Which columns of which relations a checked query reads, and its constant predicates.

sqlglot's ``qualify`` (with the secure views' columns as the schema) expands ``*`` and ties
every column to its source; each reference to a relation becomes one :class:`RelationRead`
with the columns it needs and the ``column <op> constant`` conjuncts of its WHERE/ON, which
the partition-filter guard and the scanned-bytes estimate use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance.checker import CheckedQuery
from rastup_data.governance.policy import TagAction
from rastup_data.governance.relations import RelationView

__all__ = [
    "Lineage",
    "Predicate",
    "RelationRead",
    "scope_predicates",
    "trace_reads",
    "views_schema",
]

_OPS: dict[type[exp.Expr], str] = {
    exp.EQ: "eq",
    exp.GT: "gt",
    exp.GTE: "ge",
    exp.LT: "lt",
    exp.LTE: "le",
}
_FLIP = {"eq": "eq", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}


@dataclass(frozen=True, slots=True)
class Predicate:
    """``column <op> values``: op is eq, in, gt, ge, lt or le; values are Python constants."""

    column: str
    op: str
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class RelationRead:
    """One reference to a relation: the columns it reads and its constant predicates."""

    relation: str
    columns: frozenset[str]
    predicates: tuple[Predicate, ...]


@dataclass(frozen=True, slots=True)
class Lineage:
    """Every relation read of a query; ``exact`` is false when sqlglot could not qualify it
    (then each read counts all visible columns and no predicates)."""

    reads: tuple[RelationRead, ...]
    exact: bool

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(sorted({f"{r.relation}.{c}" for r in self.reads for c in r.columns}))


def views_schema(views: Mapping[str, RelationView]) -> MappingSchema:
    """The sqlglot schema of secure views (masked columns are text), built once per session."""
    schema: dict[str, Any] = {}
    for view in views.values():
        schema.setdefault(view.schema, {})[view.table] = {
            c.name: "VARCHAR" if c.action is TagAction.MASKED else c.type for c in view.visible
        }
    return MappingSchema(schema, dialect="duckdb")


def trace_reads(
    checked: CheckedQuery, views: Mapping[str, RelationView], schema: MappingSchema
) -> Lineage:
    """The reads of ``checked``; ACCESS_DENIED when it names a column denied to the role."""
    used = {views[name] for name in checked.relations}
    _refuse_denied_columns(checked.tree, used)
    try:
        qualified = qualify(
            checked.tree.copy(),
            schema=schema,
            dialect="duckdb",
            validate_qualify_columns=True,
            quote_identifiers=False,
        )
        reads = tuple(_reads(qualified, views))
    except (SqlglotError, RecursionError, KeyError):
        reads = tuple(RelationRead(v.name, frozenset(c.name for c in v.visible), ()) for v in used)
        return Lineage(reads, exact=False)
    return Lineage(reads, exact=True)


def _refuse_denied_columns(tree: exp.Expr, used: set[RelationView]) -> None:
    denied: dict[str, RelationView] = {}
    for view in used:
        for name in view.denied:
            denied.setdefault(name.lower(), view)
    if not denied:
        return
    visible = {c.name.lower() for v in used for c in v.visible}
    aliases = {a.alias.lower() for a in tree.find_all(exp.Alias)} | {
        c.name.lower() for t in tree.find_all(exp.TableAlias) for c in t.columns
    }
    for column in tree.find_all(exp.Column):
        name = column.name.lower()
        if name in denied and name not in visible and name not in aliases:
            view = denied[name]
            tags = next(c.tags for c in view.columns if c.name.lower() == name)
            raise RastupError(
                ErrorCode.ACCESS_DENIED,
                f"the column {view.name}.{column.name} is denied to your role "
                f"(tagged {', '.join(sorted(tags))}).",
            )


def _reads(tree: exp.Expr, views: Mapping[str, RelationView]) -> Iterator[RelationRead]:
    for scope in traverse_scope(tree):
        for alias, (_node, source) in scope.selected_sources.items():
            if not isinstance(source, exp.Table) or isinstance(source.this, exp.Func):
                continue
            relation = f"{source.db}.{source.name}".lower()
            if relation not in views:
                continue
            yield RelationRead(
                relation=relation,
                columns=frozenset(_columns_of(tree, scope, alias)),
                predicates=tuple(scope_predicates(scope, alias)),
            )


def _columns_of(tree: exp.Expr, scope: Scope, alias: str) -> Iterator[str]:
    """Columns qualified with ``alias`` in this scope or in subqueries correlated to it."""
    for column in scope.expression.find_all(exp.Column):
        if column.table != alias:
            continue
        owner = _owning_scope(scope, column)
        if owner is scope:
            yield column.name


def _owning_scope(scope: Scope, column: exp.Column) -> Scope | None:
    """The innermost scope, from the column's own outwards, whose sources name its table."""
    node: exp.Expr | None = column
    while node is not None and not isinstance(node, exp.Query):
        node = node.parent
    inner = _scope_of(scope, node)
    current: Scope | None = inner
    while current is not None:
        if column.table in current.selected_sources:
            return current
        current = current.parent
    return None


def _scope_of(root: Scope, query: exp.Expr | None) -> Scope | None:
    if query is None:
        return None
    for candidate in root.traverse():
        if candidate.expression is query:
            return candidate
    return root


def scope_predicates(scope: Scope, alias: str) -> Iterator[Predicate]:
    """The ``column <op> constant`` conjuncts on ``alias`` in the WHERE of ``scope`` and in
    the ON of its joins that filter ``alias``'s rows (:func:`_filters`)."""
    select = scope.expression
    conditions = []
    where = select.args.get("where")
    if where is not None:
        conditions.append(where.this)
    for join in select.args.get("joins") or ():
        if join.args.get("on") is not None and _filters(join, alias):
            conditions.append(join.args["on"])
    for condition in conditions:
        for conjunct in _conjuncts(condition):
            found = _predicate(conjunct, alias)
            if found is not None:
                yield found


def _filters(join: exp.Join, alias: str) -> bool:
    """Whether ``join``'s ON drops rows of ``alias``: an outer (or anti) join keeps every
    row of its preserved side, so ``a LEFT JOIN b ON a.dt = …`` still reads all of ``a``."""
    joined = bool(join.this.alias_or_name == alias)
    side, kind = str(join.args.get("side") or "").upper(), str(join.args.get("kind") or "").upper()
    if side == "FULL":
        return False
    if side == "LEFT" or kind == "ANTI":
        return joined
    if side == "RIGHT":
        return not joined
    return True


def _conjuncts(node: exp.Expr) -> Iterator[exp.Expr]:
    if isinstance(node, exp.Paren):
        yield from _conjuncts(node.this)
    elif isinstance(node, exp.And):
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


def _predicate(node: exp.Expr, alias: str) -> Predicate | None:
    if isinstance(node, exp.Between):
        column, low, high = node.this, _constant(node.args["low"]), _constant(node.args["high"])
        if _is_column(column, alias) and low is not _NO and high is not _NO:
            return Predicate(column.name, "between", (low, high))
        return None
    if isinstance(node, exp.In) and not node.args.get("query"):
        values = tuple(_constant(v) for v in node.expressions)
        if _is_column(node.this, alias) and values and _NO not in values:
            return Predicate(node.this.name, "in", values)
        return None
    op = _OPS.get(type(node))
    if op is None or not isinstance(node, exp.Binary):
        return None
    left, right = node.left, node.right
    if _is_column(left, alias) and (value := _constant(right)) is not _NO:
        return Predicate(left.name, op, (value,))
    if _is_column(right, alias) and (value := _constant(left)) is not _NO:
        return Predicate(right.name, _FLIP[op], (value,))
    return None


def _is_column(node: exp.Expr, alias: str) -> bool:
    return isinstance(node, exp.Column) and node.table == alias


_NO = object()


def _constant(node: exp.Expr) -> Any:
    """A literal's Python value (dates and timestamps typed by their CAST), else ``_NO``."""
    if isinstance(node, exp.Paren):
        return _constant(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        text = node.this
        return float(text) if any(ch in text for ch in ".eE") else int(text)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        target = node.to.this
        try:
            if target == exp.DataType.Type.DATE:
                return date.fromisoformat(node.this.this)
            if target in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPTZ):
                return datetime.fromisoformat(node.this.this)
        except ValueError:
            return _NO
        return node.this.this
    return _NO
