"""Per-event acceptance: parse, stamp ``received_at``, size-check, validate, dedupe.

Shared by the HTTP collector and direct loads so both give every event the same verdict.
The outcome of a batch holds the spool records ready to append: accepted envelopes as
compact JSON lines and rejected events as quarantine records carrying their raw text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from rastup_data.errors import ErrorCode
from rastup_data.ingest.dedupe import Dedupe
from rastup_data.ingest.limits import IngestLimits

__all__ = [
    "BatchOutcome",
    "EventAcceptor",
    "EventCheck",
    "Prevalidated",
    "Verdict",
    "format_received_at",
    "parse_lines",
    "prevalidate",
]


class _Rejection(Protocol):
    @property
    def code(self) -> ErrorCode: ...

    @property
    def message(self) -> str: ...


class EventCheck(Protocol):
    """What the acceptor needs from a validator (``contracts.EventValidator`` fits)."""

    def check(self, event: dict[str, Any]) -> _Rejection | None: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer for one event that was not accepted."""

    index: int
    event_id: str | None
    status: str  # "duplicate" | "rejected"
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "event_id": self.event_id,
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }


@dataclass(slots=True)
class BatchOutcome:
    """Verdicts of one batch plus the records to make durable.

    ``events`` and ``bad`` are NDJSON blobs (each record ends with a newline), ready to be
    appended to the spool as they are.
    """

    accepted_ids: list[str] = field(default_factory=list)
    events: bytes = b""
    bad: bytes = b""
    verdicts: list[Verdict] = field(default_factory=list)
    duplicates: int = 0
    rejected: int = 0
    codes: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return len(self.accepted_ids)

    def response(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "results": [v.to_dict() for v in self.verdicts],
        }


