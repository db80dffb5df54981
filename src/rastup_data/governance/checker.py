"""Check one query with sqlglot before anything runs: one read-only statement, allowed
functions only, and every relation resolved — a CTE of the query, or a relation the
principal's session has a secure view of.

Refusals: ``QUERY_INVALID`` for what is not one read-only statement (or cannot be parsed),
``ACCESS_DENIED`` for reaching anything not granted (relations, files, settings, the raw
catalogue, private names of the gate).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import traverse_scope

from rastup_data.config import MAX_SQL_CHARS
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance.parameters import number_parameters
from rastup_data.governance.relations import (
    CATALOG_COLUMNS,
    CATALOG_TABLES,
    Refusal,
    RelationView,
)

__all__ = ["MAX_DEPTH", "MAX_SQL_CHARS", "CheckedQuery", "check_query", "parse_query"]

MAX_DEPTH = 200

_READ_ROOTS = (exp.Select, exp.SetOperation, exp.Values)
#: Statement kinds refused wherever they appear (names, so sqlglot versions differ less).
_FORBIDDEN_NODES = frozenset(
    {
        "Alter", "Analyze", "Attach", "Cache", "Command", "Commit", "Copy", "Create",
        "Delete", "Describe", "Detach", "Drop", "Export", "Grant", "Insert", "Install",
        "Into", "Kill", "Load", "LoadData", "Merge", "Pragma", "Refresh", "Revoke",
        "Rollback", "Set", "Show", "Summarize", "Transaction", "TruncateTable", "Uncache",
        "Update", "Use",
    }
)  # fmt: skip
_FORBIDDEN_FUNCTIONS = frozenset(
    {
        "glob", "getenv", "current_setting", "current_query", "getvariable", "sniff_csv",
        "query", "query_table", "which_secret", "checkpoint", "force_checkpoint",
        "load_extension", "install_extension", "json_execute_serialized_sql", "arrow_scan",
        "summary", "enable_profiling", "disable_profiling", "set_variable",
    }
)  # fmt: skip
_FORBIDDEN_PREFIXES = (
    "read_", "duckdb_", "pragma_", "parquet_", "iceberg_", "delta_", "sqlite_", "postgres_",
    "mysql_", "json_execute", "arrow_", "__",
)  # fmt: skip
_TABLE_FUNCTIONS = frozenset({"unnest", "range", "generate_series", "exploding_generate_series"})
_PRIVATE_NAMES = frozenset({"__wh", "__nrt", "__gate"})
_CATALOG = {"tables": CATALOG_TABLES, "columns": CATALOG_COLUMNS}
_SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "main", "system", "temp"})


@dataclass(frozen=True, slots=True)
class CheckedQuery:
    """A checked query: the tree to run, and which secure views it reads."""

    tree: exp.Expr
    relations: tuple[str, ...]
    reads_catalog: bool
    #: The SQL that runs: regenerated from the checked tree, comments dropped.
    sql: str


def _invalid(message: str) -> RastupError:
    return RastupError(ErrorCode.QUERY_INVALID, message)


def _denied(message: str) -> RastupError:
    return RastupError(ErrorCode.ACCESS_DENIED, message)


def parse_query(sql: str) -> exp.Expr:
    """Exactly one statement, parsed (DuckDB dialect) with its ``?`` parameters numbered
    (:func:`~rastup_data.governance.parameters.number_parameters`); QUERY_INVALID
    otherwise."""
    if not sql.strip():
        raise _invalid("the query is empty. To fix this, pass one SELECT statement.")
    if len(sql) > MAX_SQL_CHARS:
        raise _invalid(
            f"the query is {len(sql):,} characters long; the gate accepts at most "
            f"{MAX_SQL_CHARS:,}. To fix this, shorten it."
        )
    try:
        numbered = number_parameters(sql)
        statements = [s for s in sqlglot.parse(numbered, read="duckdb") if s is not None]
    except SqlglotError as exc:
        reason = " ".join(str(exc).split())[:300]
        raise _invalid(f"the query cannot be parsed: {reason}.") from exc
    except RecursionError as exc:
        raise _invalid("the query is nested too deeply to check. To fix this, flatten it.") from exc
    if len(statements) != 1:
        raise _invalid(
            f"the query has {len(statements)} statements; the gate runs exactly one. To fix "
            "this, send one SELECT at a time."
        )
    return statements[0]


def check_query(
    tree: exp.Expr,
    views: Mapping[str, RelationView],
    refused: Mapping[str, Refusal],
) -> CheckedQuery:
    """Refuse what is not allowed; resolve relations; point the catalogue at its filtered view."""
    _check_depth(tree)
    root = tree.this if isinstance(tree, exp.Subquery) else tree
    if not isinstance(root, _READ_ROOTS):
        raise _invalid(
            f"only read-only queries run here (SELECT, WITH, UNION/INTERSECT/EXCEPT, VALUES), "
            f"not {root.key.upper()}."
        )
    for node in tree.walk():
        _check_node(node)
    relations, reads_catalog = _resolve_relations(tree, views, refused)
    sql = tree.sql(dialect="duckdb", comments=False)
    _check_engine_agrees(sql)
    return CheckedQuery(tree, tuple(sorted(relations)), reads_catalog, sql)


def _check_depth(tree: exp.Expr) -> None:
    stack: list[tuple[exp.Expr, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _invalid(
                f"the query is nested more than {MAX_DEPTH} levels deep. To fix this, flatten it."
            )
        stack.extend((child, depth + 1) for child in node.iter_expressions())


def _check_node(node: exp.Expr) -> None:
    kind = type(node).__name__
    if kind in _FORBIDDEN_NODES:
        raise _invalid(f"{kind.upper()} is not allowed: the gate runs read-only queries only.")
    if isinstance(node, exp.Identifier) and node.name.lower() in _PRIVATE_NAMES:
        raise _denied(f"{node.name!r} is not a name you may use.")
    if isinstance(node, exp.Func):
        name = _function_name(node)
        if name in _FORBIDDEN_FUNCTIONS or name.startswith(_FORBIDDEN_PREFIXES):
            raise _denied(
                f"the function {name}() reads files, settings or the environment and is not "
                "allowed."
            )


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def _resolve_relations(
    tree: exp.Expr, views: Mapping[str, RelationView], refused: Mapping[str, Refusal]
) -> tuple[set[str], bool]:
    relations: set[str] = set()
    reads_catalog = False
    seen: set[int] = set()
    try:
        scopes = traverse_scope(tree)
    except (SqlglotError, RecursionError) as exc:
        raise _invalid(f"the query cannot be analysed: {exc}.") from exc
    for scope in scopes:
        for table in scope.tables:
            seen.add(id(table))
            name = _resolve_table(table, scope.cte_sources, views, refused)
            if name == "catalog":
                reads_catalog = True
            elif name is not None:
                relations.add(name)
    for table in tree.find_all(exp.Table):
        if id(table) not in seen and not isinstance(table.this, exp.Func):
            raise _invalid(
                f"the relation {table.sql(dialect='duckdb')} is used where the gate cannot "
                "check it. To fix this, read it in a FROM or JOIN."
            )
    return relations, reads_catalog


def _resolve_table(
    table: exp.Table,
    ctes: Mapping[str, object],
    views: Mapping[str, RelationView],
    refused: Mapping[str, Refusal],
) -> str | None:
    """The secure view a table reference reads, ``catalog``, or None for a CTE/function."""
    if isinstance(table.this, exp.Func):
        name = _function_name(table.this)
        if name not in _TABLE_FUNCTIONS:
            raise _denied(f"the table function {name}() is not allowed.")
        return None
    if table.args.get("catalog") is not None:
        raise _denied(f"{table.sql(dialect='duckdb')}: name relations as schema.relation.")
    schema, name = table.db.lower(), table.name.lower()
    if not schema:
        if name in ctes:
            return None
        raise _invalid(
            f"{table.name!r} is not a relation of this query; name relations as schema.relation "
            "(e.g. gold.kpi_marketplace_daily); `rastup-data query --tables` lists yours."
        )
    relation = f"{schema}.{name}"
    if schema == "information_schema" and name in _CATALOG:
        target = _CATALOG[name].split(".")
        table.set("db", exp.to_identifier(target[0]))
        table.set("this", exp.to_identifier(target[1]))
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(name)))
        return "catalog"
    if relation in views:
        return relation
    raise _unreadable(schema, relation, views, refused)


def _unreadable(
    schema: str, relation: str, views: Mapping[str, RelationView], refused: Mapping[str, Refusal]
) -> RastupError:
    """Why ``relation`` cannot be read: the engine's catalogue, not granted, not published."""
    if schema in _SYSTEM_SCHEMAS:
        return _denied(
            f"{relation}: the engine's catalogue is not readable; information_schema.tables "
            "and information_schema.columns list what you can read."
        )
    if relation in refused:
        return _denied(f"{refused[relation].reason}.")
    if schema in ("silver", "gold", "nrt") and not any(
        r.startswith(schema + ".") for r in (*views, *refused)
    ):
        return _invalid(
            f"{relation}: nothing is published in {schema} yet. To fix this, run "
            "`rastup-data build` first (or pass the right --lake)."
        )
    return _invalid(
        f"{relation} does not exist; `rastup-data query --tables` lists the relations you can read."
    )


def _check_engine_agrees(sql: str) -> None:
    """Defence in depth: DuckDB's own parser must also see exactly one SELECT."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise _invalid(f"the query cannot be parsed: {' '.join(str(exc).split())}.") from exc
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise _invalid("the query is not exactly one read-only SELECT statement.")
