"""The Segment-compatible API on a real collector, driven by the real Segment and
RudderStack Python SDKs (and plain HTTP for the refusals)."""

from __future__ import annotations

import base64
import gzip
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rudderstack.analytics import Client as RudderClient
from rudderstack.analytics.request import APIError as RudderAPIError
from segment.analytics import Client as SegmentClient
from segment.analytics.request import APIError as SegmentAPIError
from tests.waiting import wait_until

from rastup_data.collector.segment.mapping import track_message
from rastup_data.spool.spool import SpoolConfig
from rastup_data.transform import BuildOptions, build, open_published

from .conftest import KEY, LiveCollector, gate_token, registry_examples, start_collector

Client = SegmentClient | RudderClient


class Failures:
    """What an SDK reported through ``on_error``."""

    def __init__(self) -> None:
        self.errors: list[Exception] = []

    def __call__(self, error: Exception, batch: list[dict[str, Any]]) -> None:
        self.errors.append(error)


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def segment_context(example: dict[str, Any]) -> dict[str, Any]:
    """The context an app passes the SDK for an example (the SDK adds its library)."""
    context: dict[str, Any] = track_message(example)["context"]
    del context["library"]
    return context


def _send_examples(client: Client, message_ids: list[str]) -> list[dict[str, Any]]:
    examples = registry_examples()
    for example, message_id in zip(examples, message_ids, strict=True):
        client.track(
            user_id=example["user_id"],
            anonymous_id=example["anon_id"],
            event=example["event"],
            properties=example["payload"],
            context=segment_context(example),
            timestamp=datetime.fromisoformat(example["occurred_at"]),
            message_id=message_id,
        )
    client.flush()
    return examples


def _assert_examples_landed(
    live: LiveCollector, examples: list[dict[str, Any]], message_ids: list[str]
) -> None:
    live.wait_landed(len(examples))
    live.wait_idle()
    rows = live.bronze(
        "SELECT event_id, event, v, occurred_at, user_id, anon_id, session_id, context, ids, "
        "payload FROM t"
    )
    assert len(rows) == len(examples)
    by_id = {row[0]: row for row in rows}
    for example, message_id in zip(examples, message_ids, strict=True):
        row = by_id[message_id.lower()]
        assert row[1:3] == (example["event"], example["v"])
        assert row[3] == datetime.fromisoformat(example["occurred_at"])
        assert row[4:7] == (example["user_id"], example["anon_id"], example["session_id"])
        assert orjson.loads(row[7]) == example["context"]
        assert orjson.loads(row[8]) == {**example["ids"], "event_id": message_id.lower()}
        assert orjson.loads(row[9]) == example["payload"]
    assert live.bad() == []


def test_segment_sdk_delivers_every_catalogue_example_once(collector: LiveCollector) -> None:
    failures = Failures()
    client = SegmentClient(KEY, host=collector.url, on_error=failures, upload_size=20)
    message_ids = [e["ids"]["event_id"] for e in registry_examples()]
    examples = _send_examples(client, message_ids)
    client.shutdown()
    assert failures.errors == []
    _assert_examples_landed(collector, examples, message_ids)


def test_rudderstack_sdk_delivers_every_catalogue_example_gzipped(
    collector: LiveCollector,
) -> None:
    failures = Failures()
    client = RudderClient(KEY, host=collector.url, on_error=failures, gzip=True)
    message_ids = [str(uuid.uuid4()).upper() for _ in registry_examples()]
    examples = _send_examples(client, message_ids)
    client.join()
    assert failures.errors == []
    _assert_examples_landed(collector, examples, message_ids)


def test_a_resent_message_id_is_a_duplicate(collector: LiveCollector) -> None:
    client = SegmentClient(KEY, host=collector.url, sync_mode=True, gzip=True)
    for message_id in ("ajs-next-1700000000000-2b8f4f0d", str(uuid.uuid4())):
        for _ in range(2):
            client.track(
                anonymous_id="a_resent",
                event="session.started",
                properties={"entry": "direct"},
                message_id=message_id,
            )
    collector.wait_landed(2)
    collector.wait_idle()
    assert collector.bronze("SELECT count(*), count(DISTINCT event_id) FROM t") == [(2, 2)]
    metrics = collector.client.get("/metrics").text
    assert 'rastup_ingest_events_total{outcome="duplicate"} 2.0' in metrics


