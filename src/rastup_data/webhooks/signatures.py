"""The two signature schemes providers use, verified in constant time, ±tolerance both ways.

Stripe's scheme (``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]``): HMAC-SHA256 keyed
with the secret text over ``"{t}.{raw body}"``; several ``v1`` entries while a secret
rotates. The Standard Webhooks scheme (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64> [v1,<base64>…]``): HMAC-SHA256 keyed with the base64
decoded secret (after ``whsec_``) over ``"{id}.{timestamp}.{raw body}"``.

Stripe's own libraries only refuse old timestamps; here a timestamp more than the
tolerance in the future is refused too (a leaked future-dated delivery would otherwise be
replayable until then). Every failure is one of two codes and says nothing about which
part was wrong.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "TOLERANCE_S",
    "SignedDelivery",
    "sign_stripe",
    "verify_standard_webhook",
    "verify_stripe",
]

#: Largest accepted distance between a delivery's timestamp and the receiver's clock.
TOLERANCE_S = 300


@dataclass(frozen=True, slots=True)
class SignedDelivery:
    """A delivery whose signature checked out: its signing time and the provider's
    delivery id when the scheme carries one (Standard Webhooks' ``webhook-id``)."""

    signed_at: int
    delivery_id: str | None


def _bad_signature() -> RastupError:
    return RastupError(ErrorCode.WEBHOOK_SIGNATURE_INVALID, "missing or invalid signature")


def _check_time(signed_at: int, now: float, tolerance: int) -> None:
    if abs(now - signed_at) > tolerance:
        raise RastupError(
            ErrorCode.WEBHOOK_TIMESTAMP_OUT_OF_RANGE,
            f"delivery timestamp is more than {tolerance} s from the receiver's clock",
        )


def _matches(expected: bytes, presented: Sequence[bytes]) -> bool:
    found = False
    for candidate in presented:  # compare every candidate: no early exit on a match
        found |= hmac.compare_digest(expected, candidate)
    return found


def _stripe_digest(secret: str, timestamp: int, body: bytes) -> bytes:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).digest()


def sign_stripe(secret: str, body: bytes, *, timestamp: int) -> str:
    """The ``t=<unix>,v1=<hex>`` signature header of ``body`` (what :func:`verify_stripe`
    checks); the platform's own outgoing webhooks (alerts) are signed with it."""
    return f"t={timestamp},v1={_stripe_digest(secret, timestamp, body).hex()}"


def verify_stripe(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    *,
    now: float,
    tolerance: int = TOLERANCE_S,
) -> SignedDelivery:
    """Check ``Stripe-Signature`` against every configured secret."""
    header = headers.get("stripe-signature", "")
    timestamp, signatures = None, []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            try:
                signatures.append(bytes.fromhex(value))
            except ValueError:
                continue
    if timestamp is None or not signatures:
        raise _bad_signature()
    if not any(_matches(_stripe_digest(s, timestamp, body), signatures) for s in secrets):
        raise _bad_signature()
    _check_time(timestamp, now, tolerance)
    return SignedDelivery(timestamp, None)


def verify_standard_webhook(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    *,
    now: float,
    tolerance: int = TOLERANCE_S,
) -> SignedDelivery:
    """Check ``webhook-signature`` over ``webhook-id`` and ``webhook-timestamp``."""
    delivery_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not delivery_id or len(delivery_id) > 256 or not timestamp.isdigit():
        raise _bad_signature()
    presented = []
    for item in headers.get("webhook-signature", "").split(" "):
        version, _, value = item.partition(",")
        if version != "v1":
            continue
        try:
            presented.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    if not presented:
        raise _bad_signature()
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    keys = [_standard_key(s) for s in secrets]
    if not any(
        k and _matches(hmac.new(k, signed, hashlib.sha256).digest(), presented) for k in keys
    ):
        raise _bad_signature()
    _check_time(int(timestamp), now, tolerance)
    return SignedDelivery(int(timestamp), delivery_id)


def _standard_key(secret: str) -> bytes:
    text = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return b""
