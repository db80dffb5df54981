"""CPU-heavy request work in worker processes: parse, stamp, validate, PII-scan.

The event loop process keeps what must be shared and exact (the dedupe window, the spool,
the lander); worker processes do the per-event CPU work so a collector uses every core.
Workers are spawned (not forked) so no thread state of the server leaks into them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from typing import Protocol, TypeVar

from rastup_data.collector.body import BodyKind, parse_body
from rastup_data.collector.processes import die_with_parent, leave_interrupts_to_parent
from rastup_data.errors import RastupError
from rastup_data.ingest.acceptance import EventCheck, Prevalidated, parse_lines, prevalidate
from rastup_data.ingest.gc_pause import gc_paused
from rastup_data.ingest.limits import IngestLimits

__all__ = [
    "INLINE_BELOW",
    "BodyError",
    "BodyValidation",
    "RequestWork",
    "ValidationPool",
    "validate_body",
]

BodyError = tuple[str, str]
"""A request-level rejection carried across processes: (code, message)."""

#: Bodies smaller than this are worked on in the event loop: IPC would cost more.
INLINE_BELOW = 8192

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)


class RequestWork(Protocol[_T_co]):
    """One request's CPU work, picklable so a worker process can run it with its own
    validator and limits (e.g. :class:`BodyValidation`)."""

    def __call__(self, validator: EventCheck, limits: IngestLimits) -> _T_co: ...


_validator: EventCheck | None = None
_limits: IngestLimits | None = None


def _init_worker(limits: dict[str, int]) -> None:
    global _validator, _limits  # per-process state of a pool worker, set once at spawn
    die_with_parent()
    leave_interrupts_to_parent()
    from rastup_data.contracts import load_validator

    _validator = load_validator()
    _limits = IngestLimits(**limits)


def validate_body(
    body: bytes,
    kind: BodyKind,
    received_at: str,
    validator: EventCheck,
    limits: IngestLimits,
    *,
    subjects: bool = False,
) -> Prevalidated | BodyError:
    """Everything a request needs before dedupe; request-level errors come back as values.
    ``subjects`` notes each event's ids (while someone is erased, for suppression)."""
    try:
        parsed = parse_body(body, kind, limits)
    except RastupError as exc:
        return (exc.code.value, exc.message)
    if parsed.lines is not None:
        items = parse_lines(parsed.lines, limits)
    else:
        items = [(item, None) for item in parsed.items or []]
    return prevalidate(items, received_at, validator, limits, subjects=subjects)


@dataclass(frozen=True, slots=True)
class BodyValidation:
    """The work of ``POST /v1/events``: :func:`validate_body` of one request's body."""

    body: bytes
    kind: BodyKind
    received_at: str
    subjects: bool = False

    def __call__(self, validator: EventCheck, limits: IngestLimits) -> Prevalidated | BodyError:
        return validate_body(
            self.body, self.kind, self.received_at, validator, limits, subjects=self.subjects
        )


def _run_in_worker(work: RequestWork[_T]) -> _T:
    if _validator is None or _limits is None:
        raise RuntimeError("validation worker used before its initialiser ran")
    with gc_paused():
        return work(_validator, _limits)


class ValidationPool:
    """A pool of validation workers; ``workers=0`` validates inline in the caller."""

    def __init__(self, workers: int, limits: IngestLimits, validator: EventCheck) -> None:
        self.workers = workers
        self.limits = limits
        self.validator = validator
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        if self.workers > 0 and self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(asdict(self.limits),),
            )
            # Spawn and initialise every worker now, not on the first request.
            for future in [self._pool.submit(os.getpid) for _ in range(self.workers * 2)]:
                future.result()

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def executor(self) -> ProcessPoolExecutor | None:
        return self._pool

    async def run(self, work: RequestWork[_T], *, size: int) -> _T:
        """Run a request's work: inline for a small body (``size`` bytes) or without
        workers, else in a worker process."""
        if self._pool is None or size < INLINE_BELOW:
            with gc_paused():  # the batch's objects are acyclic: see ingest.gc_pause
                return work(self.validator, self.limits)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, partial(_run_in_worker, work))
