"""The providers the collector takes webhooks from: path name → signature scheme and
normalizer. A new provider is one module here and one entry in ``PROVIDERS``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rastup_data.webhooks.providers._base import CanonicalEvent, Normalized, Normalizer
from rastup_data.webhooks.providers.email import normalize_email
from rastup_data.webhooks.providers.identity import normalize_identity
from rastup_data.webhooks.providers.payments import normalize_payment
from rastup_data.webhooks.signatures import (
    SignedDelivery,
    verify_standard_webhook,
    verify_stripe,
)

__all__ = ["PROVIDERS", "CanonicalEvent", "Normalized", "Provider", "Verifier"]

#: ``(lower-cased headers, raw body, secrets, now=…) -> SignedDelivery``; raises on failure.
Verifier = Callable[..., SignedDelivery]


@dataclass(frozen=True, slots=True)
class Provider:
    """How one provider signs its deliveries and what its notifications mean."""

    name: str
    scheme: str
    verify: Verifier
    normalize: Normalizer


PROVIDERS: Mapping[str, Provider] = {
    "payments": Provider("payments", "stripe", verify_stripe, normalize_payment),
    "idv": Provider("idv", "standard-webhooks", verify_standard_webhook, normalize_identity),
    "email": Provider("email", "standard-webhooks", verify_standard_webhook, normalize_email),
}


def provider_names() -> Sequence[str]:
    return sorted(PROVIDERS)
