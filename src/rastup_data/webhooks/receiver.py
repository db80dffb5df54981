"""From a signed delivery to what the collector stores: envelopes, or one quarantine record.

Order of checks, each with its own code and no detail of what exactly failed:

1. a known, configured provider (``WEBHOOK_PROVIDER_UNKNOWN``, 404)
2. the signature (``WEBHOOK_SIGNATURE_INVALID``, 401), then the timestamp within ±300 s
   (``WEBHOOK_TIMESTAMP_OUT_OF_RANGE``, 401)
3. not a replay of a delivery already received (``WEBHOOK_REPLAYED``, 409)
4. the notification: a mapped type becomes catalogue envelopes; an unknown type
   (``WEBHOOK_EVENT_UNSUPPORTED``) or an unreadable one (``WEBHOOK_PAYLOAD_INVALID``) is
   acknowledged and quarantined with its raw body, since providers retry any non-2xx.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.webhooks.envelopes import envelope_for, webhook_event_id
from rastup_data.webhooks.nonces import NonceStore
from rastup_data.webhooks.providers import PROVIDERS, Normalized, Provider
from rastup_data.webhooks.signatures import SignedDelivery

__all__ = ["Quarantine", "Reading", "WebhookReceiver"]


@dataclass(frozen=True, slots=True)
class Quarantine:
    """A signed notification kept raw under a code instead of becoming events."""

    code: ErrorCode
    message: str
    event_id: str
    label: str


@dataclass(frozen=True, slots=True)
class Reading:
    """The outcome of reading one delivery: envelopes or a quarantine, and its replay key."""

    provider: str
    delivery_id: str
    signed_at: int
    provider_type: str
    envelopes: tuple[dict[str, Any], ...] = ()
    quarantine: Quarantine | None = None


class WebhookReceiver:
    """Verifies and reads deliveries for the providers that have secrets configured."""

    def __init__(
        self,
        secrets: Mapping[str, Sequence[str]],
        nonces: NonceStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.secrets = {name: tuple(values) for name, values in secrets.items() if values}
        self.nonces = nonces
        self.clock = clock

    def provider(self, name: str) -> Provider:
        provider = PROVIDERS.get(name)
        if provider is None or name not in self.secrets:
            raise RastupError(
                ErrorCode.WEBHOOK_PROVIDER_UNKNOWN, "no webhook endpoint for this provider"
            )
        return provider

    def read(self, provider: Provider, headers: Mapping[str, str], body: bytes) -> Reading:
        """Verify, refuse replays, and normalize one delivery (raises the refusals)."""
        now = self.clock()
        delivery = provider.verify(headers, body, self.secrets[provider.name], now=now)
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            document = None
        delivery_id = _delivery_id(delivery, document, body)
        if not self.nonces.remember(provider.name, delivery_id, delivery.signed_at, now=int(now)):
            raise RastupError(ErrorCode.WEBHOOK_REPLAYED, "this delivery was already received")
        return self._normalized(provider, delivery, delivery_id, document)

    def forget(self, reading: Reading) -> None:
        """The delivery was not stored: let the provider's retry of it through."""
        self.nonces.forget(reading.provider, reading.delivery_id, reading.signed_at)

    def _normalized(
        self, provider: Provider, delivery: SignedDelivery, delivery_id: str, document: Any
    ) -> Reading:
        base = Reading(provider.name, delivery_id, delivery.signed_at, "")
        if not isinstance(document, dict):
            return _quarantined(
                base, ErrorCode.WEBHOOK_PAYLOAD_INVALID, "body is not a JSON object"
            )
        try:
            normalized = provider.normalize(document, delivery.delivery_id)
        except RastupError as exc:
            return _quarantined(base, exc.code, exc.message, str(document.get("type", ""))[:100])
        if not normalized.supported:
            return _quarantined(
                base,
                ErrorCode.WEBHOOK_EVENT_UNSUPPORTED,
                "notification type is not mapped to a catalogue event",
                normalized.provider_type[:100],
                normalized,
            )
        envelopes = tuple(
            envelope_for(provider.name, normalized.provider_event_id, index, event)
            for index, event in enumerate(normalized.events)
        )
        return Reading(
            provider.name, delivery_id, delivery.signed_at, normalized.provider_type, envelopes
        )


def _delivery_id(delivery: SignedDelivery, document: Any, body: bytes) -> str:
    if delivery.delivery_id:
        return delivery.delivery_id
    if isinstance(document, dict) and isinstance(document.get("id"), str):
        return str(document["id"])[:256]
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _quarantined(
    base: Reading,
    code: ErrorCode,
    message: str,
    provider_type: str = "",
    normalized: Normalized | None = None,
) -> Reading:
    source = normalized.provider_event_id if normalized else base.delivery_id
    quarantine = Quarantine(
        code,
        message,
        webhook_event_id(base.provider, source),
        f"webhook.{base.provider}:{provider_type or 'unknown'}",
    )
    return Reading(base.provider, base.delivery_id, base.signed_at, provider_type, (), quarantine)
