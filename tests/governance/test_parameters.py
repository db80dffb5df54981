"""Positional parameters: each ``?`` is numbered ``$n`` before parsing, so ``?::TYPE`` is
accepted wherever a parameter may appear, with every guard still measuring its value."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from gate_fixture import VIEWER

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, QueryPath
from rastup_data.governance.checker import parse_query
from rastup_data.governance.parameters import number_parameters, parameter_count
from rastup_data.governance.sizing import value_bound


def _run(gate: Gate, sql: str, params: list[Any]) -> tuple[tuple[Any, ...], ...]:
    return gate.run(VIEWER, sql, params=params, path=QueryPath.CLI).rows


def _refused(gate: Gate, sql: str, params: list[Any]) -> RastupError:
    with pytest.raises(RastupError) as error:
        gate.run(VIEWER, sql, params=params, path=QueryPath.CLI)
    return error.value


def test_question_marks_are_numbered_outside_strings_identifiers_and_comments() -> None:
    sql = (
        "SELECT ?::DATE AS a, '?' AS b, \"?\" AS c, ? /* ? */ AS d, ?  -- ?\n"
        "FROM range(?::INT, ? :: INT)"
    )
    assert number_parameters(sql) == (
        "SELECT $1::DATE AS a, '?' AS b, \"?\" AS c, $2 /* ? */ AS d, $3  -- ?\n"
        "FROM range($4::INT, $5 :: INT)"
    )
    assert number_parameters("SELECT $1, $2::DATE") == "SELECT $1, $2::DATE"
    assert number_parameters("SELECT '?', $$?$$") == "SELECT '?', $$?$$"


def test_a_date_range_of_cast_parameters_answers_its_rows(gate: Gate) -> None:
    first = date(2026, 1, 5)
    days = [(first + timedelta(days=i),) for i in range(3)]
    for start, end in (("?::DATE", "?::DATE"), ("CAST(? AS DATE)", "CAST(? AS DATE)")):
        sql = f"SELECT d::DATE AS day FROM range({start}, {end}, INTERVAL 1 DAY) AS t(d)"
        assert _run(gate, sql, ["2026-01-05", "2026-01-08"]) == tuple(days), sql
        listed = f"SELECT generate_series({start}, {end}, INTERVAL 1 DAY)::DATE[] AS d"
        assert _run(gate, listed, ["2026-01-05", "2026-01-07"]) == (([d for (d,) in days],),)


@pytest.mark.parametrize("function", ["range", "generate_series"])
@pytest.mark.parametrize(
    ("start", "end"), [("?::DATE", "?::DATE"), ("CAST(? AS DATE)", "CAST(? AS DATE)")]
)
def test_a_date_series_of_parameters_past_the_bound_is_refused_either_way_it_is_cast(
    gate: Gate, function: str, start: str, end: str
) -> None:
    elements = value_bound(gate.policy.role("viewer").limits.max_answer_bytes) // 8
    first = date(2020, 1, 1)
    sql = f"SELECT {function}({start}, {end}, INTERVAL 1 DAY) AS d"
    past = first + timedelta(days=elements + 1)  # more than `elements` days either way
    error = _refused(gate, sql, [first.isoformat(), past.isoformat()])
    assert error.code is ErrorCode.QUERY_ANSWER_TOO_LARGE
    assert gate.audit.records()[-1].code == "QUERY_ANSWER_TOO_LARGE"
    # The same text over a shorter span answers: the guard measured the values passed.
    within = first + timedelta(days=elements - 1)
    answer = _run(gate, sql, [first.isoformat(), within.isoformat()])
    assert len(answer[0][0]) == elements - (function == "range")


def test_parameters_bind_in_the_order_the_text_lists_them(gate: Gate) -> None:
    # The SQL that runs is regenerated as SELECT … FROM (…): the subquery's `?` is still first.
    sql = "FROM (SELECT ?::INT AS x) SELECT ? AS y, x"
    assert _run(gate, sql, [1, "two"]) == (("two", 1),)


@pytest.mark.parametrize("sql", ["SELECT ?, $1", "SELECT $1::DATE, ?::DATE"])
def test_a_query_mixing_question_marks_with_numbered_parameters_is_refused(
    gate: Gate, sql: str
) -> None:
    error = _refused(gate, sql, ["2026-01-01"])
    assert error.code is ErrorCode.QUERY_INVALID
    assert "mixes `?` parameters with numbered ones" in error.message
    assert gate.audit.records()[-1].status == "refused"


def test_a_query_takes_as_many_values_as_its_highest_parameter_number() -> None:
    assert parameter_count(parse_query("SELECT 1, '?', $$?$$")) == 0
    assert parameter_count(parse_query("SELECT ?::DATE, ? /* ? */")) == 2
    assert parameter_count(parse_query("SELECT $1, $1 + 1, $3")) == 3


@pytest.mark.parametrize("given", [[], ["2026-01-05"], ["2026-01-05", "2026-01-07", "x"]])
def test_a_wrong_number_of_values_is_refused_before_running(gate: Gate, given: list[Any]) -> None:
    sql = "SELECT d::DATE AS day FROM range(?::DATE, ?::DATE, INTERVAL 1 DAY) AS t(d)"
    error = _refused(gate, sql, given)
    assert error.code is ErrorCode.QUERY_INVALID
    assert error.message.startswith(
        f"the query takes 2 parameter values (one per `?`, or per $1, $2, ...) but {len(given)} "
    )
    last = gate.audit.records()[-1]
    assert (last.status, last.code, last.rows) == ("refused", "QUERY_INVALID", 0)
    # A $n used twice takes one value.
    assert _run(gate, "SELECT $1::INT + $1::INT AS twice", ["21"]) == ((42,),)
