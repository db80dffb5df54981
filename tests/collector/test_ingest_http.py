"""Round trips through a real collector on loopback into Bronze."""

from __future__ import annotations

import gzip
import time
import uuid
from pathlib import Path

import orjson
import pytest
from tests.waiting import wait_until

from rastup_data.errors import ErrorCode
from rastup_data.spool.spool import SpoolConfig

from .conftest import KEY, LiveCollector, fresh_events, registry_examples, start_collector


def test_every_catalogue_event_round_trips_into_bronze(collector: LiveCollector) -> None:
    events = fresh_events(len(registry_examples()) * 3)
    response = collector.post(orjson.dumps(events))
    assert response.status_code == 202, response.text
    body = response.json()
    assert body == {
        "accepted": len(events),
        "duplicates": 0,
        "rejected": 0,
        "suppressed": 0,
        "results": [],
    }
    collector.wait_landed(len(events))
    rows = collector.bronze("SELECT event_id, event, payload, received_at, dt FROM t")
    by_id = {r[0]: r for r in rows}
    assert len(by_id) == len(events)
    for event in events:
        row = by_id[event["ids"]["event_id"]]
        assert row[1] == event["event"]
        assert orjson.loads(row[2]) == event["payload"]
        assert str(row[4]) == row[3].strftime("%Y-%m-%d")


def test_resends_are_reported_duplicate_and_land_once(collector: LiveCollector) -> None:
    events = fresh_events(50)
    first = collector.post(orjson.dumps(events)).json()
    again = collector.post(orjson.dumps(events[:20] + fresh_events(5))).json()
    assert first["accepted"] == 50
    assert (again["accepted"], again["duplicates"]) == (5, 20)
    assert {r["status"] for r in again["results"]} == {"duplicate"}
    assert [r["index"] for r in again["results"]] == list(range(20))
    collector.wait_idle()
    assert collector.bronze("SELECT count(*), count(DISTINCT event_id) FROM t") == [(55, 55)]