def test_a_wrong_write_key_is_refused_and_not_retried(collector: LiveCollector) -> None:
    with pytest.raises(SegmentAPIError) as segment_refused:
        SegmentClient("wrong-key", host=collector.url, sync_mode=True).track(
            anonymous_id="a_1", event="session.started", properties={"entry": "direct"}
        )
    assert (segment_refused.value.status, segment_refused.value.code) == (401, "AUTH_FAILED")
    with pytest.raises(RudderAPIError) as rudder_refused:
        RudderClient("wrong-key", host=collector.url, sync_mode=True).track(
            anonymous_id="a_1", event="session.started", properties={"entry": "direct"}
        )
    assert (rudder_refused.value.status, rudder_refused.value.code) == (401, "AUTH_FAILED")
    # In the background the SDKs give up on a 401 at once: one request each.
    failures = Failures()
    for client in (
        SegmentClient("wrong-key", host=collector.url, on_error=failures),
        RudderClient("wrong-key", host=collector.url, on_error=failures),
    ):
        client.track(anonymous_id="a_1", event="session.started", properties={"entry": "direct"})
        client.flush()
        client.join()
    assert [getattr(e, "status", None) for e in failures.errors] == [401, 401]
    metrics = collector.client.get("/metrics").text
    assert 'rastup_http_requests_total{route="/v1/batch",status="401"} 4.0' in metrics
    assert collector.bronze() == [(0,)]


def test_calls_without_a_catalogue_event_are_acknowledged_and_quarantined(
    collector: LiveCollector,
) -> None:
    client = SegmentClient(KEY, host=collector.url, sync_mode=True)
    client.page(user_id="u_7", name="Home", properties={"path": "/"})
    client.screen(user_id="u_7", name="Search")
    client.group(user_id="u_7", group_id="g_1", traits={"email": "team@example.com"})
    client.identify(user_id="u_7", traits={"email": "person@example.com"})  # one id only
    client.track(user_id="u_7", event="Order Completed", properties={"total": 10})
    # the spool rotates every 0.1 s; quarantine lands like events
    wait_until(lambda: len(collector.bad()) >= 5, "five messages quarantined")
    codes = sorted(row[0] for row in collector.bad())
    assert codes == ["EVENT_UNKNOWN"] + ["SEGMENT_MESSAGE_UNMAPPED"] * 4
    assert not any("example.com" in row[2] for row in collector.bad())
    metrics = collector.client.get("/metrics").text
    assert 'code="SEGMENT_MESSAGE_UNMAPPED"' in metrics
    assert 'rastup_ingest_events_total{outcome="rejected"} 5.0' in metrics
    assert collector.bronze() == [(0,)]


def _post_batch(live: LiveCollector, body: Any, **headers: str) -> httpx.Response:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    sent = {"Content-Type": "application/json", **_basic(KEY), **headers}
    return live.client.post("/v1/batch", content=data, headers=sent)


def _message(event: str = "bgcheck.completed", **fields: Any) -> dict[str, Any]:
    example = next(e for e in registry_examples() if e["event"] == event)
    return {**track_message(example), "messageId": str(uuid.uuid4()), **fields}


