"""POST /v1/assign on a real collector: sticky variants, exposure logged once into Bronze."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import KEY, LiveCollector, gate_token, start_collector

REPO = Path(__file__).parents[2]


@pytest.fixture
def assign_collector(tmp_path: Path) -> LiveCollector:
    live, server = start_collector(tmp_path / "lake", experiments_dir=REPO / "experiments")
    yield live  # type: ignore[misc]
    live.client.close()
    server.stop()


def _assign(live: LiveCollector, **body: object) -> dict[str, object]:
    response = live.client.post("/v1/assign", json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


def test_assignment_is_sticky_and_exposure_lands_once(assign_collector: LiveCollector) -> None:
    first = _assign(assign_collector, experiment="checkout_copy", anon_id="a_visitor1")
    assert first["variant"] in {"control", "treatment"}
    assert first["exposure_logged"] is True
    again = _assign(assign_collector, experiment="checkout_copy", anon_id="a_visitor1")
    assert again["variant"] == first["variant"]
    assert again["exposure_logged"] is False
    # After login the person keeps the variant the anonymous id got.
    login = _assign(
        assign_collector, experiment="checkout_copy", anon_id="a_visitor1", user_id="u_person1"
    )
    assert login["variant"] == first["variant"]
    assign_collector.wait_idle()
    rows = assign_collector.bronze(
        "SELECT json_extract_string(payload, '$.exp_key'), "
        "json_extract_string(payload, '$.variant') FROM t WHERE event = 'exp.exposure'"
    )
    assert rows
    assert {r[1] for r in rows} == {first["variant"]}
    assert all(r[0] == "checkout_copy" for r in rows)
    assert len(rows) <= 2  # once per unit id (anonymous, then the linked user at most)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"experiment": "no_such_experiment", "anon_id": "a_x"}, "EXPERIMENT_INVALID"),
        ({"anon_id": "a_x"}, "EXPERIMENT_INVALID"),
        ({"experiment": "checkout_copy"}, "EXPERIMENT_INVALID"),
        ({"experiment": "checkout_copy", "anon_id": 5}, "EXPERIMENT_INVALID"),
        ({"experiment": "checkout_copy", "anon_id": "a_x", "extra": 1}, "EXPERIMENT_INVALID"),
    ],
)
def test_bad_assign_requests_get_coded_400s(
    assign_collector: LiveCollector, body: dict[str, object], code: str
) -> None:
    response = assign_collector.client.post(
        "/v1/assign", json=body, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_assign_needs_a_key_and_a_json_object(assign_collector: LiveCollector) -> None:
    assert assign_collector.client.post("/v1/assign", json={}).status_code == 401
    auth = {"Authorization": f"Bearer {KEY}"}
    response = assign_collector.client.post(
        "/v1/assign", content=b"[1", headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BODY_MALFORMED"
    untyped = assign_collector.client.post("/v1/assign", content=b"{}", headers=auth)
    assert untyped.status_code == 415
    assert untyped.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_experiment_report_needs_a_gate_token(assign_collector: LiveCollector) -> None:
    for headers in ({}, {"Authorization": f"Bearer {KEY}"}):
        refused = assign_collector.client.get(
            "/experiments/checkout_copy", headers=headers, timeout=60
        )
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "AUTH_TOKEN_INVALID"


def test_experiment_report_before_any_build_is_503(assign_collector: LiveCollector) -> None:
    auth = gate_token(assign_collector)
    response = assign_collector.client.get("/experiments/checkout_copy", headers=auth, timeout=60)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "QUERY_INVALID"
    missing = assign_collector.client.get(
        "/experiments/no_such_experiment", headers=auth, timeout=60
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "EXPERIMENT_INVALID"
    # The public answer names no folder or file of the server.
    assert str(assign_collector.layout.root) not in missing.text
    assert "/" not in missing.json()["error"]["message"]
