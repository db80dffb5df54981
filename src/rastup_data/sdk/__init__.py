"""Python SDK: track events from an application; a background thread batches and sends them.

Use a :class:`Client` (a context manager), or the module-level :func:`init`, :func:`track`,
:func:`flush` and :func:`close` over one default client.
"""

from __future__ import annotations

from rastup_data.sdk.client import Client as Client
from rastup_data.sdk.client import ClientStats as ClientStats
from rastup_data.sdk.client import DeliveryProblem as DeliveryProblem
from rastup_data.sdk.default import close as close
from rastup_data.sdk.default import flush as flush
from rastup_data.sdk.default import get_client as get_client
from rastup_data.sdk.default import init as init
from rastup_data.sdk.default import stats as stats
from rastup_data.sdk.default import track as track
from rastup_data.sdk.envelope import build_envelope as build_envelope
from rastup_data.sdk.envelope import rfc3339_utc_ms as rfc3339_utc_ms

__all__ = [
    "Client",
    "ClientStats",
    "DeliveryProblem",
    "build_envelope",
    "close",
    "flush",
    "get_client",
    "init",
    "rfc3339_utc_ms",
    "stats",
    "track",
]
