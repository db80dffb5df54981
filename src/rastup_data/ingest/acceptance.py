"""Per-event acceptance: parse, stamp ``received_at``, size-check, validate, dedupe.

Shared by the HTTP collector and direct loads so both give every event the same verdict.
The outcome of a batch holds the spool records ready to append: accepted envelopes as
compact JSON lines and rejected events as quarantine records carrying their raw text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from operator import add
from typing import Any, Protocol

import orjson

from rastup_data.errors import ErrorCode
from rastup_data.ingest.dedupe import Dedupe
from rastup_data.ingest.gc_pause import gc_paused
from rastup_data.ingest.limits import IngestLimits
from rastup_data.ingest.suppression import SubjectSuppression
from rastup_data.ingest.timestamps import normalise_timestamp, plain_timestamp

__all__ = [
    "BatchOutcome",
    "EventAcceptor",
    "EventCheck",
    "Prevalidated",
    "RejectedItem",
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
    status: str  # "duplicate" | "rejected" | "suppressed"
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
    suppressed: int = 0
    codes: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return len(self.accepted_ids)

    def response(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "suppressed": self.suppressed,
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
    #: Only while some subject is erased: each event's (user_id, anon_id), accepted ones in
    #: ``subjects`` (parallel to ``indices``), rejected ones in ``bad_subjects``.
    collect_subjects: bool = False
    subjects: list[tuple[Any, Any]] = field(default_factory=list)
    bad_subjects: list[tuple[Any, Any]] = field(default_factory=list)
    bad_ends: list[int] = field(default_factory=list)

    def pack(self) -> Prevalidated:
        """Join the records into blobs (one cheap object to pickle, one write to spool)."""
        if self.records:
            self.blob = b"\n".join(self.records) + b"\n"
            self.ends = _ends(self.records)
            self.records = []
        if self.bad_records:
            self.bad_blob = b"\n".join(self.bad_records) + b"\n"
            if self.collect_subjects:
                self.bad_ends = _ends(self.bad_records)
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
        if self.collect_subjects:
            self.bad_subjects.append(_subject_of(item))
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


def _ends(records: list[bytes]) -> list[int]:
    """Where each newline-terminated record ends in the joined blob (the k-th record's
    bytes so far plus its k newlines)."""
    return list(map(add, accumulate(map(len, records)), range(1, len(records) + 1)))


def _subject_of(item: Any) -> tuple[Any, Any]:
    if type(item) is dict:
        return item.get("user_id"), item.get("anon_id")
    return None, None


def parse_lines(lines: Sequence[bytes], limits: IngestLimits) -> list[tuple[Any, bytes | None]]:
    """Parse NDJSON lines, marking the too-large, too-deep and unparsable ones."""
    items: list[tuple[Any, bytes | None]] = []
    limit = limits.max_event_bytes
    loads = orjson.loads
    for line in lines:
        if len(line) > limit:
            items.append((_TooLarge(line), None))
            continue
        try:
            items.append((loads(line), line))
        except orjson.JSONDecodeError as exc:
            deep = "depth" in str(exc) or "recursion" in str(exc).lower()
            items.append((_TooDeep(line) if deep else _Malformed(line), None))
    return items


@dataclass(frozen=True, slots=True)
class _Batch:
    """What every event of one batch is judged with."""

    received_at: str
    stamp: bytes  # the received_at member, spliced into a canonical record
    validator: EventCheck
    limits: IngestLimits


def prevalidate(
    items: Iterable[tuple[Any, bytes | None]],
    received_at: str,
    validator: EventCheck,
    limits: IngestLimits,
    *,
    subjects: bool = False,
) -> Prevalidated:
    """Stamp, size- and depth-check, validate and canonicalise parsed events
    (``(item, raw line or None)`` pairs); with ``subjects``, note each event's ids for
    :meth:`EventAcceptor.finalize` to suppress erased subjects."""
    out = Prevalidated(collect_subjects=subjects)
    batch = _Batch(
        received_at, b',"received_at":"' + received_at.encode() + b'"}', validator, limits
    )
    for index, (item, raw) in enumerate(items):
        if type(item) is dict:
            _judge_event(out, index, item, raw, batch)
        else:
            _reject_non_event(out, index, item, raw, batch)
    return out


def _judge_event(
    out: Prevalidated, index: int, item: dict[str, Any], raw: bytes | None, batch: _Batch
) -> None:
    limits = batch.limits
    try:
        original = raw if raw is not None else orjson.dumps(item)
    except orjson.JSONEncodeError:  # nested past what orjson writes (255 levels)
        out.reject(index, item, _clipped(item, limits), *_too_deep(limits), batch.received_at)
        return
    if len(original) > limits.max_event_bytes:
        message = f"event is {len(original)} bytes; the limit is {limits.max_event_bytes}"
        clipped = original[: limits.max_event_bytes]
        out.reject(index, item, clipped, ErrorCode.EVENT_TOO_LARGE, message, batch.received_at)
        return
    client_stamped = "received_at" in item
    item["received_at"] = batch.received_at
    try:
        rejection = batch.validator.check(item)
    except (ValueError, TypeError):  # jsonschema-rs and orjson give up near 255 levels
        if not _deeper_than(item, limits.max_depth):
            raise
        out.reject(index, item, original, *_too_deep(limits), batch.received_at)
        return
    if rejection is not None:
        # A rejected event pays for the depth walk; a deep one is told why first.
        code, message = rejection.code, rejection.message
        if _deeper_than(item, limits.max_depth):
            code, message = _too_deep(limits)
        out.reject(index, item, original, code, message, batch.received_at)
        return
    changed = _canonicalise(item, limits, original)
    if type(changed) is tuple:
        out.reject(index, item, original, *changed, batch.received_at)
        return
    out.indices.append(index)
    out.event_ids.append(item["ids"]["event_id"])
    if out.collect_subjects:
        out.subjects.append((item.get("user_id"), item.get("anon_id")))
    if raw is None and not changed and not client_stamped:
        out.records.append(original[:-1] + batch.stamp)  # canonical JSON: splice, not re-encode
    else:
        out.records.append(orjson.dumps(item))


def _canonicalise(
    item: dict[str, Any], limits: IngestLimits, text: bytes
) -> bool | tuple[ErrorCode, str]:
    """For a valid event (``text``: its JSON): hold it to the nesting limit, lowercase the
    event id (the dedupe key) and make ``occurred_at`` an instant the lake holds. Whether
    anything changed, or the rejection."""
    # No value nests deeper than the text has brackets: only an event with more than the
    # limit pays for the walk, and only its payload can nest (context and ids hold scalars).
    if text.count(b"{") + text.count(b"[") > limits.max_depth:
        payload = item["payload"]
        if _deeper_than(payload, limits.max_depth - 1):
            return _too_deep(limits)
    changed = False
    ids = item["ids"]
    event_id = ids["event_id"]
    lowered = event_id.lower()
    if lowered != event_id:
        ids["event_id"] = lowered
        changed = True
    occurred_at = item["occurred_at"]
    if not plain_timestamp(occurred_at):
        fixed = normalise_timestamp(occurred_at)
        if fixed is None:
            return (
                ErrorCode.EVENT_ENVELOPE_INVALID,
                f"envelope invalid: $.occurred_at: {str(occurred_at)[:40]!r} is not an "
                "instant between years 0001 and 9999 (UTC)",
            )
        item["occurred_at"] = fixed
        changed = True
    return changed


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest more than ``limit`` levels (the value is level 1)."""
    level = [value]
    for _ in range(limit):
        level = [
            child
            for node in level
            for child in (node.values() if type(node) is dict else node)
            if type(child) is dict or type(child) is list
        ]
        if not level:
            return False
    return True


