"""CPU-heavy request work in worker processes: parse, stamp, validate, PII-scan.

The event loop process keeps what must be shared and exact (the dedupe window, the spool,
the lander); worker processes do the per-event CPU work so a collector uses every core.
Workers are spawned (not forked) so no thread state of the server leaks into them.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict

from rastup_data.collector.body import BodyKind, parse_body
from rastup_data.collector.processes import die_with_parent, leave_interrupts_to_parent
from rastup_data.errors import RastupError
from rastup_data.ingest.acceptance import EventCheck, Prevalidated, parse_lines, prevalidate
from rastup_data.ingest.limits import IngestLimits

__all__ = ["BodyError", "ValidationPool", "validate_body", "validate_in_worker"]

BodyError = tuple[str, str]
"""A request-level rejection carried across processes: (code, message)."""

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


def validate_in_worker(
    body: bytes, kind: BodyKind, received_at: str, *, subjects: bool = False
) -> Prevalidated | BodyError:
    if _validator is None or _limits is None:
        raise RuntimeError("validation worker used before its initialiser ran")
    return validate_body(body, kind, received_at, _validator, _limits, subjects=subjects)


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

    def submit_inline(
        self, body: bytes, kind: BodyKind, received_at: str, *, subjects: bool = False
    ) -> Prevalidated | BodyError:
        return validate_body(
            body, kind, received_at, self.validator, self.limits, subjects=subjects
        )
