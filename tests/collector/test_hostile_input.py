"""Hostile bodies and headers never produce a 5xx."""

from __future__ import annotations

import gzip

import orjson
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import KEY, LiveCollector

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)

envelope_like = st.fixed_dictionaries(
    {},
    optional={
        "event": st.text(max_size=30) | st.sampled_from(["search.click", "payout.paid"]),
        "v": st.integers(-2, 3) | st.text(max_size=3),
        "occurred_at": st.text(max_size=30) | st.just("2026-11-20T14:03:07.512Z"),
        "context": json_values,
        "ids": st.fixed_dictionaries({}, optional={"event_id": st.uuids().map(str) | st.text()}),
        "payload": json_values,
        "user_id": st.none() | st.text(max_size=10),
    },
)

bodies = st.one_of(
    st.binary(max_size=2000),
    st.lists(envelope_like, max_size=20).map(orjson.dumps),
    st.lists(envelope_like | json_values, max_size=20).map(
        lambda items: b"\n".join(orjson.dumps(i) for i in items)
    ),
    st.binary(max_size=500).map(gzip.compress),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=bodies, gz=st.booleans(), ctype=st.sampled_from(["application/json", "text/plain", "x/y"])
)
def test_random_bodies_never_5xx(
    collector: LiveCollector, body: bytes, gz: bool, ctype: str
) -> None:
    headers = {"content_type": ctype}
    if gz:
        headers["content_encoding"] = "gzip"
    response = collector.post(body, **headers)
    assert response.status_code < 500, response.text
    payload = response.json()
    if response.status_code == 202:
        assert payload["accepted"] + payload["duplicates"] + payload["rejected"] >= 0
        assert all(r["code"] for r in payload["results"])
    else:
        assert payload["error"]["code"]


def test_openapi_operations_never_5xx(collector: LiveCollector) -> None:
    """Schema-driven cases (schemathesis) for every operation of the served spec."""
    schema = schemathesis.openapi.from_url(f"{collector.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/events", "/healthz", "/metrics"}
    for operation in operations:

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            headers = dict(case.headers or {})
            headers.setdefault("Authorization", f"Bearer {KEY}")
            response = case.call(base_url=collector.url, headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.text)

        check()


def test_numbers_beyond_64_bits_get_a_verdict_not_an_error(collector: LiveCollector) -> None:
    huge = b'{"event": "search.click", "v": 100000000000000000000000000}'
    for body in (b"[" + huge + b"]", huge):
        response = collector.post(body)
        assert response.status_code == 202
        (result,) = response.json()["results"]
        assert result["status"] == "rejected"
        assert result["code"] == "EVENT_ENVELOPE_INVALID"
