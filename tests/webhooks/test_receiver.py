"""Reading deliveries: event ids from the provider's ids, replays, quarantine reasons."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
import stripe

from rastup_data.config import parse_webhook_secrets
from rastup_data.contracts import load_validator
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.webhooks import MemoryNonces, WebhookReceiver, webhook_event_id

NOW = 1_790_000_000.0


def _receiver(nonces: MemoryNonces | None = None) -> WebhookReceiver:
    return WebhookReceiver({"payments": ("whsec_s",)}, nonces or MemoryNonces(), lambda: NOW)


def _signed(body: bytes, at: int = int(NOW)) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), "whsec_s", at)
    return {"stripe-signature": header}


def _charge_event(event_id: str = "evt_1") -> bytes:
    return orjson.dumps(
        {
            "id": event_id,
            "type": "charge.succeeded",
            "created": 1_789_999_990,
            "data": {
                "object": {
                    "id": "ch_1",
                    "amount": 100,
                    "currency": "eur",
                    "metadata": {"booking_id": "bk_1"},
                }
            },
        }
    )


def test_envelopes_validate_and_carry_a_name_based_event_id() -> None:
    receiver = _receiver()
    reading = receiver.read(
        receiver.provider("payments"), _signed(_charge_event()), _charge_event()
    )
    (envelope,) = reading.envelopes
    assert envelope["ids"]["event_id"] == webhook_event_id("payments", "evt_1")
    namespace = uuid.uuid5(uuid.NAMESPACE_DNS, "webhooks.rastup.com")
    assert envelope["ids"]["event_id"] == str(uuid.uuid5(namespace, "payments:evt_1:0"))
    created = datetime.fromtimestamp(1_789_999_990, UTC)
    assert envelope["occurred_at"] == created.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert envelope["payload"]["currency"] == "EUR"
    stamped = {**envelope, "received_at": "2026-09-21T11:40:00.000000Z"}
    assert load_validator().check(stamped) is None


def test_replays_are_refused_until_forgotten() -> None:
    nonces = MemoryNonces()
    receiver = _receiver(nonces)
    provider = receiver.provider("payments")
    body = _charge_event("evt_2")
    reading = receiver.read(provider, _signed(body), body)
    with pytest.raises(RastupError) as caught:
        receiver.read(provider, _signed(body), body)
    assert caught.value.code is ErrorCode.WEBHOOK_REPLAYED
    receiver.forget(reading)
    assert receiver.read(provider, _signed(body), body).envelopes
    # A re-signed retry is a new delivery.
    assert receiver.read(provider, _signed(body, int(NOW) + 1), body).envelopes


def test_a_signed_body_that_is_not_json_is_quarantined() -> None:
    receiver = _receiver()
    reading = receiver.read(receiver.provider("payments"), _signed(b"not json"), b"not json")
    assert reading.quarantine is not None
    assert reading.quarantine.code is ErrorCode.WEBHOOK_PAYLOAD_INVALID
    assert reading.delivery_id.startswith("sha256:")


def test_unconfigured_providers_are_unknown() -> None:
    for name in ("idv", "nope"):
        with pytest.raises(RastupError) as caught:
            _receiver().provider(name)
        assert caught.value.code is ErrorCode.WEBHOOK_PROVIDER_UNKNOWN


def test_secrets_text_keeps_rotations_and_names_bad_entries() -> None:
    assert parse_webhook_secrets("payments=whsec_a, idv=whsec_b,payments=whsec_c,") == {
        "payments": ("whsec_a", "whsec_c"),
        "idv": ("whsec_b",),
    }
    with pytest.raises(ValueError, match="entry 2") as caught:
        parse_webhook_secrets("payments=whsec_a,whsec_secretvalue")
    assert "secretvalue" not in str(caught.value)
