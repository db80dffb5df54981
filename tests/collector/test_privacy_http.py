"""The privacy admin API and suppression on a real collector over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from tests.waiting import wait_until

from .conftest import LiveCollector, fresh_events, gate_token, start_collector

ERASED = "u_erased_person1"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveCollector]:
    collector, server = start_collector(tmp_path / "lake", suppression_refresh_s=0.05)
    collector.client.close()
    # Purges and verifications scan the lake: more than the default 5 s on a busy machine.
    collector.client = httpx.Client(base_url=collector.url, timeout=120)
    try:
        yield collector
    finally:
        collector.client.close()
        server.stop()


def _wait_suppressing(live: LiveCollector, count: int = 1) -> None:
    wait_until(
        lambda: len(live.runtime.acceptor.suppression.digests) >= count,
        "the collector picked up the erasure",
    )


def _ndjson(events: list[dict[str, object]]) -> bytes:
    return b"\n".join(orjson.dumps(e) for e in events)


def test_only_admins_use_the_privacy_api(live: LiveCollector) -> None:
    assert live.client.get("/v1/dsar").status_code == 401
    analyst = live.client.get("/v1/dsar", headers=gate_token(live, "analyst"))
    assert analyst.status_code == 403
    assert analyst.json()["error"]["code"] == "ACCESS_DENIED"
    admin = gate_token(live, "admin")
    bad = live.client.post("/v1/dsar", json={"subject": "not an id!"}, headers=admin)
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "DSAR_INVALID"
    # The answer names the JSON field, not the command line's --subject.
    assert bad.json()["error"]["message"].startswith("subject 'not an id!' is not a user id")
    hold = {"subject": "u_1", "case": "c1", "reason": "r", "until": "2020-01-01"}
    past = live.client.post("/v1/holds", json=hold, headers=admin).json()
    assert past["error"]["message"] == "until 2020-01-01 is in the past."
    assert live.client.get("/v1/dsar/nope", headers=admin).json()["error"]["code"] == "DSAR_INVALID"


def test_erased_subjects_events_are_suppressed_with_their_own_status(live: LiveCollector) -> None:
    admin = gate_token(live, "admin")
    filed = live.client.post(
        "/v1/dsar", json={"subject": ERASED, "reason": "ticket 7"}, headers=admin
    )
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["request_id"]
    assert filed.json()["state"] == "excluded"
    again = live.client.post("/v1/dsar", json={"subject": ERASED}, headers=admin)
    assert again.status_code == 200
    assert again.json()["request_id"] == request_id
    _wait_suppressing(live)

    mine, other, broken = fresh_events(3)
    mine["user_id"] = ERASED
    broken["user_id"] = ERASED
    broken["v"] = 999  # no such version: would be quarantined with its raw text
    response = live.post(_ndjson([mine, other, broken]))
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["suppressed"], body["rejected"]) == (1, 2, 0)
    statuses = {r["index"]: (r["status"], r["code"]) for r in body["results"]}
    assert statuses == {
        0: ("suppressed", "EVENT_SUBJECT_ERASED"),
        2: ("suppressed", "EVENT_SUBJECT_ERASED"),
    }
    live.wait_landed(1)
    live.wait_idle()
    assert live.bronze(f"SELECT count(*) FROM t WHERE user_id = '{ERASED}'") == [(0,)]
    assert live.bronze("SELECT count(*) FROM t") == [(1,)]
    assert not any(ERASED in str(row) for row in live.bad())
    metrics = live.client.get("/metrics").text
    assert 'rastup_ingest_events_total{outcome="suppressed"} 2.0' in metrics
    assert 'code="EVENT_SUBJECT_ERASED"' in metrics
    status = live.client.get(f"/v1/dsar/{request_id}", headers=admin).json()
    assert [h["event"] for h in status["history"]][:2] == ["received", "excluded"]
    assert ERASED not in orjson.dumps(status).decode()


def test_an_erased_subject_gets_no_assignment(live: LiveCollector) -> None:
    admin = gate_token(live, "admin")
    assert live.client.post("/v1/dsar", json={"subject": ERASED}, headers=admin).status_code == 201
    _wait_suppressing(live)
    refused = live.client.post(
        "/v1/assign",
        json={"experiment": "search_ranking_v2", "user_id": ERASED},
        headers={"Authorization": "Bearer test-key-0123456789"},
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "EVENT_SUBJECT_ERASED"


def test_holds_purge_and_verify_over_http(live: LiveCollector) -> None:
    admin = gate_token(live, "admin")
    live.post(_ndjson([{**fresh_events(1)[0], "user_id": ERASED}]))
    live.wait_landed(1)
    live.wait_idle()
    placed = live.client.post(
        "/v1/holds",
        json={"subject": ERASED, "case": "LIT-1", "reason": "litigation"},
        headers=admin,
    )
    assert placed.status_code == 201, placed.text
    request_id = live.client.post("/v1/dsar", json={"subject": ERASED}, headers=admin).json()[
        "request_id"
    ]
    blocked = live.client.post("/v1/dsar/purge", json={}, headers=admin)
    assert blocked.status_code == 409
    assert blocked.json()["blocked"] == [{"request_id": request_id, "case": "LIT-1"}]
    assert live.client.get("/v1/holds", headers=admin).json()[0]["case"] == "LIT-1"
    released = live.client.post("/v1/holds/LIT-1/release", headers=admin)
    assert released.status_code == 200
    purged = live.client.post("/v1/dsar/purge", json={}, headers=admin)
    assert purged.status_code == 200
    assert purged.json()["purged"] == [request_id]
    verified = live.client.post(f"/v1/dsar/{request_id}/verify", headers=admin)
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True
    assert ERASED not in verified.text
    stored = live.client.get(f"/v1/dsar/{request_id}/certificate", headers=admin)
    assert stored.json()["checksum"] == verified.json()["checksum"]
    # Verified: raw ids are gone from the state database, suppression continues by hash.
    assert live.runtime.acceptor.suppression.active
    again = live.post(_ndjson([{**fresh_events(1)[0], "user_id": ERASED}]))
    assert again.json()["suppressed"] == 1