def _too_deep(limits: IngestLimits) -> tuple[ErrorCode, str]:
    return (
        ErrorCode.EVENT_TOO_DEEP,
        f"event nests objects/arrays more than {limits.max_depth} levels deep",
    )


def _clipped(value: Any, limits: IngestLimits) -> bytes:
    """The event as JSON with what lies below the depth limit replaced by "…" (quarantine)."""

    def clip_to(node: Any, remaining: int) -> Any:
        if type(node) not in (dict, list):
            return node
        if remaining == 0:
            return "…"
        if type(node) is dict:
            return {k: clip_to(v, remaining - 1) for k, v in node.items()}
        return [clip_to(v, remaining - 1) for v in node]

    return orjson.dumps(clip_to(value, limits.max_depth))[: limits.max_event_bytes]


def _reject_non_event(
    out: Prevalidated, index: int, item: Any, raw: bytes | None, batch: _Batch
) -> None:
    limits, received_at = batch.limits, batch.received_at
    if isinstance(item, _Malformed):
        out.reject(
            index,
            None,
            item.raw,
            ErrorCode.EVENT_MALFORMED_JSON,
            "line is not valid JSON",
            received_at,
        )
    elif isinstance(item, _TooLarge):
        message = f"event is {len(item.raw)} bytes; the limit is {limits.max_event_bytes}"
        out.reject(
            index,
            None,
            item.raw[: limits.max_event_bytes],
            ErrorCode.EVENT_TOO_LARGE,
            message,
            received_at,
        )
    elif isinstance(item, _TooDeep):
        out.reject(index, None, item.raw, *_too_deep(limits), received_at)
    elif isinstance(item, RejectedItem):
        out.reject(index, item.item, item.raw, item.code, item.message, received_at)
    else:
        try:
            text = raw or orjson.dumps(item)
        except orjson.JSONEncodeError:
            text = _clipped(item, limits)
        out.reject(
            index,
            item,
            text,
            ErrorCode.EVENT_ENVELOPE_INVALID,
            "event is not a JSON object",
            received_at,
        )


