"""The webhook sink: POST ``{"alerts": [...]}`` to a URL, signed like Stripe's webhooks.

``X-Rastup-Signature: t=<unix>,v1=<hex>`` where ``hex`` is HMAC-SHA256 keyed with the
secret over ``"<t>.<raw body>"`` (:func:`rastup_data.webhooks.signatures.sign_stripe`), so a
receiver verifies it with any Stripe-compatible verifier and refuses stale timestamps.
A delivery is tried three times (1 s, 2 s apart); a failure is logged and never stops the
evaluator.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import httpx
import orjson

from rastup_data.alerts.history import Notification
from rastup_data.webhooks.signatures import sign_stripe

__all__ = ["SIGNATURE_HEADER", "WebhookSink"]

SIGNATURE_HEADER = "X-Rastup-Signature"
log = logging.getLogger(__name__)


class WebhookSink:
    name = "webhook"

    def __init__(self, url: str, secret: str, *, timeout_s: float = 5.0, attempts: int = 3) -> None:
        self.url = url
        self.secret = secret
        self.timeout_s = timeout_s
        self.attempts = attempts

    def send(self, notes: Sequence[Notification]) -> None:
        body = orjson.dumps({"alerts": [note.to_json() for note in notes]})
        for attempt in range(1, self.attempts + 1):
            headers = {
                "content-type": "application/json",
                SIGNATURE_HEADER: sign_stripe(self.secret, body, timestamp=int(time.time())),
            }
            try:
                response = httpx.post(
                    self.url, content=body, headers=headers, timeout=self.timeout_s
                )
                if response.status_code < 300:
                    return
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            if attempt < self.attempts:
                time.sleep(attempt)
        log.error("alert webhook %s refused %d notification(s): %s", self.url, len(notes), problem)