def test_a_batch_answers_success_once_durable_and_counts_quarantined_messages(
    collector: LiveCollector,
) -> None:
    bad_payload = _message(properties={"check_id": 7})
    pii = _message("booking.leg.cancelled")
    pii["properties"] = {**pii["properties"], "reason": "call me on 212 555 0199"}
    response = _post_batch(collector, {"batch": [_message(), {"type": "page"}, bad_payload, pii]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert (body["accepted"], body["quarantined"]) == (1, 3)
    assert [(r["index"], r["code"]) for r in body["results"]] == [
        (1, "SEGMENT_MESSAGE_UNMAPPED"),
        (2, "EVENT_SCHEMA_INVALID"),
        (3, "EVENT_PII_DETECTED"),
    ]
    # Durable before the answer: the event is in the spool already.
    spooled = b"".join(p.read_bytes() for p in collector.layout.spool.glob("*.events.*"))
    assert spooled.count(b"\n") >= 1 or collector.bronze() == [(1,)]
    collector.wait_landed(1)


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({"Authorization": ""}, {"batch": [{}]}, 401, "AUTH_FAILED"),
        (_basic("nope"), {"batch": [{}], "writeKey": KEY}, 401, "AUTH_FAILED"),
        ({}, b"{not json", 400, "BODY_MALFORMED"),
        ({}, {"batch": "x"}, 400, "BODY_MALFORMED"),
        ({}, {"batch": [{}] * 1001}, 413, "BATCH_TOO_LARGE"),
        ({}, b"{" + b" " * (5 << 20) + b"}", 413, "BODY_TOO_LARGE"),
        (
            {"Content-Type": "application/x-www-form-urlencoded"},
            {"batch": [{}]},
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
    ],
    ids=["no-key", "wrong-basic", "not-json", "no-batch", "too-many", "too-big", "form"],
)
def test_bad_requests_are_refused_whole_with_segment_s_error_shape(
    collector: LiveCollector, headers: dict[str, str], body: Any, status: int, code: str
) -> None:
    if headers.get("Authorization") == "":
        data = orjson.dumps(body)
        response = collector.client.post(
            "/v1/batch", content=data, headers={"Content-Type": "application/json"}
        )
    else:
        response = _post_batch(collector, body, **headers)
    assert response.status_code == status, response.text
    answer = response.json()
    assert (answer["code"], answer["error"]["code"]) == (code, code)
    assert answer["success"] is False
    assert answer["message"]


def test_the_write_key_may_travel_in_the_body_or_as_a_bearer_token(
    collector: LiveCollector,
) -> None:
    in_body = collector.client.post(
        "/v1/track",
        content=gzip.compress(orjson.dumps({**_message(), "writeKey": KEY})),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert in_body.status_code == 200, in_body.text
    bearer = collector.client.post(
        "/v1/t", json=_message(), headers={"Authorization": f"Bearer {KEY}"}
    )
    assert bearer.json()["accepted"] == 1
    collector.wait_landed(2)
    assert not any(KEY in str(row) for row in collector.bronze("SELECT * FROM t"))


def test_a_full_spool_pushes_back_with_503_and_retry_after(tmp_path: Path) -> None:
    live, server = start_collector(
        tmp_path / "lake", spool=SpoolConfig(rotate_s=0.05, max_bytes=1), land=False
    )
    try:
        assert _post_batch(live, {"batch": [_message()]}).status_code == 200
        time.sleep(0.3)  # disk use is sampled a few times a second
        pushed_back = _post_batch(live, {"batch": [_message()]})
        assert pushed_back.status_code == 503
        assert pushed_back.headers["Retry-After"].isdigit()
        assert pushed_back.json()["code"] == "INGEST_OVERLOADED"
    finally:
        live.client.close()
        server.stop()


def test_large_batches_are_mapped_in_validation_workers_alike(tmp_path: Path) -> None:
    live, server = start_collector(tmp_path / "lake", validation_workers=1)
    try:
        messages = [_message() for _ in range(100)] + [{"type": "screen", "userId": "u_1"}]
        body = orjson.dumps({"batch": messages})
        assert len(body) > 8192  # worked on in the worker process, not inline
        first = _post_batch(live, body).json()
        assert (first["accepted"], first["quarantined"]) == (100, 1)
        again = _post_batch(live, body).json()
        assert (again["accepted"], again["duplicates"]) == (0, 100)
        live.wait_landed(100)
    finally:
        live.client.close()
        server.stop()


@pytest.fixture
def suppressing(tmp_path: Path) -> Iterator[LiveCollector]:
    live, server = start_collector(tmp_path / "lake", suppression_refresh_s=0.05)
    live.client.close()
    live.client = httpx.Client(base_url=live.url, timeout=60)
    try:
        yield live
    finally:
        live.client.close()
        server.stop()


def test_erased_subjects_are_suppressed_as_on_the_native_endpoint(
    suppressing: LiveCollector,
) -> None:
    live = suppressing
    erased = "u_erased_segment"
    filed = live.client.post(
        "/v1/dsar", json={"subject": erased}, headers=gate_token(live, "admin")
    )
    assert filed.status_code == 201, filed.text
    wait_until(
        lambda: live.runtime.acceptor.suppression.digests, "the collector picked up the erasure"
    )
    batch = [
        _message(userId=erased),
        _message(userId=erased, properties={"check_id": 7}),  # would be quarantined
        {"type": "page", "userId": erased, "name": "Home"},  # likewise
        _message(userId="u_someone_else"),
    ]
    body = _post_batch(live, {"batch": batch}).json()
    assert (body["accepted"], body["suppressed"], body["quarantined"]) == (1, 3, 0)
    live.wait_landed(1)
    live.wait_idle()
    assert live.bronze(f"SELECT count(*) FROM t WHERE user_id = '{erased}'") == [(0,)]
    assert not any(erased in str(row) for row in live.bad())


def test_identify_links_identities_in_silver(collector: LiveCollector) -> None:
    client = SegmentClient(KEY, host=collector.url, sync_mode=True)
    anon = str(uuid.uuid4())  # an SDK's anonymous id: stored as a_<uuid>
    client.track(
        anonymous_id=anon,
        event="session.started",
        properties={"entry": "search"},
        context={"app": {"name": "web"}, "location": {"city": "Chicago"}},
    )
    client.identify(user_id="u_seg_42", anonymous_id=anon, traits={"email": "p@example.com"})
    client.alias(previous_id="a_other_device", user_id="u_seg_42")
    collector.wait_landed(3)
    collector.wait_idle()
    build(collector.layout, BuildOptions(quality_gates=False, with_nrt=False))
    with open_published(collector.layout) as conn:
        links = conn.execute(
            "SELECT anon_id, user_id FROM silver.dim_identity ORDER BY anon_id"
        ).fetchall()
        cities = conn.execute(
            "SELECT city FROM silver.events_deduped WHERE event = 'session.started'"
        ).fetchall()
    assert links == [(f"a_{anon}", "u_seg_42"), ("a_other_device", "u_seg_42")]
    assert cities == [("chi",)]
    assert not any("example.com" in str(row) for row in collector.bronze("SELECT * FROM t"))


_int64 = st.integers(-(2**63), 2**63 - 1)  # what a JSON encoder writes
_json = st.recursive(
    st.none() | st.booleans() | _int64 | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_segment_like = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["track", "identify", "alias", "page", "x"]) | st.text(max_size=5),
        "event": st.sampled_from(["session.started", "search.click"]) | st.text(max_size=20),
        "userId": st.none() | st.text(max_size=12) | _int64,
        "anonymousId": st.none() | st.text(max_size=12),
        "previousId": st.text(max_size=12),
        "messageId": st.uuids().map(str) | st.text(max_size=40) | _int64,
        "timestamp": st.text(max_size=30) | st.just("2026-11-20T14:03:07.512Z"),
        "properties": _json,
        "context": _json
        | st.fixed_dictionaries(
            {},
            optional={
                "app": _json | st.fixed_dictionaries({"name": st.sampled_from(["web", "X"])}),
                "library": _json,
                "location": _json,
                "rastup": _json,
                "sessionId": _json,
            },
        ),
    },
)
_bodies = st.one_of(
    st.binary(max_size=1000),
    st.lists(_segment_like | _json, max_size=10).map(lambda b: orjson.dumps({"batch": b})),
    _segment_like.map(orjson.dumps),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_bodies, path=st.sampled_from(["/v1/batch", "/v1/track", "/v1/i", "/v1/alias"]))
