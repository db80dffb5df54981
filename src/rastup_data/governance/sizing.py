"""Value guards: a call that builds one value of a size its arguments choose is bounded before
it runs.

DuckDB builds a scalar's result — ``repeat('x', 2000000000)`` is one 2 GB string — in one
piece, outside its memory limit and before any row reaches the gate's byte meter
(:func:`~rastup_data.serving.query.run_query` with ``max_bytes``). The gate therefore
rewrites each such call of a checked query so that its size argument goes through a guard:
past its bound the query stops at once with an error carrying :data:`MARK`, which the gate
answers with QUERY_ANSWER_TOO_LARGE. The guard is a ``CASE`` around the argument, so the
oversized call is neither evaluated nor folded into a constant.

The bound of one value is the role's byte budget divided by ``VECTOR_ROWS``: DuckDB computes
a projection a vector of 2,048 rows at a time, so ``SELECT repeat('x', 60000000) FROM
range(2048)`` would build 2,048 values at once (120 GB) before the first row is fetched.
With 64 MiB, one such value holds at most 32 KiB (a list 4,096 numbers: a long series
belongs in ``FROM range(…)``, whose rows are metered as they are fetched).

========================================  ==========================================
call                                       guarded when
========================================  ==========================================
``repeat(s, n)``                           n × max(length(s as text), 1) > bound
``lpad(s, n, p)``, ``rpad(s, n, p)``       n > bound
``list_resize(l, n)``, ``array_resize``    n > bound (elements)
``bar(x, lo, hi, width)``                  width > bound
``printf(fmt, …)``, ``format(fmt, …)``     fmt writes a number with as many digits as
                                           the bound (a width or precision that large)
``range``/``generate_series`` as a value    8 × (end − start) / step > bound, for
(a list, not in ``FROM``)                  numbers; for dates and timestamps, when
                                           start + (bound ÷ 8) × step is still within
                                           end (before it for ``range``, whose end is
                                           excluded): more than bound ÷ 8 elements
========================================  ==========================================

A date or timestamp series is measured by calendar arithmetic, not by dividing the span by
the interval: ``INTERVAL 1 MONTH`` is 28 to 31 days, so only stepping from ``start`` counts
its elements exactly. The step is taken ``bound ÷ 8`` times at once; when that passes the
largest timestamp the series holds fewer elements than that and is let through.

Calls nested in an argument are guarded first, so a guard never measures an unguarded value.
A guard repeats the argument it measures, so calls nested in each other's measured arguments
grow the SQL; past ``MAX_GUARD_NODES`` copied the query is refused (QUERY_INVALID). A
repeated parameter keeps its value: :func:`~rastup_data.governance.checker.parse_query`
numbers every ``?`` as ``$n`` before the query is parsed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from sqlglot import exp

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance.checker import CheckedQuery

__all__ = ["MARK", "MAX_GUARD_NODES", "VECTOR_ROWS", "bound_values", "value_bound"]

#: The rows DuckDB computes a projection for at once (its standard vector size).
VECTOR_ROWS = 2_048

#: The most expression nodes the guards of one query may copy.
MAX_GUARD_NODES = 20_000

#: What the guard's error says; the gate recognises a stopped query by it.
MARK = "the answer byte budget of the query gate"

_Guard = Callable[[exp.Func, int], None]


def value_bound(max_bytes: int) -> int:
    """The most bytes one guarded value may hold under an answer byte budget."""
    return max(1, max_bytes // VECTOR_ROWS)


def bound_values(checked: CheckedQuery, max_bytes: int) -> CheckedQuery:
    """``checked`` with every sized call guarded against :func:`value_bound` of the answer
    byte budget ``max_bytes`` (itself when it has none): the tree and the relations stay,
    only the SQL that runs changes."""
    tree = checked.tree.copy()
    calls = [node for node in tree.find_all(exp.Func) if _guard_of(node) is not None]
    if not calls:
        return checked
    copied = 0
    for node in reversed(calls):  # breadth-first reversed: inner calls first
        copied += sum(1 for _ in node.walk())
        if copied > MAX_GUARD_NODES:
            raise RastupError(
                ErrorCode.QUERY_INVALID,
                "the query nests too many calls that build values of a chosen size (repeat, "
                "lpad, rpad, printf, ...) in each other. To fix this, compute them in steps "
                "(a subquery per level).",
            )
        guard = _guard_of(node)
        assert guard is not None
        guard(node, value_bound(max_bytes))
    return dataclasses.replace(checked, sql=tree.sql(dialect="duckdb", comments=False))


def _guard_of(node: exp.Func) -> _Guard | None:
    if isinstance(node, exp.Anonymous):
        return _ANONYMOUS.get(str(node.name).lower())
    return _TYPED.get(type(node))


def _stop() -> exp.Expr:
    return exp.Anonymous(this="error", expressions=[exp.Literal.string(MARK)])


def _guarded(value: exp.Expr, too_big: exp.Expr) -> exp.Expr:
    """``CASE WHEN too_big THEN error(MARK) ELSE value END``."""
    return exp.Case(ifs=[exp.If(this=too_big, true=_stop())], default=value.copy())


def _over(value: exp.Expr, bound: int) -> exp.Expr:
    """``CAST(value AS DOUBLE) > bound`` (a double: no overflow on hostile numbers)."""
    return exp.GT(this=exp.cast(value.copy(), "DOUBLE"), expression=exp.Literal.number(bound))


def _bound_argument(argument: exp.Expr | None, bound: int) -> None:
    if argument is not None:
        argument.replace(_guarded(argument, _over(argument, bound)))


def _repeat(node: exp.Func, bound: int) -> None:
    times, unit = node.args.get("times"), node.this
    if times is None or not isinstance(unit, exp.Expr):
        return
    size = exp.Mul(
        this=exp.cast(times.copy(), "DOUBLE"),
        expression=exp.Anonymous(
            this="greatest",
            expressions=[exp.Length(this=exp.cast(unit.copy(), "VARCHAR")), exp.Literal.number(1)],
        ),
    )
    too_big = exp.GT(this=size, expression=exp.Literal.number(bound))
    times.replace(_guarded(times, too_big))


def _pad(node: exp.Func, bound: int) -> None:
    _bound_argument(node.args.get("expression"), bound)


def _nth(index: int) -> _Guard:
    def guard(node: exp.Func, bound: int) -> None:
        if len(node.expressions) > index:
            _bound_argument(node.expressions[index], bound)

    return guard


def _number(value: exp.Expr) -> exp.Expr:
    """``TRY_CAST(CAST(value AS VARCHAR) AS DOUBLE)``: the value as a number, NULL for a
    date or timestamp (which binds for every type, unlike a cast to DOUBLE)."""
    text = exp.cast(value.copy(), "VARCHAR")
    return exp.TryCast(this=text, to=exp.DataType.build("DOUBLE"))


def _series(node: exp.Func, bound: int) -> None:
    """A list of numbers built as a value; a series in ``FROM`` is rows, metered as fetched."""
    end, start = node.args.get("end"), node.args.get("start")
    if isinstance(node.parent, exp.Table) or end is None:
        return
    span = exp.Sub(
        this=_number(end), expression=_number(start) if start is not None else exp.Literal.number(0)
    )
    step = node.args.get("step")
    per = exp.Abs(this=_number(step)) if step is not None else exp.Literal.number(1)
    elements = exp.Div(this=exp.Paren(this=span), expression=per)
    too_big: exp.Expr = exp.GT(
        this=exp.Mul(this=exp.Paren(this=elements), expression=exp.Literal.number(8)),
        expression=exp.Literal.number(bound),
    )
    if start is not None and step is not None:  # dates and timestamps need all three
        dated = _SeriesBounds(start, end, step, exclusive=bool(node.args.get("is_end_exclusive")))
        too_big = exp.Or(this=too_big, expression=dated.too_long(bound // 8))
    end.replace(_guarded(end, too_big))


@dataclasses.dataclass(frozen=True, slots=True)
class _SeriesBounds:
    """A series' bounds and step read as timestamps and an interval: NULL for numbers (a
    cast through text binds for every type), so the guard measures only dates and
    timestamps."""

    start: exp.Expr
    end: exp.Expr
    step: exp.Expr
    exclusive: bool

    def too_long(self, elements: int) -> exp.Expr:
        """``start + elements × step`` still within ``end`` (either direction): the series
        holds more than ``elements`` values. ``TRY`` makes a step past the largest
        timestamp NULL (fewer elements: let through)."""
        start, end = _moment(self.start), _moment(self.end)
        step = exp.TryCast(
            this=exp.cast(self.step.copy(), "VARCHAR"), to=exp.DataType.build("INTERVAL")
        )
        first = exp.Try(this=exp.Add(this=start.copy(), expression=step.copy()))
        last = exp.Try(
            this=exp.Add(
                this=start.copy(),
                expression=exp.Mul(this=step, expression=exp.Literal.number(elements)),
            )
        )
        rising = exp.And(
            this=exp.GT(this=first.copy(), expression=start.copy()),
            expression=(exp.LT if self.exclusive else exp.LTE)(
                this=last.copy(), expression=end.copy()
            ),
        )
        falling = exp.And(
            this=exp.LT(this=first, expression=start),
            expression=(exp.GT if self.exclusive else exp.GTE)(this=last, expression=end),
        )
        return exp.Paren(
            this=exp.Or(this=exp.Paren(this=rising), expression=exp.Paren(this=falling))
        )


def _moment(value: exp.Expr) -> exp.Expr:
    """``TRY_CAST(CAST(value AS VARCHAR) AS TIMESTAMPTZ)``: a date or timestamp as an
    instant (the sessions are in UTC), NULL for a number."""
    text = exp.cast(value.copy(), "VARCHAR")
    return exp.TryCast(this=text, to=exp.DataType.build("TIMESTAMPTZ"))


def _format_string(fmt: exp.Expr | None, bound: int) -> None:
    if fmt is None:
        return
    digits = exp.Literal.string(f"[0-9]{{{len(str(bound))},}}")
    fmt.replace(_guarded(fmt, exp.RegexpLike(this=fmt.copy(), expression=digits)))


def _format(node: exp.Func, bound: int) -> None:
    this = node.this
    _format_string(this if isinstance(this, exp.Expr) else None, bound)


def _printf(node: exp.Func, bound: int) -> None:
    _format_string(node.expressions[0] if node.expressions else None, bound)


_TYPED: dict[type[exp.Func], _Guard] = {
    exp.Repeat: _repeat,
    exp.Pad: _pad,
    exp.Format: _format,
    exp.GenerateSeries: _series,
}
_ANONYMOUS: dict[str, _Guard] = {
    "list_resize": _nth(1),
    "array_resize": _nth(1),
    "bar": _nth(3),
    "printf": _printf,
}
