"""Client side of ingestion: send NDJSON files to the collector (`rastup-data send`).

Public surface: :func:`send_file`, :func:`send_lines`, :class:`SendSummary`, the
:class:`BatchDeliverer` the SDK shares, and :class:`RetryPolicy`.
"""

from __future__ import annotations

from rastup_data.client.batching import DEFAULT_MAX_BODY_BYTES as DEFAULT_MAX_BODY_BYTES
from rastup_data.client.batching import MAX_EVENTS_PER_REQUEST as MAX_EVENTS_PER_REQUEST
from rastup_data.client.delivery import BatchDeliverer as BatchDeliverer
from rastup_data.client.delivery import BatchFailure as BatchFailure
from rastup_data.client.delivery import BatchResult as BatchResult
from rastup_data.client.delivery import EventVerdict as EventVerdict
from rastup_data.client.retry import RetryPolicy as RetryPolicy
from rastup_data.client.sender import send_file as send_file
from rastup_data.client.sender import send_lines as send_lines
from rastup_data.client.summary import FailedBatch as FailedBatch
from rastup_data.client.summary import Rejection as Rejection
from rastup_data.client.summary import SendSummary as SendSummary

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "MAX_EVENTS_PER_REQUEST",
    "BatchDeliverer",
    "BatchFailure",
    "BatchResult",
    "EventVerdict",
    "FailedBatch",
    "Rejection",
    "RetryPolicy",
    "SendSummary",
    "send_file",
    "send_lines",
]
