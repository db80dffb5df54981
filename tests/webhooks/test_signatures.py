"""The signature checks agree with the providers' own libraries, and go further on time."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook, WebhookVerificationError

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.webhooks.signatures import verify_standard_webhook, verify_stripe

NOW = 1_790_000_000
SECRET = "whsec_" + base64.b64encode(b"k" * 24).decode()


@settings(max_examples=60, deadline=None)
@given(
    body=st.binary(max_size=300).map(lambda b: b.hex().encode()),
    skew=st.integers(-400, 0),
    tamper=st.booleans(),
)
def test_stripe_scheme_agrees_with_stripes_library(body: bytes, skew: int, tamper: bool) -> None:
    now = time.time()
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), "whsec_s", timestamp=int(now) + skew
    )
    sent = body + (b"0" if tamper else b"")
    try:
        stripe.WebhookSignature.verify_header(sent.decode(), header, "whsec_s", tolerance=300)
        library_ok = True
    except stripe.SignatureVerificationError:
        library_ok = False
    try:
        verify_stripe({"stripe-signature": header}, sent, ["whsec_s"], now=now)
        ours_ok = True
    except RastupError:
        ours_ok = False
    if abs(skew) not in range(298, 303):  # the two reads of the clock differ a little
        assert ours_ok == library_ok
    assert ours_ok == (not tamper and abs(int(now) + skew - now) <= 300)


def test_stripe_scheme_refuses_the_future_that_stripes_library_accepts() -> None:
    header = stripe.WebhookSignature.generate_signature_header("{}", "whsec_s", NOW + 301)
    with pytest.raises(RastupError) as caught:
        verify_stripe({"stripe-signature": header}, b"{}", ["whsec_s"], now=NOW)
    assert caught.value.code is ErrorCode.WEBHOOK_TIMESTAMP_OUT_OF_RANGE


@pytest.mark.parametrize(
    "header",
    ["", "t=1", "v1=abc", "t=x,v1=00", f"t={NOW},v1=zz", f"t={NOW},v0=00"],
)
def test_malformed_stripe_headers_are_one_code(header: str) -> None:
    with pytest.raises(RastupError) as caught:
        verify_stripe({"stripe-signature": header}, b"{}", ["whsec_s"], now=NOW)
    assert caught.value.code is ErrorCode.WEBHOOK_SIGNATURE_INVALID
    assert caught.value.message == "missing or invalid signature"


@settings(max_examples=60, deadline=None)
@given(
    body=st.text(max_size=200),
    msg_id=st.from_regex(r"msg_[A-Za-z0-9]{1,20}", fullmatch=True),
    skew=st.integers(-400, 400),
    tamper=st.booleans(),
)
def test_standard_scheme_agrees_with_standardwebhooks(
    body: str, msg_id: str, skew: int, tamper: bool
) -> None:
    now = datetime.now(UTC).timestamp()
    moment = datetime.fromtimestamp(int(now) + skew, UTC)
    signature = Webhook(SECRET).sign(msg_id, moment, body)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
    sent = body + ("x" if tamper else "")
    try:
        Webhook(SECRET).verify(sent.encode(), headers, json_parse=False)
        library_ok = True
    except WebhookVerificationError:
        library_ok = False
    try:
        verify_standard_webhook(headers, sent.encode(), [SECRET], now=now)
        ours_ok = True
    except RastupError:
        ours_ok = False
    if abs(skew) not in range(295, 306):  # the two clocks read a moment apart
        assert ours_ok == library_ok


def test_standard_scheme_takes_any_matching_signature_of_several() -> None:
    moment = datetime.fromtimestamp(NOW, UTC)
    ours = Webhook(SECRET).sign("msg_1", moment, "{}")
    other = Webhook("whsec_" + base64.b64encode(b"o" * 24).decode()).sign("msg_1", moment, "{}")
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(NOW),
        "webhook-signature": f"{other} v2,abc {ours}",
    }
    delivery = verify_standard_webhook(headers, b"{}", ["whsec_bm90IGl0", SECRET], now=NOW)
    assert delivery.delivery_id == "msg_1"
    assert delivery.signed_at == NOW