def format_received_at(moment: datetime | None = None) -> str:
    """RFC 3339 UTC with microseconds and a ``Z``, the form the collector stamps."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _event_id_of(item: Any) -> str | None:
    if isinstance(item, dict):
        ids = item.get("ids")
        if isinstance(ids, dict):
            value = ids.get("event_id")
            if isinstance(value, str):
                return value
    return None


def _event_name_of(item: Any) -> str | None:
    if isinstance(item, dict):
        name = item.get("event")
        if isinstance(name, str):
            return name[:200]
    return None


@dataclass(slots=True)
class Prevalidated:
    """Verdicts that need no shared state: everything but dedupe.

    Produced by :func:`prevalidate` (safe to run in a worker process) and turned into a
    :class:`BatchOutcome` by :meth:`EventAcceptor.finalize`, which owns the dedupe window.
    """

    indices: list[int] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    records: list[bytes] = field(default_factory=list)
    bad_records: list[bytes] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    rejected: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    blob: bytes = b""
    ends: list[int] = field(default_factory=list)
    bad_blob: bytes = b""

    def pack(self) -> Prevalidated:
        """Join the records into blobs (one cheap object to pickle, one write to spool)."""
        if self.records:
            self.blob = b"\n".join(self.records) + b"\n"
            end = 0
            ends = self.ends
            for record in self.records:
                end += len(record) + 1
                ends.append(end)
            self.records = []
        if self.bad_records:
            self.bad_blob = b"\n".join(self.bad_records) + b"\n"
            self.bad_records = []
        return self

    def reject(
        self,
        index: int,
        item: Any,
        raw: bytes | str,
        code: ErrorCode,
        message: str,
        received_at: str,
    ) -> None:
        event_id = _event_id_of(item)
        self.rejected += 1
        self.codes[code.value] = self.codes.get(code.value, 0) + 1
        self.verdicts.append(Verdict(index, event_id, "rejected", code.value, message))
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        self.bad_records.append(
            orjson.dumps(
                {
                    "received_at": received_at,
                    "code": code.value,
                    "message": message,
                    "event_id": event_id,
                    "event": _event_name_of(item),
                    "raw": text,
                }
            )
        )


def parse_lines(lines: Sequence[bytes], limits: IngestLimits) -> list[tuple[Any, bytes | None]]:
    """Parse NDJSON lines, marking the too-large and the unparsable ones."""
    items: list[tuple[Any, bytes | None]] = []
    limit = limits.max_event_bytes
    loads = orjson.loads
    for line in lines:
        if len(line) > limit:
            items.append((_TooLarge(line), None))
            continue
        try:
            items.append((loads(line), line))
        except orjson.JSONDecodeError:
            items.append((_Malformed(line), None))
    return items


def prevalidate(
    items: list[tuple[Any, bytes | None]],
    received_at: str,
    validator: EventCheck,
    limits: IngestLimits,
) -> Prevalidated:
    """Stamp, size-check and validate parsed events (``(item, raw line or None)`` pairs)."""
    out = Prevalidated()
    limit = limits.max_event_bytes
    check = validator.check
    dumps = orjson.dumps
    indices, event_ids, records = out.indices, out.event_ids, out.records
    for index, (item, raw) in enumerate(items):
        if type(item) is dict:
            original = raw if raw is not None else dumps(item)
            if len(original) > limit:
                out.reject(
                    index,
                    item,
                    original[:limit],
                    ErrorCode.EVENT_TOO_LARGE,
                    f"event is {len(original)} bytes; the limit is {limit}",
                    received_at,
                )
                continue
            item["received_at"] = received_at
            rejection = check(item)
            if rejection is None:
                indices.append(index)
                event_ids.append(item["ids"]["event_id"])
                records.append(dumps(item))
            else:
                out.reject(index, item, original, rejection.code, rejection.message, received_at)
        elif isinstance(item, _Malformed):
            out.reject(
                index,
                None,
                item.raw,
                ErrorCode.EVENT_MALFORMED_JSON,
                "line is not valid JSON",
                received_at,
            )
        elif isinstance(item, _TooLarge):
            out.reject(
                index,
                None,
                item.raw[:limit],
                ErrorCode.EVENT_TOO_LARGE,
                f"event is {len(item.raw)} bytes; the limit is {limit}",
                received_at,
            )
        else:
            out.reject(
                index,
                item,
                raw or dumps(item),
                ErrorCode.EVENT_ENVELOPE_INVALID,
                "event is not a JSON object",
                received_at,
            )
    return out


class EventAcceptor:
    """Gives every event of a batch its verdict. Thread-safe if the validator is."""

    def __init__(
        self,
        validator: EventCheck,
        dedupe: Dedupe,
        limits: IngestLimits | None = None,
    ) -> None:
        self.validator = validator
        self.dedupe = dedupe
        self.limits = limits or IngestLimits()

    def accept_lines(self, lines: Sequence[bytes], received_at: str) -> BatchOutcome:
        """Verdicts for NDJSON lines (blank lines already removed)."""
        items = parse_lines(lines, self.limits)
        return self.finalize(prevalidate(items, received_at, self.validator, self.limits))

    def accept_items(self, items: Sequence[Any], received_at: str) -> BatchOutcome:
        """Verdicts for the parsed elements of a JSON array body."""
        pairs: list[tuple[Any, bytes | None]] = [(item, None) for item in items]
        return self.finalize(prevalidate(pairs, received_at, self.validator, self.limits))

    def finalize(self, pre: Prevalidated) -> BatchOutcome:
        """Apply the dedupe window to prevalidated events."""
        pre.pack()
        out = BatchOutcome(
            bad=pre.bad_blob,
            verdicts=pre.verdicts,
            rejected=pre.rejected,
            codes=pre.codes,
        )
        fresh = self.dedupe.add_new(pre.event_ids)
        if all(fresh):
            out.accepted_ids = pre.event_ids
            out.events = pre.blob
            return out
        kept: list[bytes] = []
        blob, start = pre.blob, 0
        for index, event_id, end, is_new in zip(
            pre.indices, pre.event_ids, pre.ends, fresh, strict=True
        ):
            if is_new:
                out.accepted_ids.append(event_id)
                kept.append(blob[start:end])
            else:
                out.duplicates += 1
                out.verdicts.append(
                    Verdict(
                        index,
                        event_id,
                        "duplicate",
                        ErrorCode.EVENT_DUPLICATE.value,
                        "already accepted within the dedupe window",
                    )
                )
            start = end
        out.events = b"".join(kept)
        out.verdicts.sort(key=lambda v: v.index)
        return out


@dataclass(frozen=True, slots=True)
class _Malformed:
    raw: bytes


@dataclass(frozen=True, slots=True)
class _TooLarge:
    raw: bytes