def test_gzip_ndjson_is_accepted(collector: LiveCollector) -> None:
    events = fresh_events(30)
    body = gzip.compress(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    response = collector.post(body, content_encoding="gzip", content_type="application/x-ndjson")
    assert response.status_code == 202
    assert response.json()["accepted"] == 30
    collector.wait_landed(30)


def _bad_events() -> dict[str, bytes]:
    good = fresh_events(8)
    no_payload = dict(good[0])
    no_payload.pop("payload")
    unknown = dict(good[1], event="no.such.event")
    wrong_type = orjson.loads(orjson.dumps(good[2]))
    wrong_type["occurred_at"] = "yesterday"
    schema = orjson.loads(orjson.dumps(registry_examples()[0]))
    schema["ids"]["event_id"] = str(uuid.uuid4())
    schema["payload"] = {"unexpected": True}
    pii = orjson.loads(orjson.dumps(good[3]))
    pii["context"]["note"] = "reach me at jane.doe@example.com"
    big = orjson.loads(orjson.dumps(good[4]))
    big["context"]["blob"] = "x" * 40_000
    return {
        ErrorCode.EVENT_ENVELOPE_INVALID.value: orjson.dumps(no_payload),
        ErrorCode.EVENT_UNKNOWN.value: orjson.dumps(unknown),
        "EVENT_ENVELOPE_INVALID:time": orjson.dumps(wrong_type),
        ErrorCode.EVENT_SCHEMA_INVALID.value: orjson.dumps(schema),
        ErrorCode.EVENT_PII_DETECTED.value: orjson.dumps(pii),
        ErrorCode.EVENT_TOO_LARGE.value: orjson.dumps(big),
        ErrorCode.EVENT_MALFORMED_JSON.value: b'{"event": "search.click", ',
    }


def test_each_bad_event_class_gets_its_code_and_lands_in_quarantine(
    collector: LiveCollector,
) -> None:
    bad = _bad_events()
    good = fresh_events(3)
    lines = [orjson.dumps(good[0]), *bad.values(), orjson.dumps(good[1])]
    response = collector.post(b"\n".join(lines))
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, len(bad))
    codes = [r["code"] for r in body["results"]]
    assert codes == [key.split(":")[0] for key in bad]
    assert [r["index"] for r in body["results"]] == list(range(1, len(bad) + 1))
    assert all(r["status"] == "rejected" and r["message"] for r in body["results"])
    collector.wait_idle()
    quarantined = collector.bad()
    assert sorted(q[0] for q in quarantined) == sorted(codes)
    raw_by_code = {q[0]: q[2] for q in quarantined}
    assert raw_by_code["EVENT_MALFORMED_JSON"] == '{"event": "search.click",'
    assert "jane.doe@example.com" in raw_by_code["EVENT_PII_DETECTED"]
    assert collector.bronze()[0][0] == 2


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "AUTH_FAILED"),
        ({"Authorization": "Bearer wrong"}, 401, "AUTH_FAILED"),
        ({"Authorization": f"Basic {KEY}"}, 401, "AUTH_FAILED"),
    ],
)
def test_missing_or_bad_keys_are_401(
    collector: LiveCollector, headers: dict[str, str], status: int, code: str
) -> None:
    response = collector.client.post("/v1/events", content=b"[]", headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_request_level_limits(collector: LiveCollector) -> None:
    cases = [
        (b"{not json at all", None, 202, None),  # NDJSON: one malformed line, a verdict
        (b"[1, 2", None, 400, "BODY_MALFORMED"),
        (b"", None, 400, "BODY_MALFORMED"),
        (orjson.dumps([{}] * 1001), None, 413, "BATCH_TOO_LARGE"),
        (b"x" * (4 * 1024 * 1024 + 1), None, 413, "BODY_TOO_LARGE"),
        (gzip.compress(b" " * (17 * 1024 * 1024)), "gzip", 413, "BODY_TOO_LARGE"),
        (b"[]", "br", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (b"garbage", "gzip", 400, "BODY_MALFORMED"),
    ]
    for body, encoding, status, code in cases:
        headers = {"content_encoding": encoding} if encoding else {}
        response = collector.post(body, **headers)
        assert response.status_code == status, (body[:20], response.text)
        if code:
            assert response.json()["error"]["code"] == code


def test_non_objects_in_an_array_are_rejected_per_event(collector: LiveCollector) -> None:
    response = collector.post(orjson.dumps([1, "x", None, fresh_events(1)[0]]))
    body = response.json()
    assert response.status_code == 202
    assert (body["accepted"], body["rejected"]) == (1, 3)
    assert {r["code"] for r in body["results"]} == {"EVENT_ENVELOPE_INVALID"}


def test_received_at_is_stamped_by_the_server(collector: LiveCollector) -> None:
    event = fresh_events(1)[0]
    event["received_at"] = "2001-01-01T00:00:00Z"
    assert collector.post(orjson.dumps([event])).json()["accepted"] == 1
    collector.wait_landed(1)
    ((year,),) = collector.bronze("SELECT year(received_at) FROM t")
    assert year >= 2026


def test_metrics_health_and_openapi(collector: LiveCollector) -> None:
    collector.post(b"[1, 2")
    collector.client.post("/v1/events", content=b"[]")
    metrics = collector.client.get("/metrics").text
    assert (
        'rastup_errors_total{code="BODY_MALFORMED",component="collector",env="dev",'
        'severity="warning"} 1.0' in metrics
    )
    assert 'rastup_errors_total{code="AUTH_FAILED"' in metrics
    assert 'rastup_errors_total{code="QUALITY_CHECK_FAILED"' in metrics
    assert "rastup_http_request_duration_seconds_bucket" in metrics
    assert "rastup_ingest_lag_seconds_bucket" in metrics
    health = collector.client.get("/healthz").json()
    assert health["status"] == "ok"
    spec = collector.client.get("/openapi.json").json()
    assert "/v1/events" in spec["paths"]
    assert "202" in spec["paths"]["/v1/events"]["post"]["responses"]


def test_ingest_lag_is_measured_per_event(collector: LiveCollector) -> None:
    collector.post(orjson.dumps(fresh_events(40)))
    collector.wait_idle()
    metrics = collector.client.get("/metrics").text
    count = next(
        line for line in metrics.splitlines() if line.startswith("rastup_ingest_lag_seconds_count")
    )
    assert float(count.split()[-1]) == 40.0


def test_validation_in_worker_processes_gives_the_same_verdicts(tmp_path: Path) -> None:
    live, server = start_collector(tmp_path / "lake", validation_workers=1)
    try:
        bad = _bad_events()
        good = fresh_events(300)  # large enough to go to the worker, not inline
        lines = [orjson.dumps(e) for e in good] + list(bad.values())
        body = live.post(b"\n".join(lines)).json()
        assert (body["accepted"], body["rejected"]) == (300, len(bad))
        assert [r["code"] for r in body["results"]] == [k.split(":")[0] for k in bad]
        again = live.post(orjson.dumps(good)).json()
        assert again["duplicates"] == 300
        too_many = live.post(b"\n".join([orjson.dumps(good[0])] * 1001))
        assert too_many.status_code == 413
        assert too_many.json()["error"]["code"] == "BATCH_TOO_LARGE"
        live.wait_landed(300)
    finally:
        live.client.close()
        server.stop()


def test_a_full_spool_pushes_back_with_retry_after(tmp_path: Path) -> None:
    live, server = start_collector(
        tmp_path / "lake", spool=SpoolConfig(rotate_s=0.05, max_bytes=1), land=False
    )
    try:
        first = live.post(orjson.dumps(fresh_events(10)))
        assert first.status_code == 202
        time.sleep(0.3)  # disk use is sampled a few times a second
        pushed_back = live.post(orjson.dumps(fresh_events(10)))
        assert pushed_back.status_code == 503
        assert pushed_back.headers["Retry-After"].isdigit()
        assert pushed_back.json()["error"]["code"] == "INGEST_OVERLOADED"
        # Nothing acknowledged was lost: the first batch waits in the spool.
        spooled = b"".join(p.read_bytes() for p in live.layout.spool.glob("*.events.*"))
        assert spooled.count(b"\n") == 10
    finally:
        live.client.close()
        server.stop()


def test_no_page_loads_assets_from_the_network(collector: LiveCollector) -> None:
    """The interactive page that pulled Swagger UI from a CDN is gone (blank offline);
    the OpenAPI document is the API reference, and unknown paths get a coded 404."""
    for path in ("/docs", "/redoc"):
        response = collector.client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "ROUTE_NOT_FOUND"
    spec = collector.client.get("/openapi.json")
    assert spec.status_code == 200
    assert "/openapi.json" in spec.json()["info"]["description"]
    wrong_method = collector.client.get("/v1/events")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_health_is_fresh_when_idle_and_keeps_details_for_key_holders(
    collector: LiveCollector,
) -> None:
    collector.runtime.lander.stop(drain=False)  # nothing lands: the spool keeps what it gets
    assert collector.post(orjson.dumps(fresh_events(20))).status_code == 202
    # no POST in between: still fresh
    spooled = wait_until(
        lambda: collector.client.get("/healthz").json()["spool_bytes"], "spooled bytes on /healthz"
    )
    assert spooled > 0
    collector.runtime.lander._last_error = "IOException: /secret/lake/path/tmp.parquet"
    collector.runtime.lander._failing_since = time.time()
    public = collector.client.get("/healthz").json()
    assert public["status"] == "degraded"
    assert public["lander_error_code"] == "LAND_FAILED"
    assert "lander_error" not in public
    assert "/secret" not in collector.client.get("/healthz").text
    private = collector.client.get("/healthz", headers={"Authorization": f"Bearer {KEY}"})
    assert "/secret/lake" in private.json()["lander_error"]


def test_the_deep_nesting_reproduction_gets_verdicts_not_a_500(collector: LiveCollector) -> None:
    """`python3 -c "print('['*256+']'*256)" | curl … --data-binary @-` answered 500."""
    for depth in (256, 600, 1000):
        body = b"[" * depth + b"]" * depth
        response = collector.post(body, content_type="application/json")
        assert response.status_code == 202, response.text
        (verdict,) = response.json()["results"]
        assert verdict["code"] == "EVENT_ENVELOPE_INVALID"
    too_deep = collector.post(b"[" * 2000 + b"]" * 2000, content_type="application/json")
    assert too_deep.status_code == 400
    assert too_deep.json()["error"]["code"] == "BODY_MALFORMED"
    assert "32 levels" in too_deep.json()["error"]["message"]


def test_timestamps_and_id_case_land_as_sent_instants_once(collector: LiveCollector) -> None:
    events = fresh_events(4)
    events[0]["occurred_at"] = "2026-12-31T23:59:60Z"
    events[1]["occurred_at"] = "2026-11-29t17:04:58z"
    events[2]["occurred_at"] = "0000-01-01T00:00:00Z"
    upper = orjson.loads(orjson.dumps(events[3]))
    upper["ids"]["event_id"] = events[3]["ids"]["event_id"].upper()
    answer = collector.post(orjson.dumps([*events, upper])).json()
    assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (3, 1, 1)
    assert {r["index"]: r["code"] for r in answer["results"]} == {
        2: "EVENT_ENVELOPE_INVALID",
        4: "EVENT_DUPLICATE",
    }
    collector.wait_landed(3)
    rows = dict(collector.bronze("SELECT event_id, CAST(occurred_at AS VARCHAR) FROM t"))
    assert rows[events[0]["ids"]["event_id"]] == "2026-12-31 23:59:59.999999+00"
    assert rows[events[1]["ids"]["event_id"]] == "2026-11-29 17:04:58+00"
    assert None not in rows.values()


def test_broken_json_is_refused_whole_as_json_and_per_line_as_ndjson(
    collector: LiveCollector,
) -> None:
    """docs/sending-events.md: a JSON body is one document (400, nothing accepted); an
    NDJSON line is one event (202, that line rejected, the others accepted)."""
    good = orjson.dumps(fresh_events(1)[0])
    as_json = collector.post(b'{"not":"array"', content_type="application/json")
    assert as_json.status_code == 400
    assert as_json.json()["error"]["code"] == "BODY_MALFORMED"
    as_ndjson = collector.post(
        good + b'\n{"not":"array"\n', content_type="application/x-ndjson"
    ).json()
    assert (as_ndjson["accepted"], as_ndjson["rejected"]) == (1, 1)
    assert as_ndjson["results"][0]["code"] == "EVENT_MALFORMED_JSON"
    assert as_ndjson["results"][0]["index"] == 1
