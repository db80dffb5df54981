"""Positional parameters numbered before a query is parsed: each ``?`` becomes ``$1``,
``$2``… in the order the text lists them, the order DuckDB binds them in.

sqlglot's DuckDB tokenizer reads ``?::`` as one token (an operator of other dialects), so
``range(?::DATE, ?::DATE, INTERVAL 1 DAY)`` cannot be parsed while ``CAST(? AS DATE)`` can;
``$1::DATE`` parses as a cast. The numbering is read from sqlglot's own tokens, so a ``?``
inside a string literal, a quoted identifier or a comment stays as it is.

Numbered parameters also keep their places when a value guard
(:mod:`~rastup_data.governance.sizing`) repeats the argument it measures, where a repeated
``?`` would take the next value, and when the SQL regenerated from the checked tree lists
its parts in another order than the text did (``FROM t SELECT ?``).

A query that mixes ``?`` with ``$n`` is refused (QUERY_INVALID): DuckDB numbers such a ``?``
after the highest ``$n`` before it, which is easy to get wrong and is never needed.

Once numbered, a query takes as many values as its highest ``$n`` (:func:`parameter_count`);
the gate refuses other counts before running (:func:`check_parameter_count`, QUERY_INVALID),
whichever path the values came by (``--param`` of ``rastup-data query``, ``"params"`` of
``POST /v1/query``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlglot import Dialect, Token, TokenType, exp

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["check_parameter_count", "number_parameters", "parameter_count"]

#: Tokens that start with a positional ``?``: ``?`` alone, and ``?::`` (``?`` then a cast).
_POSITIONAL = frozenset({TokenType.PLACEHOLDER, TokenType.QDCOLON})


def number_parameters(sql: str) -> str:
    """``sql`` with each positional ``?`` written as ``$1``, ``$2``…; unchanged without one.

    Raises the tokenizer's error for text it cannot read (the caller reports it as a parse
    error) and QUERY_INVALID for a query that mixes ``?`` with ``$n`` parameters."""
    if "?" not in sql:
        return sql
    tokens = Dialect.get_or_raise("duckdb").tokenize(sql)
    places = [token.start for token in tokens if _is_positional(token)]
    if not places:
        return sql
    if any(_is_numbered(token) for token in tokens):
        raise RastupError(
            ErrorCode.QUERY_INVALID,
            "the query mixes `?` parameters with numbered ones ($1, $2, ...). To fix this, "
            "use one kind: `?` everywhere, or $1, $2, ... everywhere.",
        )
    parts: list[str] = []
    previous = 0
    for number, place in enumerate(places, start=1):
        parts.append(sql[previous:place])
        parts.append(f"${number}")
        previous = place + 1
    parts.append(sql[previous:])
    return "".join(parts)


def parameter_count(tree: exp.Expr) -> int:
    """The values a numbered query takes: its highest ``$n`` (0 without one). A ``$n`` used
    twice takes one value; ``$name`` parameters are not counted (DuckDB refuses them with
    positional values)."""
    numbers = (
        int(node.this)
        for node in tree.find_all(exp.Placeholder)
        if isinstance(node.this, str) and node.this.isdigit()
    )
    return max(numbers, default=0)


def check_parameter_count(expected: int, params: Sequence[Any]) -> None:
    """QUERY_INVALID unless ``params`` holds exactly ``expected`` values."""
    given = len(params)
    if given == expected:
        return
    values = "value" if expected == 1 else "values"
    raise RastupError(
        ErrorCode.QUERY_INVALID,
        f"the query takes {expected} parameter {values} (one per `?`, or per $1, $2, ...) "
        f"but {given} {'was' if given == 1 else 'were'} given. To fix this, give one value "
        "per parameter, in order.",
    )


def _is_positional(token: Token) -> bool:
    return token.token_type in _POSITIONAL and token.text.startswith("?")


def _is_numbered(token: Token) -> bool:
    """The ``$`` of ``$1`` or ``$name`` (``@``, DuckDB's absolute value, is a parameter
    token of sqlglot's too)."""
    return token.token_type is TokenType.PARAMETER and token.text == "$"
