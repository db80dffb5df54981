"""Deliver one batch of NDJSON lines to the collector: POST, retry, split on 413, read verdicts.

A retry resends the identical body; the collector deduplicates by ``ids.event_id`` so a batch
that was stored but whose answer was lost is not stored twice.
"""

from __future__ import annotations

import gzip
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from rastup_data import __version__
from rastup_data.client.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from rastup_data.config import Settings
from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "BatchDeliverer",
    "BatchFailure",
    "BatchResult",
    "EventVerdict",
    "collector_credentials",
    "events_endpoint",
]

_log = logging.getLogger(__name__)

_UNREACHABLE = ErrorCode.COLLECTOR_UNREACHABLE.value
#: Fast gzip: bodies are small and the network, not the ratio, is what a batch waits on.
_GZIP_LEVEL = 1


@dataclass(frozen=True, slots=True)
class EventVerdict:
    """The collector's answer for one event it did not accept (``index`` is within the batch)."""

    index: int
    event_id: str | None
    status: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class BatchFailure:
    """Events that got no verdict: the request was refused or never answered.

    ``status`` is the last HTTP status (None when the collector could not be reached);
    the failed events are ``first_index .. first_index + events - 1`` of the batch.
    """

    code: str
    message: str
    status: int | None
    events: int
    first_index: int
    attempts: int


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What became of one batch: counts, per-event verdicts and failed pieces."""

    events: int
    accepted: int
    duplicates: int
    rejected: int
    verdicts: tuple[EventVerdict, ...]
    failures: tuple[BatchFailure, ...]
    requests: int
    bytes_sent: int

    @property
    def failed_events(self) -> int:
        return sum(f.events for f in self.failures)

    @property
    def answered(self) -> bool:
        """True when the collector gave a verdict for every event of the batch."""
        return not self.failures


@dataclass(frozen=True, slots=True)
class _Answered:
    accepted: int
    duplicates: int
    rejected: int
    verdicts: tuple[EventVerdict, ...]


@dataclass(frozen=True, slots=True)
class _Outcome:
    answer: _Answered | None
    failure: BatchFailure | None
    requests: int
    bytes_sent: int


def events_endpoint(url: str) -> str:
    """The batch endpoint under a collector base URL."""
    return url.rstrip("/") + "/v1/events"


class BatchDeliverer:
    """Sends batches with one shared (thread-safe) httpx client; safe to call from many threads.

    ``wait(seconds)`` sleeps before a retry and returns True to give up early (the SDK's
    ``close`` uses this); the default sleeps uninterrupted.
    """

    def __init__(
        self,
        http: httpx.Client,
        url: str,
        key: str,
        *,
        gzip_bodies: bool = True,
        retry: RetryPolicy | None = None,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self._http = http
        self._endpoint = events_endpoint(url)
        self._gzip = gzip_bodies
        self._retry = retry or RetryPolicy()
        self._wait = wait or threading.Event().wait
        self._headers = {
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/x-ndjson",
            "User-Agent": f"rastup-data/{__version__}",
        }
        if gzip_bodies:
            self._headers["Content-Encoding"] = "gzip"

    def deliver(self, lines: Sequence[bytes]) -> BatchResult:
        """Send ``lines`` (one JSON event each); on 413 split once into halves and send those."""
        if not lines:
            return BatchResult(0, 0, 0, 0, (), (), 0, 0)
        whole = self._send_with_retries(lines, 0)
        if whole.failure is None or whole.failure.status != 413 or len(lines) < 2:
            return _combine(len(lines), [(0, whole)])
        middle = len(lines) // 2
        _log.info("collector answered 413 for %d events; retrying as two halves", len(lines))
        first = self._send_with_retries(lines[:middle], 0)
        second = self._send_with_retries(lines[middle:], middle)
        result = _combine(len(lines), [(0, first), (middle, second)])
        return BatchResult(
            result.events,
            result.accepted,
            result.duplicates,
            result.rejected,
            result.verdicts,
            result.failures,
            result.requests + whole.requests,
            result.bytes_sent + whole.bytes_sent,
        )

    def _send_with_retries(self, lines: Sequence[bytes], offset: int) -> _Outcome:
        body = b"".join(line + b"\n" for line in lines)
        if self._gzip:
            body = gzip.compress(body, compresslevel=_GZIP_LEVEL, mtime=0)
        requests = 0
        sent = 0
        attempt = 0
        while True:
            attempt += 1
            requests += 1
            sent += len(body)
            retry_after: float | None = None
            try:
                response = self._http.post(self._endpoint, content=body, headers=self._headers)
            except httpx.TimeoutException as exc:
                failure = _Partial(_UNREACHABLE, f"request timed out ({exc!r})", None)
            except httpx.TransportError as exc:
                failure = _Partial(_UNREACHABLE, f"connection failed ({exc!r})", None)
            else:
                if response.status_code in (200, 202):
                    answer = _parse_answer(response, len(lines))
                    return _Outcome(answer, None, requests, sent)
                failure = _failure_from_response(response)
                if response.status_code not in RETRYABLE_STATUSES:
                    return _Outcome(None, _finish(failure, lines, offset, attempt), requests, sent)
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if attempt >= self._retry.max_attempts:
                gave_up = _Partial(
                    failure.code,
                    f"gave up after {attempt} attempts: {failure.message}",
                    failure.status,
                )
                return _Outcome(None, _finish(gave_up, lines, offset, attempt), requests, sent)
            delay = self._retry.delay(attempt, retry_after)
            _log.debug("attempt %d failed (%s); retrying in %.2fs", attempt, failure.code, delay)
            if self._wait(delay):
                stopped = _Partial(
                    failure.code,
                    f"stopped retrying after {attempt} attempts: {failure.message}",
                    failure.status,
                )
                return _Outcome(None, _finish(stopped, lines, offset, attempt), requests, sent)


@dataclass(frozen=True, slots=True)
class _Partial:
    code: str
    message: str
    status: int | None


def _finish(partial: _Partial, lines: Sequence[bytes], offset: int, attempts: int) -> BatchFailure:
    return BatchFailure(partial.code, partial.message, partial.status, len(lines), offset, attempts)


def _failure_from_response(response: httpx.Response) -> _Partial:
    status = response.status_code
    code = f"HTTP_{status}"
    message = response.reason_phrase or "unexpected answer"
    try:
        data: Any = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        error = data["error"]
        code = str(error.get("code") or code)
        message = str(error.get("message") or message)
    return _Partial(code, f"HTTP {status}: {message}", status)


def _parse_answer(response: httpx.Response, events: int) -> _Answered:
    try:
        data: Any = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        _log.warning(
            "collector answered %d without a JSON verdict; counting all as accepted",
            response.status_code,
        )
        return _Answered(events, 0, 0, ())
    verdicts = tuple(
        _parse_verdict(item) for item in data.get("results") or () if isinstance(item, dict)
    )
    duplicates = _count(data, "duplicates", sum(v.status == "duplicate" for v in verdicts))
    rejected = _count(data, "rejected", sum(v.status == "rejected" for v in verdicts))
    accepted = _count(data, "accepted", events - duplicates - rejected)
    return _Answered(accepted, duplicates, rejected, verdicts)


def _count(data: dict[str, Any], name: str, fallback: int) -> int:
    value = data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else fallback


def _parse_verdict(item: dict[str, Any]) -> EventVerdict:
    index = item.get("index")
    event_id = item.get("event_id")
    return EventVerdict(
        index=index if isinstance(index, int) else -1,
        event_id=event_id if isinstance(event_id, str) else None,
        status=str(item.get("status") or "rejected"),
        code=str(item.get("code") or "UNKNOWN"),
        message=str(item.get("message") or ""),
    )


def _combine(events: int, pieces: list[tuple[int, _Outcome]]) -> BatchResult:
    accepted = duplicates = rejected = requests = sent = 0
    verdicts: list[EventVerdict] = []
    failures: list[BatchFailure] = []
    for offset, outcome in pieces:
        requests += outcome.requests
        sent += outcome.bytes_sent
        if outcome.failure is not None:
            failures.append(outcome.failure)
        if outcome.answer is None:
            continue
        accepted += outcome.answer.accepted
        duplicates += outcome.answer.duplicates
        rejected += outcome.answer.rejected
        verdicts.extend(
            EventVerdict(
                v.index + offset if v.index >= 0 else -1, v.event_id, v.status, v.code, v.message
            )
            for v in outcome.answer.verdicts
        )
    return BatchResult(
        events, accepted, duplicates, rejected, tuple(verdicts), tuple(failures), requests, sent
    )


def collector_credentials(url: str | None, key: str | None, *, pass_key: str) -> tuple[str, str]:
    """The collector URL and API key: those given, else the settings' ($RASTUP_URL,
    $RASTUP_KEY). A key is required: CONFIG_INVALID saying to pass it as ``pass_key``."""
    if url is None or key is None:
        settings = Settings.from_env()
        url = url if url is not None else settings.url
        key = key if key is not None else settings.key
    if not key:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"No API key: pass {pass_key} or set RASTUP_KEY to a key the collector accepts.",
        )
    return url, key
