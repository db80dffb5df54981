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
"""

from __future__ import annotations

from sqlglot import Dialect, Token, TokenType

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["number_parameters"]

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


def _is_positional(token: Token) -> bool:
    return token.token_type in _POSITIONAL and token.text.startswith("?")


def _is_numbered(token: Token) -> bool:
    """The ``$`` of ``$1`` or ``$name`` (``@``, DuckDB's absolute value, is a parameter
    token of sqlglot's too)."""
    return token.token_type is TokenType.PARAMETER and token.text == "$"
