"""POST /v1/query on a real collector: bearer tokens, the answer shape, coded refusals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from gate_fixture import serve_lake

from rastup_data.governance import Gate
from rastup_data.lake.layout import LakeLayout


@dataclass
class Live:
    client: httpx.Client
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def live(lake: LakeLayout) -> Iterator[Live]:
    with Gate.open(lake.root) as gate:
        tokens = {
            role: gate.tokens.create(
                f"http-{role}", role, known_roles=gate.policy.roles, created_by="test"
            )[0]
            for role in ("admin", "analyst", "viewer")
        }
        nyc, _ = gate.tokens.create(
            "http-nyc", "analyst", known_roles=gate.policy.roles, cities=["nyc"], created_by="t"
        )
        revoked, info = gate.tokens.create(
            "http-gone", "analyst", known_roles=gate.policy.roles, created_by="test"
        )
        gate.tokens.revoke(info.token_id)
    tokens |= {"nyc": nyc, "revoked": revoked}
    with serve_lake(lake) as client:
        yield Live(client, tokens)


def _query(live: Live, sql: str, token: str | None, **extra: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return live.client.post("/v1/query", json={"sql": sql, **extra}, headers=headers)


def test_a_query_answers_rows_and_its_cost(live: Live) -> None:
    response = _query(
        live,
        "SELECT city, sum(bookings) AS bookings FROM gold.kpi_marketplace_daily "
        "WHERE dt >= ? GROUP BY city ORDER BY city",
        live.tokens["analyst"],
        params=["2026-01-06"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["columns"] == ["city", "bookings"]
    assert body["rows"] == [["lax", 8], ["nyc", 8]]
    assert body["row_count"] == 2
    assert body["scanned_bytes"] > 0
    assert body["billed_bytes"] == 10 * 1024 * 1024
    assert len(body["query_id"]) == 32


def test_parameters_cast_with_double_colons_are_accepted(live: Live) -> None:
    response = _query(
        live,
        "SELECT d::DATE AS day FROM range(?::DATE, ?::DATE, INTERVAL 1 DAY) AS t(d)",
        live.tokens["viewer"],
        params=["2026-01-05", "2026-01-07"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == [["2026-01-05"], ["2026-01-06"]]
    mixed = _query(live, "SELECT ?::DATE, $1", live.tokens["viewer"], params=["2026-01-05"])
    assert mixed.status_code == 400
    assert mixed.json()["error"]["code"] == "QUERY_INVALID"


@pytest.mark.parametrize("params", [[], ["2026-01-05"], ["2026-01-05", "2026-01-07", 3]])
def test_a_wrong_number_of_params_is_query_invalid_before_running(
    live: Live, params: list[object]
) -> None:
    sql = "SELECT d::DATE AS day FROM range(?::DATE, ?::DATE, INTERVAL 1 DAY) AS t(d)"
    response = _query(live, sql, live.tokens["viewer"], params=params)
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "QUERY_INVALID"
    assert body["message"].startswith(
        f"the query takes 2 parameter values (one per `?`, or per $1, $2, ...) but {len(params)} "
    )


def test_a_scoped_principal_sees_its_city_only(live: Live) -> None:
    response = _query(live, "SELECT DISTINCT city FROM silver.fact_bookings", live.tokens["nyc"])
    assert response.json()["rows"] == [["nyc"]]


@pytest.mark.parametrize(
    ("sql", "token", "status", "code"),
    [
        ("SELECT 1", None, 401, "AUTH_TOKEN_INVALID"),
        ("SELECT 1", "rgt_000000000000_" + "x" * 43, 401, "AUTH_TOKEN_INVALID"),
        ("SELECT 1", "revoked", 401, "AUTH_TOKEN_INVALID"),
        ("SELECT * FROM silver.fact_bookings", "viewer", 403, "ACCESS_DENIED"),
        ("SELECT * FROM read_csv('/etc/passwd')", "admin", 403, "ACCESS_DENIED"),
        ("DELETE FROM gold.kpi_marketplace_daily", "admin", 400, "QUERY_INVALID"),
        ("SELECT count(*) FROM bronze.events", "admin", 400, "PARTITION_FILTER_REQUIRED"),
        ("SELECT count(*) FROM gold.kpi_funnel_daily", "nyc", 403, "ACCESS_DENIED"),
    ],
)
def test_refusals_are_coded(
    live: Live, sql: str, token: str | None, status: int, code: str
) -> None:
    response = _query(live, sql, live.tokens.get(token or "", token))
    assert response.status_code == status, response.text
    assert list(response.json()) == ["error"]  # the collector's one error body
    body = response.json()["error"]
    assert body["code"] == code
    assert body["message"]
    assert "\n" not in body["message"]


@pytest.mark.parametrize("body", [b"not json", b'{"query": "SELECT 1"}', b'{"sql": 5}', b"[]"])
def test_malformed_bodies_are_query_invalid(live: Live, body: bytes) -> None:
    response = live.client.post(
        "/v1/query",
        content=body,
        headers={"Authorization": f"Bearer {live.tokens['admin']}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "QUERY_INVALID"


def test_http_queries_are_audited_as_http(live: Live, lake: LakeLayout) -> None:
    _query(live, "SELECT 42 AS answer", live.tokens["analyst"])
    with Gate.open(lake.root) as gate:
        last = gate.audit.records(limit=1)[0]
    assert (last.principal, last.path, last.sql, last.status) == (
        "http-analyst",
        "http",
        "SELECT 42 AS answer",
        "ok",
    )


def test_attempts_without_a_valid_token_are_audited(live: Live, lake: LakeLayout) -> None:
    response = _query(live, "SELECT 'who am i'", "rgt_000000000000_" + "y" * 43)
    assert response.status_code == 401
    with Gate.open(lake.root) as gate:
        last = gate.audit.records(limit=1)[0]
    assert (last.principal, last.status, last.code, last.sql) == (
        "(unauthenticated)",
        "refused",
        "AUTH_TOKEN_INVALID",
        "SELECT 'who am i'",
    )


def test_a_2_gb_answer_is_refused_within_seconds_and_the_server_stays_up(live: Live) -> None:
    started = time.monotonic()
    response = _query(live, "SELECT repeat('x', 2000000000) AS s", live.tokens["analyst"])
    assert time.monotonic() - started < 10
    assert response.status_code == 400, response.text[:200]
    body = response.json()["error"]
    assert body["code"] == "QUERY_ANSWER_TOO_LARGE"
    assert "64.0 MiB" in body["message"]
    assert "\n" not in body["message"]
    # Many rows past the analyst's 64 MiB: refused as well, the server answers the next one.
    many = "SELECT repeat('x', 10000) AS s FROM range(7000)"
    refused = _query(live, many, live.tokens["analyst"]).json()["error"]
    assert refused["code"] == "QUERY_ANSWER_TOO_LARGE"
    after = _query(live, "SELECT 42 AS answer", live.tokens["analyst"])
    assert after.status_code == 200
    assert after.json()["rows"] == [[42]]