def test_random_bodies_never_5xx(collector: LiveCollector, body: bytes, path: str) -> None:
    response = collector.client.post(
        path, content=body, headers={"Content-Type": "application/json", **_basic(KEY)}
    )
    assert response.status_code < 500, response.text
    answer = response.json()
    if response.status_code == 200:
        assert answer["success"] is True
        assert all(r["code"] for r in answer["results"])
    else:
        assert answer["code"] == answer["error"]["code"]


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/track", "/v1/t", "/v1/events"])
def test_the_ingest_paths_are_matched_before_every_other_api(tmp_path: Path, path: str) -> None:
    """Each request walks the routes ahead of its own: the ingest paths come first, so a
    Segment batch does not pay for matching the query, privacy or dashboard routes."""
    from starlette.routing import Match

    from rastup_data.collector.app import create_app
    from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime

    app = create_app(CollectorRuntime(CollectorConfig(lake=tmp_path)), manage_lifecycle=False)
    scope = {"type": "http", "method": "POST", "path": path, "root_path": ""}
    tried = []
    for route in app.router.routes:
        tried.append(route)
        if route.matches(scope)[0] is Match.FULL:
            break
    assert tried[-1].matches(scope)[0] is Match.FULL
    # /openapi.json, the /v1/events router and, for Segment's paths, theirs.
    assert len(tried) <= 3, [getattr(route, "path", route) for route in tried]
