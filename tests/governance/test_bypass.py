# ruff: noqa: E501 -- the corpus is a table: one attempt per line reads best.
"""The bypass corpus: each attempt is refused with its code, or returns only what the role
may see (no other city, no raw identifier, no denied column, no file, no setting)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from gate_fixture import ADMIN, ANALYST, NYC_ANALYST, VIEWER

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, Principal, QueryPath

Rows = list[tuple[object, ...]]
DENIED = ErrorCode.ACCESS_DENIED
INVALID = ErrorCode.QUERY_INVALID


@dataclass(frozen=True)
class Attempt:
    name: str
    who: Principal
    sql: str
    refused: ErrorCode | None = None
    check: Callable[[Rows], bool] | None = None


def only_nyc(rows: Rows) -> bool:
    return all(value in ("nyc", None) for row in rows for value in row)


def no_rows(rows: Rows) -> bool:
    return rows == [] or rows == [(0,)] or rows == [(None,)]


def no_raw_ids(rows: Rows) -> bool:
    text = repr(rows)
    return "u_" not in text.replace("m_", "") and "a_" not in text.replace("m_", "")


def nyc_count(rows: Rows) -> bool:
    return rows == [(12,)]


LAX = "'lax'"
CORPUS = [
    # Another city, by alias, CTE, union, subquery, join, lateral, comments.
    Attempt("city by alias", NYC_ANALYST, "SELECT DISTINCT k.city FROM silver.fact_bookings k", check=only_nyc),
    Attempt("city by CTE", NYC_ANALYST, "WITH x AS (SELECT * FROM silver.fact_bookings) SELECT DISTINCT city FROM x", check=only_nyc),
    Attempt("city by filter", NYC_ANALYST, f"SELECT count(*) FROM silver.fact_bookings WHERE city = {LAX}", check=no_rows),
    Attempt("city by union", NYC_ANALYST, "SELECT city FROM silver.fact_bookings UNION SELECT city FROM silver.fact_booking_legs", check=only_nyc),
    Attempt("city by scalar subquery", NYC_ANALYST, f"SELECT (SELECT count(*) FROM silver.fact_bookings WHERE city = {LAX})", check=no_rows),
    Attempt("city by join", NYC_ANALYST, f"SELECT count(*) FROM silver.fact_bookings b JOIN silver.fact_booking_legs l ON l.booking_id = b.booking_id WHERE l.city = {LAX}", check=no_rows),
    Attempt("city by lateral", NYC_ANALYST, "SELECT sum(n) FROM silver.dim_city d, LATERAL (SELECT count(*) AS n FROM silver.fact_bookings b WHERE b.city = d.city) AS l", check=nyc_count),
    Attempt("city by exists", NYC_ANALYST, f"SELECT count(*) FROM silver.dim_city d WHERE EXISTS (SELECT 1 FROM silver.fact_bookings b WHERE b.city = d.city AND d.city = {LAX})", check=no_rows),
    Attempt("city by gold total", NYC_ANALYST, "SELECT sum(bookings) FROM gold.kpi_marketplace_daily", check=nyc_count),
    Attempt("city by cross-city mart", NYC_ANALYST, "SELECT * FROM gold.kpi_funnel_daily", refused=DENIED),
    Attempt("city by comment", NYC_ANALYST, "SELECT DISTINCT city FROM silver.fact_bookings /* WHERE city='nyc' */ -- x", check=only_nyc),
    Attempt("city by nested CTEs", NYC_ANALYST, "WITH a AS (SELECT * FROM silver.fact_bookings), b AS (SELECT * FROM a) SELECT DISTINCT city FROM b", check=only_nyc),
    # Masked identifiers: star, expression, cast, aggregation, regexp, filter on raw value.
    Attempt("mask by star", ANALYST, "SELECT * FROM silver.fact_bookings", check=no_raw_ids),
    Attempt("mask by concat", ANALYST, "SELECT user_id || '' FROM silver.fact_bookings", check=no_raw_ids),
    Attempt("mask by cast", ANALYST, "SELECT CAST(user_id AS VARCHAR), user_id::TEXT FROM silver.fact_bookings", check=no_raw_ids),
    Attempt("mask by string_agg", ANALYST, "SELECT string_agg(user_id, ',') FROM silver.fact_bookings", check=no_raw_ids),
    Attempt("mask by regexp", ANALYST, r"SELECT regexp_extract(user_id, 'u_(\d+)', 1) AS n FROM silver.fact_bookings WHERE n <> ''", check=no_rows),
    Attempt("mask by raw filter", ANALYST, "SELECT count(*) FROM silver.fact_bookings WHERE user_id = 'u_1'", check=no_rows),
    Attempt("mask by like", ANALYST, "SELECT count(*) FROM silver.fact_bookings WHERE user_id LIKE 'u%'", check=no_rows),
    Attempt("mask in payload", ANALYST, "SELECT payload FROM silver.events_deduped WHERE dt = DATE '2026-01-05'", check=no_raw_ids),
    Attempt("mask by anon id", ANALYST, "SELECT anon_id, session_id FROM silver.events_deduped WHERE dt = DATE '2026-01-05'", check=no_raw_ids),
    Attempt("mask by min/max", ANALYST, "SELECT min(user_id), max(user_id) FROM silver.fact_bookings", check=no_raw_ids),
    Attempt("mask by json", ANALYST, "SELECT to_json(b) FROM silver.fact_bookings b", check=no_raw_ids),
    # Denied columns.
    Attempt("denied by name", ANALYST, "SELECT amount_cents FROM silver.fact_payments", refused=DENIED),
    Attempt("denied in expression", ANALYST, "SELECT sum(amount_cents * 1) FROM silver.fact_booking_legs", refused=DENIED),
    Attempt("denied by qualified name", ANALYST, "SELECT l.amount_cents FROM silver.fact_booking_legs AS l", refused=DENIED),
    Attempt("denied in where", ANALYST, "SELECT count(*) FROM silver.fact_payments WHERE amount_cents > 0", refused=DENIED),
    Attempt("denied relation by viewer", VIEWER, "SELECT * FROM silver.fact_payments", refused=DENIED),
    # Files, network, settings, environment.
    Attempt("file read_parquet", ADMIN, "SELECT * FROM read_parquet('/etc/passwd')", refused=DENIED),
    Attempt("file by case", ADMIN, "SELECT * FROM ReAd_CsV('/etc/passwd')", refused=DENIED),
    Attempt("file by whitespace", ADMIN, "SELECT * FROM read_text\n  (\t'/etc/passwd')", refused=DENIED),
    Attempt("file by comment", ADMIN, "SELECT * FROM read_json/**/('/etc/hosts')", refused=DENIED),
    Attempt("file as string table", ADMIN, "SELECT * FROM '/etc/passwd'", refused=INVALID),
    Attempt("file by glob", ADMIN, "SELECT * FROM glob('/etc/*')", refused=DENIED),
    Attempt("file in subquery", ADMIN, "SELECT (SELECT count(*) FROM read_blob('/etc/passwd'))", refused=DENIED),
    Attempt("environment", ADMIN, "SELECT getenv('HOME')", refused=DENIED),
    Attempt("settings", ADMIN, "SELECT current_setting('allowed_directories')", refused=DENIED),
    Attempt("settings table", ADMIN, "SELECT * FROM duckdb_settings()", refused=DENIED),
    Attempt("catalog function", ADMIN, "SELECT * FROM duckdb_databases()", refused=DENIED),
    Attempt("raw catalogue", ANALYST, "SELECT * FROM duckdb_tables", refused=INVALID),
    Attempt("pg catalogue", ANALYST, "SELECT * FROM pg_catalog.pg_class", refused=DENIED),
    Attempt("schemata", ANALYST, "SELECT * FROM information_schema.schemata", refused=DENIED),
    Attempt("private attached name", ADMIN, "SELECT * FROM __wh.gold.kpi_marketplace_daily", refused=DENIED),
    Attempt("private three-part name", ANALYST, "SELECT * FROM memory.gold.kpi_marketplace_daily", refused=DENIED),
    Attempt("mask macro", ANALYST, "SELECT __gate.mask('u_1')", refused=DENIED),
    Attempt("query table function", ADMIN, "SELECT * FROM query_table('gold.kpi_marketplace_daily')", refused=DENIED),
    Attempt("current query", ANALYST, "SELECT current_query()", refused=DENIED),
    # Statements and multiple statements.
    Attempt("copy out", ADMIN, "COPY (SELECT 1) TO '/tmp/out.csv'", refused=INVALID),
    Attempt("attach", ADMIN, "ATTACH '/tmp/x.duckdb' AS x", refused=INVALID),
    Attempt("install", ADMIN, "INSTALL httpfs", refused=INVALID),
    Attempt("load", ADMIN, "LOAD httpfs", refused=INVALID),
    Attempt("pragma", ADMIN, "PRAGMA database_list", refused=INVALID),
    Attempt("set", ADMIN, "SET enable_external_access = true", refused=INVALID),
    Attempt("call", ADMIN, "CALL pragma_version()", refused=INVALID),
    Attempt("create", ADMIN, "CREATE TABLE x AS SELECT 1", refused=INVALID),
    Attempt("insert", ADMIN, "INSERT INTO gold.kpi_marketplace_daily SELECT * FROM gold.kpi_marketplace_daily", refused=INVALID),
    Attempt("delete", ADMIN, "DELETE FROM gold.kpi_marketplace_daily", refused=INVALID),
    Attempt("select into", ADMIN, "SELECT 1 INTO t2", refused=INVALID),
    Attempt("two statements", ADMIN, "SELECT 1; SELECT 2", refused=INVALID),
    Attempt("statement after comment", ADMIN, "SELECT 1; -- harmless\nDROP VIEW gold.kpi_marketplace_daily", refused=INVALID),
    Attempt("export", ADMIN, "EXPORT DATABASE '/tmp/x'", refused=INVALID),
    Attempt("detach", ADMIN, "DETACH __wh", refused=INVALID),
    Attempt("use", ADMIN, "USE __wh", refused=INVALID),
    # Look-alikes, size, nesting.
    Attempt("cyrillic look-alike function", ADMIN, "SELECT * FROM r\u0435ad_csv('/etc/passwd')", refused=DENIED),
    Attempt("fullwidth keyword", ADMIN, "\uff33\uff25\uff2c\uff25\uff23\uff34 1", refused=INVALID),
    Attempt("look-alike relation", ANALYST, "SELECT * FROM g\u043eld.kpi_marketplace_daily", refused=INVALID),
    Attempt("very long", ANALYST, "SELECT 1" + " " * 100_001, refused=INVALID),
    Attempt("deeply nested", ANALYST, "SELECT " + "(" * 300 + "1" + ")" * 300, refused=INVALID),
    Attempt("deep subqueries", ANALYST, "SELECT * FROM " + "(SELECT * FROM " * 120 + "gold.kpi_marketplace_daily" + ") AS q" * 120, refused=INVALID),
]  # fmt: skip


@pytest.mark.parametrize("attempt", CORPUS, ids=[a.name for a in CORPUS])
def test_bypass_attempt(gate: Gate, attempt: Attempt) -> None:
    if attempt.refused is not None:
        with pytest.raises(RastupError) as error:
            gate.run(attempt.who, attempt.sql, path=QueryPath.HTTP)
        assert error.value.code is attempt.refused, error.value
        assert "\n" not in error.value.message
        return
    assert attempt.check is not None
    rows = list(gate.run(attempt.who, attempt.sql, path=QueryPath.HTTP).rows)
    assert attempt.check(rows), rows


def test_the_corpus_is_large_and_every_attempt_is_audited(gate: Gate) -> None:
    assert len(CORPUS) >= 40
    for attempt in CORPUS[:5]:
        with contextlib.suppress(RastupError):
            gate.run(attempt.who, attempt.sql, path=QueryPath.HTTP)
    assert len(gate.audit.records()) == 5
    assert gate.audit.verify().ok


def test_the_session_itself_cannot_reach_files_or_change_settings(gate: Gate) -> None:
    """Defence in depth: even SQL that skipped the checker meets a locked engine."""
    gate.run(ADMIN, "SELECT 1", path=QueryPath.CLI)
    session = gate.sessions.cached()[0]
    cursor = session.cursor()
    for sql in (
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY (SELECT 1) TO '/tmp/gate-escape.csv'",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "ATTACH '/tmp/gate-escape.duckdb' AS x",
    ):
        with pytest.raises(Exception, match=r"(?i)permission|configuration|disabled"):
            cursor.execute(sql)


def test_the_masking_key_never_reaches_a_non_admin(gate: Gate) -> None:
    from rastup_data.governance.masking import masking_key

    key = masking_key(gate.state)
    sql = "SELECT user_id FROM silver.fact_bookings WHERE user_id <> 'x'"
    plan = gate.explain(ANALYST, sql, path=QueryPath.CLI)
    assert key not in repr(plan)
    for probe in (
        "SELECT CAST(user_id AS INTEGER) FROM silver.fact_bookings",
        "SELECT user_id + 1 FROM silver.fact_bookings",
        "SELECT strptime(user_id, '%Y') FROM silver.fact_bookings",
        "SELECT json_extract(user_id, '$') FROM silver.fact_bookings",
    ):
        with pytest.raises(RastupError) as error:
            gate.run(ANALYST, probe, path=QueryPath.CLI)
        assert key not in str(error.value)