class EventAcceptor:
    """Gives every event of a batch its verdict. Thread-safe if the validator is."""

    def __init__(
        self,
        validator: EventCheck,
        dedupe: Dedupe,
        limits: IngestLimits | None = None,
        suppression: SubjectSuppression | None = None,
    ) -> None:
        self.validator = validator
        self.dedupe = dedupe
        self.limits = limits or IngestLimits()
        #: Erased subjects; replaced whole (one assignment) when the list changes.
        self.suppression = suppression or SubjectSuppression()

    @property
    def suppressing(self) -> bool:
        """Whether prevalidation should note each event's ids (someone is erased)."""
        return self.suppression.active

    def accept_lines(self, lines: Sequence[bytes], received_at: str) -> BatchOutcome:
        """Verdicts for NDJSON lines (blank lines already removed)."""
        with gc_paused():
            items = parse_lines(lines, self.limits)
            pre = prevalidate(
                items, received_at, self.validator, self.limits, subjects=self.suppressing
            )
            del items
        return self.finalize(pre)

    def accept_items(self, items: Sequence[Any], received_at: str) -> BatchOutcome:
        """Verdicts for the parsed elements of a JSON array body."""
        pairs: list[tuple[Any, bytes | None]] = [(item, None) for item in items]
        with gc_paused():
            pre = prevalidate(
                pairs, received_at, self.validator, self.limits, subjects=self.suppressing
            )
        return self.finalize(pre)

    def finalize(self, pre: Prevalidated) -> BatchOutcome:
        """Suppress erased subjects, then apply the dedupe window to prevalidated events."""
        pre.pack()
        suppression = self.suppression
        suppressed = 0
        if pre.collect_subjects and suppression.active:
            suppressed = _drop_rejected(pre, suppression) + _drop_accepted(pre, suppression)
        out = BatchOutcome(
            bad=pre.bad_blob,
            verdicts=pre.verdicts,
            rejected=pre.rejected,
            suppressed=suppressed,
            codes=pre.codes,
        )
        fresh = self.dedupe.add_new(pre.event_ids)
        if all(fresh):
            out.accepted_ids = pre.event_ids
            out.events = pre.blob
            if suppressed:
                out.verdicts.sort(key=lambda v: v.index)
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


def _suppressed_verdict(index: int, event_id: str | None) -> Verdict:
    return Verdict(
        index,
        event_id,
        "suppressed",
        ErrorCode.EVENT_SUBJECT_ERASED.value,
        "the subject of this event was erased; it is not stored (do not retry)",
    )


def _drop_accepted(pre: Prevalidated, suppression: SubjectSuppression) -> int:
    """Take valid events of erased subjects out of a packed batch; returns how many."""
    gone = [suppression.erased(user, anon) for user, anon in pre.subjects]
    if not any(gone):
        return 0
    indices, event_ids, kept, ends = [], [], [], []
    blob = memoryview(pre.blob)
    start = total = 0
    for index, event_id, end, erased in zip(
        pre.indices, pre.event_ids, pre.ends, gone, strict=True
    ):
        if erased:
            pre.verdicts.append(_suppressed_verdict(index, event_id))
        else:
            indices.append(index)
            event_ids.append(event_id)
            kept.append(blob[start:end])  # a view: the one copy is the join below
            total += end - start
            ends.append(total)
        start = end
    pre.indices, pre.event_ids, pre.ends = indices, event_ids, ends
    pre.blob = b"".join(kept)
    return len(gone) - len(indices)


def _drop_rejected(pre: Prevalidated, suppression: SubjectSuppression) -> int:
    """Rejected events of erased subjects are not quarantined either: their verdict becomes
    ``suppressed`` (the k-th quarantine record is the k-th rejection)."""
    gone = [suppression.erased(user, anon) for user, anon in pre.bad_subjects]
    if not any(gone):
        return 0
    rejections = [i for i, v in enumerate(pre.verdicts) if v.status == "rejected"]
    kept: list[bytes] = []
    start = 0
    for k, (end, erased) in enumerate(zip(pre.bad_ends, gone, strict=True)):
        if erased:
            verdict = pre.verdicts[rejections[k]]
            pre.rejected -= 1
            pre.codes[verdict.code] -= 1
            if not pre.codes[verdict.code]:
                del pre.codes[verdict.code]
            pre.verdicts[rejections[k]] = _suppressed_verdict(verdict.index, verdict.event_id)
        else:
            kept.append(pre.bad_blob[start:end])
        start = end
    pre.bad_blob = b"".join(kept)
    return sum(gone)


@dataclass(frozen=True, slots=True)
class RejectedItem:
    """An item a mapper (e.g. of another API's messages) already judged: quarantined with
    ``code`` and ``raw`` as its text; ``item`` carries the ids the quarantine record and the
    suppression of erased subjects read (``event``, ``ids.event_id``, ``user_id``,
    ``anon_id``)."""

    item: dict[str, Any]
    raw: bytes
    code: ErrorCode
    message: str


@dataclass(frozen=True, slots=True)
class _Malformed:
    raw: bytes


@dataclass(frozen=True, slots=True)
class _TooLarge:
    raw: bytes


@dataclass(frozen=True, slots=True)
class _TooDeep:
    raw: bytes
