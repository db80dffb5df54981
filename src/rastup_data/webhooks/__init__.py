"""Provider webhooks: signature schemes, replay refusal, and normalizers that turn
provider notifications into catalogue events (served by the collector at
``POST /v1/webhooks/{provider}``)."""

from rastup_data.webhooks.envelopes import webhook_event_id as webhook_event_id
from rastup_data.webhooks.nonces import MemoryNonces as MemoryNonces
from rastup_data.webhooks.nonces import StateNonces as StateNonces
from rastup_data.webhooks.providers import PROVIDERS as PROVIDERS
from rastup_data.webhooks.receiver import Reading as Reading
from rastup_data.webhooks.receiver import WebhookReceiver as WebhookReceiver
from rastup_data.webhooks.signatures import TOLERANCE_S as TOLERANCE_S

__all__ = [
    "PROVIDERS",
    "TOLERANCE_S",
    "MemoryNonces",
    "Reading",
    "StateNonces",
    "WebhookReceiver",
    "webhook_event_id",
]
