"""Provider webhooks against a real collector on loopback, signed with the providers' own
packages (stripe's test signing helper, standardwebhooks)."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import stripe
from standardwebhooks import Webhook

from rastup_data.state import open_state
from rastup_data.webhooks import webhook_event_id

from .conftest import LiveCollector, start_collector

STRIPE_SECRET = "whsec_test_payments_0123456789"
OLD_STRIPE_SECRET = "whsec_test_payments_previous"
IDV_SECRET = "whsec_" + base64.b64encode(b"identity-provider-secret-key-32b").decode()
EMAIL_SECRET = "whsec_" + base64.b64encode(b"email-provider-signing-secret!!!").decode()


@pytest.fixture
def hooks(tmp_path: Path) -> Iterator[LiveCollector]:
    live, server = start_collector(
        tmp_path / "lake",
        webhook_secrets={
            "payments": (STRIPE_SECRET, OLD_STRIPE_SECRET),
            "idv": (IDV_SECRET,),
            "email": (EMAIL_SECRET,),
        },
    )
    try:
        yield live
    finally:
        live.client.close()
        server.stop()


def stripe_event(kind: str, obj: dict[str, Any], **extra: Any) -> bytes:
    """A Stripe event object as Stripe documents it."""
    event = {
        "id": f"evt_{abs(hash((kind, obj.get('id')))) % 10**12:012d}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()) - 5,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
        "data": {"object": obj, **extra},
    }
    return orjson.dumps(event)


def charge(charge_id: str = "ch_3MxQ81", amount: int = 62000) -> dict[str, Any]:
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "currency": "usd",
        "status": "succeeded",
        "billing_details": {"email": "someone@example.com", "name": "Jane Doe"},
        "metadata": {"booking_id": "bk_01HXD4QW", "city": "nyc"},
    }


def post_stripe(
    live: LiveCollector, body: bytes, secret: str = STRIPE_SECRET, at: int | None = None
) -> httpx.Response:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=at)
    return live.client.post(
        "/v1/webhooks/payments", content=body, headers={"Stripe-Signature": header}
    )


def post_standard(
    live: LiveCollector,
    provider: str,
    secret: str,
    body: bytes,
    msg_id: str,
    at: datetime | None = None,
) -> httpx.Response:
    moment = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, moment, body.decode())
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
    return live.client.post(f"/v1/webhooks/{provider}", content=body, headers=headers)


def test_a_charge_becomes_a_catalogue_event_once(hooks: LiveCollector) -> None:
    body = stripe_event("charge.succeeded", charge())
    first = post_stripe(hooks, body)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted"
    assert first.json()["accepted"] == 1
    # The provider's retry: same event, re-signed later. Acknowledged, stored once.
    retry = post_stripe(hooks, body, at=int(time.time()) + 1)
    assert retry.status_code == 200
    assert retry.json()["duplicates"] == 1
    hooks.wait_landed(1)
    rows = hooks.bronze("SELECT event, event_id, payload, context FROM t ORDER BY received_at")
    assert len(rows) == 1
    event, event_id, payload, context = rows[0]
    assert event == "payment.charge.succeeded"
    assert event_id == webhook_event_id("payments", orjson.loads(body)["id"])
    assert orjson.loads(payload) == {
        "charge_id": "ch_3MxQ81",
        "booking_id": "bk_01HXD4QW",
        "amount_cents": 62000,
        "currency": "USD",
    }
    assert orjson.loads(context)["city"] == "nyc"
    assert "example.com" not in payload


def test_an_exact_replay_is_refused_and_remembered_in_the_state_db(
    hooks: LiveCollector,
) -> None:
    body = stripe_event("charge.succeeded", charge("ch_replay"))
    at = int(time.time())
    assert post_stripe(hooks, body, at=at).status_code == 200
    replay = post_stripe(hooks, body, at=at)
    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "WEBHOOK_REPLAYED"
    with open_state(lake=hooks.layout.root) as db:
        rows = db.fetchall("SELECT provider, signed_at FROM webhook_deliveries")
    assert rows == [("payments", at)]


@pytest.mark.parametrize("skew", [-302, 302])
def test_timestamps_outside_300_s_are_refused_both_ways(hooks: LiveCollector, skew: int) -> None:
    body = stripe_event("charge.succeeded", charge("ch_skew"))
    response = post_stripe(hooks, body, at=int(time.time()) + skew)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "WEBHOOK_TIMESTAMP_OUT_OF_RANGE"
    inside = post_stripe(hooks, body, at=int(time.time()) + skew // 2)
    assert inside.status_code == 200


def test_bad_or_missing_signatures_are_refused_without_detail(hooks: LiveCollector) -> None:
    body = stripe_event("charge.succeeded", charge("ch_forged"))
    forged = post_stripe(hooks, body, secret="whsec_not_ours")
    missing = hooks.client.post("/v1/webhooks/payments", content=body)
    tampered_header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), STRIPE_SECRET
    )
    tampered = hooks.client.post(
        "/v1/webhooks/payments",
        content=body.replace(b"62000", b"99999"),
        headers={"Stripe-Signature": tampered_header},
    )
    for response in (forged, missing, tampered):
        assert response.status_code == 401
        assert response.json() == {
            "error": {
                "code": "WEBHOOK_SIGNATURE_INVALID",
                "message": "missing or invalid signature",
            }
        }
    hooks.wait_idle()
    assert hooks.bronze()[0][0] == 0
    assert hooks.bad() == []


def test_a_rotated_secret_and_several_v1_signatures_are_accepted(hooks: LiveCollector) -> None:
    old = stripe_event("charge.succeeded", charge("ch_old_secret"))
    assert post_stripe(hooks, old, secret=OLD_STRIPE_SECRET).status_code == 200
    body = stripe_event("charge.succeeded", charge("ch_two_sigs"))
    at = int(time.time())
    ours = stripe.WebhookSignature.generate_signature_header(body.decode(), STRIPE_SECRET, at)
    other = stripe.WebhookSignature.generate_signature_header(body.decode(), "whsec_x", at)
    header = other + "," + ours.split(",", 1)[1]  # t=…,v1=<other>,v1=<ours>
    response = hooks.client.post(
        "/v1/webhooks/payments", content=body, headers={"Stripe-Signature": header}
    )
    assert response.status_code == 200, response.text


def test_unknown_types_are_acknowledged_and_quarantined(hooks: LiveCollector) -> None:
    body = stripe_event("customer.created", {"id": "cus_1", "email": "x@example.com"})
    response = post_stripe(hooks, body)
    assert response.status_code == 200
    assert response.json()["status"] == "quarantined"
    assert response.json()["code"] == "WEBHOOK_EVENT_UNSUPPORTED"
    broken = stripe_event("charge.succeeded", {**charge("ch_nometa"), "metadata": {}})
    invalid = post_stripe(hooks, broken)
    assert invalid.status_code == 200
    assert invalid.json()["code"] == "WEBHOOK_PAYLOAD_INVALID"
    hooks.wait_idle()
    bad = {code: raw for code, _, raw in hooks.bad()}
    assert orjson.loads(bad["WEBHOOK_EVENT_UNSUPPORTED"])["type"] == "customer.created"
    assert orjson.loads(bad["WEBHOOK_PAYLOAD_INVALID"])["data"]["object"]["id"] == "ch_nometa"


def test_unknown_or_unconfigured_providers_and_big_bodies(tmp_path: Path) -> None:
    live, server = start_collector(tmp_path / "lake", webhook_secrets={"payments": ("whsec_a",)})
    try:
        for path in ("/v1/webhooks/paypal", "/v1/webhooks/idv"):
            response = live.client.post(path, content=b"{}")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "WEBHOOK_PROVIDER_UNKNOWN"
        big = b'{"id": "evt_big", "pad": "' + b"x" * (300 * 1024) + b'"}'
        response = live.client.post(
            "/v1/webhooks/payments", content=big, headers={"Stripe-Signature": "t=1,v1=00"}
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "BODY_TOO_LARGE"
    finally:
        live.client.close()
        server.stop()


def test_payouts_refunds_and_disputes(hooks: LiveCollector) -> None:
    payout = {
        "id": "po_1",
        "object": "payout",
        "amount": 38250,
        "currency": "usd",
        "metadata": {"provider_id": "pr_7", "booking_id": "bk_1", "leg_id": "lg_1"},
    }
    refund = {
        "id": "re_1",
        "object": "refund",
        "amount": 500,
        "currency": "usd",
        "charge": "ch_1",
        "status": "succeeded",
        "reason": None,
        "metadata": {"booking_id": "bk_1"},
    }
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "amount": 900,
        "currency": "usd",
        "charge": "ch_1",
        "reason": "fraudulent",
        "status": "warning_closed",
        "metadata": {"booking_id": "bk_1"},
    }
    deliveries = [
        stripe_event("payout.created", payout),
        stripe_event("payout.paid", payout),
        stripe_event("payout.failed", {**payout, "failure_code": "account_closed"}),
        stripe_event("refund.updated", refund, previous_attributes={"status": "pending"}),
        stripe_event(
            "refund.updated", {**refund, "id": "re_2"}, previous_attributes={"metadata": {}}
        ),
        stripe_event("charge.dispute.created", {**dispute, "status": "needs_response"}),
        stripe_event("charge.dispute.closed", dispute),
    ]
    statuses = [post_stripe(hooks, body).json()["status"] for body in deliveries]
    assert statuses == ["accepted"] * 4 + ["ignored"] + ["accepted"] * 2
    hooks.wait_landed(6)
    rows = hooks.bronze("SELECT event, payload FROM t ORDER BY event")
    payloads = {event: orjson.loads(p) for event, p in rows}
    assert payloads["payout.failed"]["failure_code"] == "account_closed"
    assert payloads["payment.refund.succeeded"]["reason"] == "unspecified"
    assert payloads["dispute.resolved"] == {"dispute_id": "dp_1", "outcome": "withdrawn"}
    assert payloads["dispute.opened"]["amount_cents"] == 900
    assert hooks.bad() == []


def test_identity_verification_with_standard_webhooks(hooks: LiveCollector) -> None:
    passed = orjson.dumps(
        {
            "type": "verification.passed",
            "timestamp": "2026-11-20T14:03:07Z",
            "data": {"id": "ver_1", "reference_id": "chk_9", "status": "passed"},
        }
    )
    failed = orjson.dumps(
        {
            "type": "verification.failed",
            "timestamp": "2026-11-20T14:05:00Z",
            "data": {"id": "ver_2", "reference_id": "chk_10", "reason_code": "document_expired"},
        }
    )
    assert post_standard(hooks, "idv", IDV_SECRET, passed, "msg_idv_1").status_code == 200
    assert post_standard(hooks, "idv", IDV_SECRET, failed, "msg_idv_2").status_code == 200
    # The provider's retry keeps webhook-id and re-signs with a new timestamp.
    later = datetime.fromtimestamp(time.time() + 2, UTC)
    retry = post_standard(hooks, "idv", IDV_SECRET, passed, "msg_idv_1", later)
    assert retry.json()["duplicates"] == 1
    replay = post_standard(hooks, "idv", IDV_SECRET, passed, "msg_idv_1", later)
    assert replay.status_code == 409
    wrong = post_standard(hooks, "idv", EMAIL_SECRET, passed, "msg_idv_3")
    assert wrong.status_code == 401
    hooks.wait_landed(2)
    rows = hooks.bronze("SELECT event, payload, occurred_at FROM t ORDER BY event")
    assert [(e, orjson.loads(p)) for e, p, _ in rows] == [
        ("idv.failed", {"check_id": "chk_10", "reason_code": "document_expired"}),
        ("idv.passed", {"check_id": "chk_9"}),
    ]
    assert rows[1][2] == datetime(2026, 11, 20, 14, 3, 7, tzinfo=UTC)


def test_email_delivery_outcomes(hooks: LiveCollector) -> None:
    def email(kind: str, **data: Any) -> bytes:
        return orjson.dumps(
            {
                "type": kind,
                "created_at": "2026-11-20T15:00:00.000Z",
                "data": {
                    "email_id": "4ef9a417",
                    "to": ["someone@example.com"],
                    "tags": {"message_id": "msg_77", "category": "marketing"},
                    **data,
                },
            }
        )

    deliveries = [
        email("email.delivered"),
        email("email.bounced", bounce={"type": "Permanent", "message": "mailbox unknown"}),
        email("email.complained"),
        email("email.unsubscribed"),
        email("email.opened"),
    ]
    answers = [
        post_standard(hooks, "email", EMAIL_SECRET, body, f"msg_mail_{i}").json()
        for i, body in enumerate(deliveries)
    ]
    assert [a["status"] for a in answers] == ["accepted"] * 4 + ["quarantined"]
    hooks.wait_landed(4)
    rows = dict(hooks.bronze("SELECT event, payload FROM t"))
    assert orjson.loads(rows["comms.bounced"]) == {
        "message_id": "msg_77",
        "channel": "email",
        "bounce_type": "hard",
    }
    assert orjson.loads(rows["comms.opted_out"]) == {"channel": "email", "category": "marketing"}
    assert set(rows) == {"comms.delivered", "comms.bounced", "comms.complained", "comms.opted_out"}
    assert all("example.com" not in payload for payload in rows.values())
