"""The SDK client: ``track`` enqueues, a background thread batches and sends.

The queue is bounded: when it is full new events are dropped, counted in ``stats.dropped``
and logged (never silently). ``flush`` waits for everything tracked so far; ``close`` flushes
and stops the thread; an atexit hook closes clients still open when the process ends.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import httpx
import orjson

from rastup_data.client.delivery import (
    BatchDeliverer,
    BatchFailure,
    BatchResult,
    collector_credentials,
)
from rastup_data.client.retry import RetryPolicy
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.sdk.envelope import build_envelope

__all__ = ["Client", "ClientStats", "DeliveryProblem"]

_log = logging.getLogger("rastup_data.sdk")


@dataclass(frozen=True, slots=True)
class ClientStats:
    """A snapshot of the client's counters (events, not requests).

    ``queued`` are tracked and not yet answered; ``sent`` got a verdict and split into
    ``accepted``, ``duplicates`` and ``rejected``; ``failed`` were in requests that failed
    for good; ``dropped`` never entered the queue (it was full, or the client was closed).
    """

    queued: int
    sent: int
    accepted: int
    duplicates: int
    rejected: int
    dropped: int
    failed: int


@dataclass(frozen=True, slots=True)
class DeliveryProblem:
    """Handed to ``on_error``: events the collector rejected, or a batch that failed."""

    kind: Literal["rejected", "failed"]
    code: str
    message: str
    event_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Queued:
    event_id: str
    line: bytes


class Client:
    """Thread-safe event sender for applications; see the package README for usage."""

    def __init__(  # noqa: PLR0913 - public API: one keyword argument per documented option
        self,
        url: str | None = None,
        key: str | None = None,
        *,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        max_queue: int = 10_000,
        max_retries: int = 5,
        on_error: Callable[[DeliveryProblem], None] | None = None,
        timeout: float = 10.0,
        gzip: bool = True,
        default_context: Mapping[str, Any] | None = None,
        retry_base_delay: float = 0.2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        url, key = collector_credentials(url, key, pass_key="key=...")
        _require(f"batch_size must be in 1..1000, got {batch_size}.", holds=1 <= batch_size <= 1000)
        _require(f"flush_interval must be > 0, got {flush_interval}.", holds=flush_interval > 0)
        _require(f"max_queue must be >= 1, got {max_queue}.", holds=max_queue >= 1)
        _require(f"max_retries must be >= 0, got {max_retries}.", holds=max_retries >= 0)
        self.url = url
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._max_queue = max_queue
        self._on_error = on_error
        self._default_context = dict(default_context or {})
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[_Queued] = deque()
        self._oldest_at = 0.0
        self._enqueued = 0
        self._done = 0
        self._flush_target = 0
        self._counts = dict.fromkeys(
            ("sent", "accepted", "duplicates", "rejected", "dropped", "failed"), 0
        )
        self._dropping = False
        self._closing = False
        self._closed = False
        self._abort = threading.Event()
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._deliverer = BatchDeliverer(
            self._http,
            url,
            key,
            gzip_bodies=gzip,
            retry=RetryPolicy(max_attempts=max_retries + 1, base_delay=retry_base_delay),
            wait=self._abort.wait,
        )
        self._worker = threading.Thread(target=self._run, name="rastup-sdk-sender", daemon=True)
        self._worker.start()
        atexit.register(self._close_at_exit)

    # -- public API ------------------------------------------------------------------------

    def track(  # noqa: PLR0913 - public API: one keyword argument per envelope field
        self,
        event: str,
        payload: Mapping[str, Any],
        *,
        v: int = 1,
        user_id: str | None = None,
        anon_id: str | None = None,
        session_id: str | None = None,
        context: Mapping[str, Any] | None = None,
        occurred_at: datetime | str | None = None,
        ids: Mapping[str, Any] | None = None,
    ) -> str:
        """Queue one event and return its event_id (also when it had to be dropped)."""
        envelope = build_envelope(
            event,
            payload,
            v=v,
            user_id=user_id,
            anon_id=anon_id,
            session_id=session_id,
            context=context,
            occurred_at=occurred_at,
            ids=ids,
            default_context=self._default_context,
        )
        event_id: str = envelope["ids"]["event_id"]
        try:
            line = orjson.dumps(envelope)
        except TypeError as exc:
            raise RastupError(
                ErrorCode.EVENT_ENVELOPE_INVALID,
                f"{event!r} cannot be encoded as JSON ({exc}); send str, numbers, bools, "
                "None, lists and dicts only.",
            ) from None
        with self._cond:
            if self._closing:
                self._counts["dropped"] += 1
                _log.warning("rastup sdk: track(%r) after close(); event dropped", event)
                return event_id
            if len(self._queue) >= self._max_queue:
                self._counts["dropped"] += 1
                if not self._dropping:
                    self._dropping = True
                    _log.warning(
                        "rastup sdk: queue full (%d events); dropping events (%d dropped so far)",
                        self._max_queue,
                        self._counts["dropped"],
                    )
                return event_id
            self._dropping = False
            if not self._queue:
                self._oldest_at = time.monotonic()
            self._queue.append(_Queued(event_id, line))
            self._enqueued += 1
            # Wake the sender when its timer starts (first event) or a batch is full.
            if len(self._queue) == 1 or len(self._queue) >= self._batch_size:
                self._cond.notify_all()
        return event_id

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything tracked so far; True when all of it was answered or failed."""
        if threading.current_thread() is self._worker:
            return False  # called from on_error: waiting on ourselves would never end
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._enqueued
            self._flush_target = max(self._flush_target, target)
            self._cond.notify_all()
            while self._done < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                if not self._worker.is_alive():
                    return False
                self._cond.wait(remaining if remaining is not None else 0.5)
            return True

    def close(self, timeout: float | None = 10.0) -> bool:
        """Flush, stop the sender thread and release the connection; idempotent.

        Returns False when events were still pending at the timeout (they count as failed).
        Drops and failures are logged as a final report.
        """
        with self._cond:
            if self._closed:
                return True
            self._closing = True
            self._cond.notify_all()
        atexit.unregister(self._close_at_exit)
        delivered = self.flush(timeout)
        if not delivered:
            self._abort.set()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._worker.join(timeout=None if delivered else 2.0)
        if not self._worker.is_alive():
            self._http.close()
        self._report_on_close()
        return delivered

    @property
    def stats(self) -> ClientStats:
        with self._cond:
            return ClientStats(queued=self._enqueued - self._done, **self._counts)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- background sender -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                result = self._deliverer.deliver([item.line for item in batch])
            except Exception as exc:  # never let the sender thread die
                _log.exception("rastup sdk: unexpected error while sending")
                result = _failed_result(len(batch), f"unexpected client error: {exc!r}")
            self._record(batch, result)

    def _next_batch(self) -> list[_Queued] | None:
        with self._cond:
            while True:
                if self._abort.is_set():
                    self._fail_remaining()
                    return None
                if self._queue:
                    due = self._oldest_at + self._flush_interval
                    now = time.monotonic()
                    if (
                        len(self._queue) >= self._batch_size
                        or self._flush_target > self._done
                        or self._closing
                        or now >= due
                    ):
                        count = min(self._batch_size, len(self._queue))
                        batch = [self._queue.popleft() for _ in range(count)]
                        self._oldest_at = now
                        return batch
                    self._cond.wait(due - now)
                elif self._closed or self._closing:
                    return None
                else:
                    self._cond.wait()

    def _fail_remaining(self) -> None:
        remaining = len(self._queue)
        if remaining:
            _log.error("rastup sdk: close() timed out; %d queued events not sent", remaining)
            self._queue.clear()
            self._counts["failed"] += remaining
            self._done += remaining
            self._cond.notify_all()

    def _record(self, batch: list[_Queued], result: BatchResult) -> None:
        problems: list[DeliveryProblem] = []
        for verdict in result.verdicts:
            if verdict.status == "duplicate":
                continue
            event_id = batch[verdict.index].event_id if 0 <= verdict.index < len(batch) else ""
            _log.warning(
                "rastup sdk: event %s rejected: %s: %s", event_id, verdict.code, verdict.message
            )
            problems.append(DeliveryProblem("rejected", verdict.code, verdict.message, (event_id,)))
        for failure in result.failures:
            ids = tuple(
                item.event_id
                for item in batch[failure.first_index : failure.first_index + failure.events]
            )
            _log.error(
                "rastup sdk: %d events not delivered: %s: %s",
                failure.events,
                failure.code,
                failure.message,
            )
            problems.append(DeliveryProblem("failed", failure.code, failure.message, ids))
        with self._cond:
            self._counts["sent"] += result.accepted + result.duplicates + result.rejected
            self._counts["accepted"] += result.accepted
            self._counts["duplicates"] += result.duplicates
            self._counts["rejected"] += result.rejected
            self._counts["failed"] += result.failed_events
            self._done += len(batch)
            self._cond.notify_all()
        if self._on_error is not None:
            for problem in problems:
                try:
                    self._on_error(problem)
                except Exception:
                    _log.exception("rastup sdk: on_error callback raised")

    def _report_on_close(self) -> None:
        stats = self.stats
        if stats.dropped or stats.failed or stats.queued:
            _log.warning(
                "rastup sdk: closed with %d events dropped (queue full or after close), "
                "%d failed to send, %d still pending; %d accepted",
                stats.dropped,
                stats.failed,
                stats.queued,
                stats.accepted,
            )

    def _close_at_exit(self) -> None:
        self.close(timeout=5.0)


def _require(message: str, *, holds: bool) -> None:
    if not holds:
        raise RastupError(ErrorCode.CONFIG_INVALID, message)


def _failed_result(events: int, message: str) -> BatchResult:
    failure = BatchFailure("CLIENT_ERROR", message, None, events, 0, 1)
    return BatchResult(events, 0, 0, 0, (), (failure,), 0, 0)
