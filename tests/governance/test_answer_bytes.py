"""The answer byte budget: one answer may hold at most its role's ``max_answer_bytes``; past
it the query is stopped with QUERY_ANSWER_TOO_LARGE, audited as refused and counted."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from gate_fixture import ANALYST, VIEWER

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, QueryPath
from rastup_data.governance.memo import MAX_ANSWER_BYTES, SessionMemo
from rastup_data.governance.policy import (
    DEFAULT_MAX_ANSWER_BYTES,
    default_policy_path,
    load_policy,
    parse_policy,
)
from rastup_data.governance.sizing import MAX_GUARD_NODES
from rastup_data.lake.layout import LakeLayout
from rastup_data.ops.metrics import PlatformMetrics
from rastup_data.serving.query import QueryResult, rows_nbytes
from rastup_data.state import open_state

MIB = 1024 * 1024
#: The viewer's budget in these tests: 4 MiB, so answers of about four thousand 1 kB rows
#: fall either side of it (and one value a sized call builds holds at most 2 KiB).
BUDGET = 4 * MIB


def _policy(budget: int = BUDGET) -> Any:
    data = copy.deepcopy(yaml.safe_load(default_policy_path().read_text()))
    data["roles"]["viewer"]["limits"]["max_answer_bytes"] = budget
    return parse_policy(data)


@pytest.fixture
def small(lake: LakeLayout, tmp_path: Path) -> Iterator[tuple[Gate, PlatformMetrics]]:
    """A gate whose viewers may receive 4 MiB per answer, with metrics."""
    metrics = PlatformMetrics("test")
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    with Gate(lake, state=state, policy=_policy(), env="test", metrics=metrics) as gate:
        yield gate, metrics


def _refused(gate: Gate, sql: str, **kwargs: Any) -> RastupError:
    with pytest.raises(RastupError) as error:
        gate.run(VIEWER, sql, path=QueryPath.CLI, **kwargs)
    return error.value


def _too_large(metrics: PlatformMetrics) -> float:
    counter = metrics.errors.labels("QUERY_ANSWER_TOO_LARGE", "test", "governance", "warning")
    return float(counter._value.get())


def test_the_shipped_roles_have_a_budget_and_the_default_is_64_mib() -> None:
    policy = load_policy()
    assert DEFAULT_MAX_ANSWER_BYTES == 64 * MIB
    assert policy.role("analyst").limits.max_answer_bytes == 64 * MIB
    assert policy.role("admin").limits.max_answer_bytes == 256 * MIB
    data = copy.deepcopy(yaml.safe_load(default_policy_path().read_text()))
    del data["roles"]["viewer"]["limits"]["max_answer_bytes"]
    assert parse_policy(data).role("viewer").limits.max_answer_bytes == 64 * MIB
    data["roles"]["viewer"]["limits"]["max_answer_bytes"] = "16 MiB"
    assert parse_policy(data).role("viewer").limits.max_answer_bytes == 16 * MIB


@pytest.mark.parametrize("value", ["lots", 0, -5, True])
def test_a_malformed_budget_names_its_path(value: object) -> None:
    data = copy.deepcopy(yaml.safe_load(default_policy_path().read_text()))
    data["roles"]["viewer"]["limits"]["max_answer_bytes"] = value
    with pytest.raises(RastupError) as error:
        parse_policy(data, source="policy.yaml")
    assert error.value.code is ErrorCode.POLICY_INVALID
    assert "roles.viewer.limits.max_answer_bytes" in error.value.message


def test_a_2_gb_string_is_refused_within_seconds_audited_and_counted(
    small: tuple[Gate, PlatformMetrics],
) -> None:
    gate, metrics = small
    started = time.monotonic()
    error = _refused(gate, "SELECT repeat('x', 2000000000) AS s")
    assert time.monotonic() - started < 5
    assert error.code is ErrorCode.QUERY_ANSWER_TOO_LARGE
    assert "4.0 MiB" in error.message
    assert "viewer" in error.message
    assert "\n" not in error.message
    last = gate.audit.records()[-1]
    assert (last.status, last.code, last.rows) == ("refused", "QUERY_ANSWER_TOO_LARGE", 0)
    assert last.scanned_bytes == 0
    assert _too_large(metrics) == 1
    # The session is still usable.
    assert gate.run(VIEWER, "SELECT 1 AS one", path=QueryPath.CLI).rows == ((1,),)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT lpad('x', 2000000000, 'y')",
        "SELECT rpad('x', 2000000000, 'y')",
        "SELECT printf('%2000000000s', 'x')",
        "SELECT format('{:>2000000000}', 'x')",
        "SELECT list_resize([1], 2000000000)",
        "SELECT bar(1, 0, 1, 2000000000)",
        "SELECT repeat(repeat('x', 100000), 20000)",
        "SELECT repeat(s, n) FROM (SELECT 'ab' AS s, 600000 AS n)",
        "SELECT range(2000000000)",
        "SELECT unnest(generate_series(1, 2000000000, 1))",
        "SELECT range(n) FROM (SELECT 200000 AS n)",
        # 2,048 values of 60 MB each in one DuckDB vector: each value is bound too.
        "SELECT repeat('x', 60000000) FROM range(2048)",
        "SELECT repeat('x', 3000) FROM range(10)",
    ],
)
def test_every_call_that_builds_a_value_of_chosen_size_is_bounded(
    small: tuple[Gate, PlatformMetrics], sql: str
) -> None:
    gate, _ = small
    started = time.monotonic()
    assert _refused(gate, sql).code is ErrorCode.QUERY_ANSWER_TOO_LARGE
    assert time.monotonic() - started < 5


def test_sized_calls_under_the_budget_answer_unchanged(small: tuple[Gate, PlatformMetrics]) -> None:
    gate, _ = small
    sql = "SELECT repeat('ab', 3) AS r, lpad('7', 3, '0') AS p, printf('%5.1f', 2.25) AS f"
    assert gate.run(VIEWER, sql, path=QueryPath.CLI).rows == (("ababab", "007", "  2.2"),)
    typed = "SELECT repeat('\\xAA'::BLOB, 2) AS b, repeat([1, 2], 2) AS l"
    assert gate.run(VIEWER, typed, path=QueryPath.CLI).rows == ((b"\xaa\xaa", [1, 2, 1, 2]),)
    series = (
        "SELECT range(3) AS r, generate_series(DATE '2026-01-01', DATE '2026-01-03', "
        "INTERVAL 1 DAY)::DATE[] AS d"
    )
    assert gate.run(VIEWER, series, path=QueryPath.CLI).rows == (
        ([0, 1, 2], [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]),
    )
    # A series in FROM is rows, metered as they are fetched: a count of many is fine.
    counted = "SELECT count(*) FROM range(5000000)"
    assert gate.run(VIEWER, counted, path=QueryPath.CLI).rows == ((5_000_000,),)


#: The viewer's 4 MiB budget bounds one value to 2 KiB: a series of at most 256 elements.
SERIES_ELEMENTS = 256


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT generate_series(DATE '2026-01-01', DATE '2026-09-14', INTERVAL 1 DAY)",
        "SELECT range(DATE '2026-01-01', DATE '2026-09-15', INTERVAL 1 DAY)",
        "SELECT generate_series(DATE '2000-01-01', DATE '2021-05-01', INTERVAL 1 MONTH)",
        "SELECT generate_series(DATE '2026-09-14', DATE '2026-01-01', -INTERVAL 1 DAY)",
        "SELECT generate_series(TIMESTAMP '2026-01-01', TIMESTAMP '2126-01-01', "
        "INTERVAL 1 MICROSECOND)",
        "SELECT range(TIMESTAMPTZ '2026-01-01 00:00+02', TIMESTAMPTZ '2026-01-02', "
        "INTERVAL 1 MINUTE)",
        "SELECT unnest(generate_series(a, b, INTERVAL 1 HOUR)) "
        "FROM (SELECT DATE '2020-01-01' AS a, DATE '2030-01-01' AS b)",
    ],
)
def test_a_series_of_dates_or_timestamps_past_the_bound_is_refused(
    small: tuple[Gate, PlatformMetrics], sql: str
) -> None:
    gate, _ = small
    started = time.monotonic()
    error = _refused(gate, sql)
    assert error.code is ErrorCode.QUERY_ANSWER_TOO_LARGE
    assert "4.0 MiB" in error.message
    assert time.monotonic() - started < 5
    last = gate.audit.records()[-1]
    assert (last.status, last.code) == ("refused", "QUERY_ANSWER_TOO_LARGE")


def test_a_series_of_dates_up_to_the_bound_answers_in_full(
    small: tuple[Gate, PlatformMetrics],
) -> None:
    gate, _ = small
    first = date(2026, 1, 1)
    days = [first + timedelta(days=i) for i in range(SERIES_ELEMENTS)]

    def series(function: str, end: date) -> str:
        return f"SELECT {function}(DATE '{first}', DATE '{end}', INTERVAL 1 DAY)::DATE[] AS d"

    answer = gate.run(VIEWER, series("generate_series", days[-1]), path=QueryPath.CLI)
    assert answer.rows == ((days,),)
    # One more day is one element past the bound; range excludes its end.
    after = days[-1] + timedelta(days=1)
    assert _refused(gate, series("generate_series", after)).code is (
        ErrorCode.QUERY_ANSWER_TOO_LARGE
    )
    assert gate.run(VIEWER, series("range", after), path=QueryPath.CLI).rows == ((days,),)
    # Months are counted by the calendar, not as 30 days; a falling series too.
    monthly = (
        "SELECT len(generate_series(DATE '2000-01-01', DATE '2021-04-01', INTERVAL 1 MONTH)) "
        "AS n, len(generate_series(TIMESTAMP '2026-01-01 04:15', TIMESTAMP '2026-01-01', "
        "-INTERVAL 1 MINUTE)) AS m"
    )
    assert gate.run(VIEWER, monthly, path=QueryPath.CLI).rows == ((SERIES_ELEMENTS, 256),)


def test_parameters_in_a_guarded_argument_keep_their_places(
    small: tuple[Gate, PlatformMetrics],
) -> None:
    # A guard repeats the argument it measures: a repeated `?` must not take the next value.
    gate, _ = small
    sql = (
        "SELECT ? AS a, range(CAST(? AS BIGINT)) AS r, "
        "generate_series(CAST(? AS DATE), CAST(? AS DATE), INTERVAL 1 DAY)::DATE[] AS d, "
        "repeat(?, 2) AS s"
    )
    params = ["first", 3, date(2026, 1, 1), date(2026, 1, 2), "ab"]
    assert gate.run(VIEWER, sql, params=params, path=QueryPath.CLI).rows == (
        ("first", [0, 1, 2], [date(2026, 1, 1), date(2026, 1, 2)], "abab"),
    )
    past = [*params[:3], date(2027, 1, 1), "ab"]
    with pytest.raises(RastupError) as error:
        gate.run(VIEWER, sql, params=past, path=QueryPath.CLI)
    assert error.value.code is ErrorCode.QUERY_ANSWER_TOO_LARGE


def test_calls_nested_past_the_guard_limit_are_refused(
    small: tuple[Gate, PlatformMetrics],
) -> None:
    gate, _ = small
    sql = "SELECT " + "repeat(" * 40 + "'x'" + ", 2)" * 40
    error = _refused(gate, sql)
    assert error.code is ErrorCode.QUERY_INVALID
    assert "nests too many" in error.message
    assert MAX_GUARD_NODES > 1000


def test_many_rows_just_over_the_budget_are_refused_and_under_it_pass(
    small: tuple[Gate, PlatformMetrics],
) -> None:
    gate, metrics = small
    # 1,000-byte rows: 4,195 of them pass 4 MiB (4,194,304 bytes), 4,194 do not.
    over = "SELECT i, repeat('x', 992) AS s FROM range(4195) AS t(i)"
    assert _refused(gate, over).code is ErrorCode.QUERY_ANSWER_TOO_LARGE
    under = "SELECT i, repeat('x', 992) AS s FROM range(4194) AS t(i) ORDER BY i"
    gated = gate.run(VIEWER, under, path=QueryPath.CLI)
    assert gated.row_count == 4194
    assert gated.rows == tuple((i, "x" * 992) for i in range(4194))
    assert gated.result.nbytes == rows_nbytes(gated.rows) == 4194 * 1000
    assert gated.result.truncated is False
    assert _too_large(metrics) == 1


def test_arrow_answers_are_metered_by_their_batches(small: tuple[Gate, PlatformMetrics]) -> None:
    gate, _ = small
    over = "SELECT repeat('x', 1000) AS s FROM range(5000)"
    assert _refused(gate, over, as_arrow=True).code is ErrorCode.QUERY_ANSWER_TOO_LARGE
    table = gate.run(
        VIEWER, "SELECT repeat('x', 1000) AS s FROM range(500)", path=QueryPath.CLI, as_arrow=True
    ).table
    assert table is not None
    assert table.num_rows == 500
    assert table.nbytes < BUDGET


def test_an_aggregate_past_the_session_memory_is_too_large(
    small: tuple[Gate, PlatformMetrics],
) -> None:
    gate, _ = small
    # 2 GB of text in one aggregate: no value a call builds is over its bound, the answer
    # is one number, the session's memory limit (1 GiB) stops it.
    sql = "SELECT length(string_agg(repeat('x', 2000), '')) FROM range(1000000)"
    started = time.monotonic()
    error = _refused(gate, sql)
    assert error.code is ErrorCode.QUERY_ANSWER_TOO_LARGE
    assert time.monotonic() - started < 30
    assert gate.audit.records()[-1].status == "refused"


def test_reports_are_not_held_to_the_budget(small: tuple[Gate, PlatformMetrics]) -> None:
    gate, _ = small
    sql = "SELECT repeat('x', 1000) AS s FROM range(2000)"
    gated = gate.run(VIEWER, sql, path=QueryPath.REPORT)
    assert gated.row_count == 2000


def test_the_memo_keeps_no_answer_past_its_byte_cap() -> None:
    memo = SessionMemo()
    small_answer = QueryResult(("s",), ("VARCHAR",), (("x",),), nbytes=1)
    big_answer = QueryResult(("s",), ("VARCHAR",), (("x" * 10,),), nbytes=MAX_ANSWER_BYTES + 1)
    memo.keep_answer(("a", (), None), small_answer)
    memo.keep_answer(("b", (), None), big_answer)
    assert memo.answers.get(("a", (), None)) is small_answer
    assert memo.answers.get(("b", (), None)) is None
    assert MAX_ANSWER_BYTES < DEFAULT_MAX_ANSWER_BYTES


def test_an_analyst_at_the_shipped_budget_reads_the_marts_unchanged(gate: Gate) -> None:
    sql = "SELECT * FROM gold.kpi_marketplace_daily ORDER BY ALL"
    gated = gate.run(ANALYST, sql, path=QueryPath.CLI)
    assert gated.row_count > 0
    assert 0 < gated.result.nbytes < 64 * MIB


def test_rows_are_measured_by_their_values() -> None:
    rows = [(1, "abc", None, b"xy", [1, 2]), (2, None, None, b"", None)]
    # ints and the all-NULL column at 8 bytes a value; text, binary and nested by length.
    assert rows_nbytes(rows) == 8 * 2 + 3 + 8 * 2 + 2 + len("[1, 2]")
    assert rows_nbytes([]) == 0
