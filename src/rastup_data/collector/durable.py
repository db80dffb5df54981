"""The durable-append path every ingesting route uses: nothing is answered 2xx before it
is on disk.

A route that turns a request into event envelopes (``POST /v1/events``, the exposure of
``POST /v1/assign``, a webhook or a batch API) calls :func:`accept_events` (or, with its
own prevalidated outcome, :func:`make_durable`) and answers only after it returns. Both
raise :class:`rastup_data.errors.RastupError` when the events could not be made durable
(``EVENT_PUT_FAILED``, ``INGEST_OVERLOADED``): the app answers 503 with ``Retry-After``,
and the event ids are forgotten by the dedupe window so the client's retry is not taken
for a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from rastup_data.collector.runtime import CollectorRuntime
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.acceptance import BatchOutcome, format_received_at

__all__ = ["accept_events", "ensure_capacity", "make_durable"]

log = logging.getLogger(__name__)


def ensure_capacity(runtime: CollectorRuntime) -> None:
    """Refuse new events (INGEST_OVERLOADED) while the spool is full or the lander behind."""
    reason = runtime.overloaded()
    if reason is not None:
        raise RastupError(ErrorCode.INGEST_OVERLOADED, reason)


async def make_durable(runtime: CollectorRuntime, outcome: BatchOutcome) -> None:
    """Spool and fsync a batch's records, then count its verdicts."""
    try:
        await asyncio.wrap_future(runtime.spool.append(outcome.events, outcome.bad))
    except RastupError as exc:
        runtime.dedupe.forget(outcome.accepted_ids)
        if exc.code is ErrorCode.EVENT_PUT_FAILED:
            log.error("events not made durable: %s", exc.message)
            raise RastupError(
                ErrorCode.EVENT_PUT_FAILED, "the events could not be stored; retry later"
            ) from exc
        raise
    count_outcome(runtime, outcome)


async def accept_events(
    runtime: CollectorRuntime, events: Sequence[dict[str, Any]], *, received_at: str | None = None
) -> BatchOutcome:
    """Give server-built envelopes their verdicts and make the accepted ones durable.

    ``events`` are envelope dicts without ``received_at`` (it is stamped here). The
    returned outcome holds the per-event verdicts; rejected events are quarantined like
    any client's.
    """
    outcome = runtime.acceptor.accept_items(events, received_at or format_received_at())
    await make_durable(runtime, outcome)
    return outcome


def count_outcome(runtime: CollectorRuntime, outcome: BatchOutcome) -> None:
    metrics = runtime.metrics
    if outcome.accepted:
        metrics.events.labels("accepted").inc(outcome.accepted)
    if outcome.duplicates:
        metrics.events.labels("duplicate").inc(outcome.duplicates)
        metrics.count_error(ErrorCode.EVENT_DUPLICATE, outcome.duplicates)
    if outcome.suppressed:
        metrics.events.labels("suppressed").inc(outcome.suppressed)
        metrics.count_error(ErrorCode.EVENT_SUBJECT_ERASED, outcome.suppressed)
    if outcome.rejected:
        metrics.events.labels("rejected").inc(outcome.rejected)
        for code, count in outcome.codes.items():
            metrics.count_error(ErrorCode(code), count)
