"""The outcome of sending a file: counts, rejections by code, failed batches; text and JSON."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from rastup_data.client.batching import Batch
from rastup_data.client.delivery import BatchResult
from rastup_data.errors import ErrorCode
from rastup_data.terminal import table_title

__all__ = [
    "FailedBatch",
    "Rejection",
    "SendSummary",
    "SummaryBuilder",
    "failure_hint",
    "render_summary",
]

#: How many individual rejections and failed batches a summary keeps as examples.
EXAMPLES_KEPT = 20


@dataclass(frozen=True, slots=True)
class Rejection:
    """One event the collector did not accept, located by its line in the source."""

    line: int
    event_id: str | None
    status: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class FailedBatch:
    """Lines that got no verdict (the request failed for good)."""

    first_line: int
    last_line: int
    events: int
    code: str
    message: str
    status: int | None
    attempts: int


@dataclass(frozen=True, slots=True)
class SendSummary:
    """What happened to every line of a source sent to the collector.

    ``sent`` counts events that got a verdict (accepted + duplicates + rejected);
    ``failed_events`` those in requests that failed for good. Read lines are either.
    """

    source: str
    events_read: int
    sent: int
    accepted: int
    duplicates: int
    rejected: int
    rejected_by_code: dict[str, int]
    batches: int
    failed_batches: int
    failed_events: int
    failures_by_code: dict[str, int]
    requests: int
    bytes_read: int
    bytes_sent: int
    elapsed_s: float
    rejections: tuple[Rejection, ...]
    failures: tuple[FailedBatch, ...]
    stopped_early: str | None

    @property
    def ok(self) -> bool:
        """True when every batch got an answer (rejected events included)."""
        return self.failed_batches == 0 and self.stopped_early is None

    @property
    def events_per_s(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["events_per_s"] = round(self.events_per_s, 1)
        data["elapsed_s"] = round(self.elapsed_s, 3)
        data["ok"] = self.ok
        return data

    def to_json(self) -> str:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2).decode()


class SummaryBuilder:
    """Accumulates batch results from many threads into a SendSummary."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._events_read = 0
        self._batches = 0
        self._failed_batches = 0
        self._accepted = self._duplicates = self._rejected = self._failed_events = 0
        self._requests = self._bytes_sent = 0
        self._rejected_by_code: Counter[str] = Counter()
        self._failures_by_code: Counter[str] = Counter()
        self._rejections: list[Rejection] = []
        self._failures: list[FailedBatch] = []

    def record_read(self, batch: Batch) -> None:
        with self._lock:
            self._events_read += batch.events
            self._batches += 1

    def record_result(self, batch: Batch, result: BatchResult) -> None:
        with self._lock:
            self._accepted += result.accepted
            self._duplicates += result.duplicates
            self._rejected += result.rejected
            self._requests += result.requests
            self._bytes_sent += result.bytes_sent
            for verdict in result.verdicts:
                if verdict.status != "duplicate":
                    self._rejected_by_code[verdict.code] += 1
                if verdict.status != "duplicate" and len(self._rejections) < EXAMPLES_KEPT:
                    line = (
                        batch.line_numbers[verdict.index]
                        if 0 <= verdict.index < len(batch.line_numbers)
                        else -1
                    )
                    self._rejections.append(
                        Rejection(
                            line, verdict.event_id, verdict.status, verdict.code, verdict.message
                        )
                    )
            if result.failures:
                self._failed_batches += 1
            for failure in result.failures:
                self._failed_events += failure.events
                self._failures_by_code[failure.code] += failure.events
                if len(self._failures) < EXAMPLES_KEPT:
                    lines = batch.line_numbers[
                        failure.first_index : failure.first_index + failure.events
                    ]
                    self._failures.append(
                        FailedBatch(
                            lines[0],
                            lines[-1],
                            failure.events,
                            failure.code,
                            failure.message,
                            failure.status,
                            failure.attempts,
                        )
                    )

    def build(
        self, *, bytes_read: int, elapsed_s: float, stopped_early: str | None = None
    ) -> SendSummary:
        with self._lock:
            # A server that omits per-event results still gives counts; keep codes honest.
            unexplained = self._rejected - sum(self._rejected_by_code.values())
            by_code = dict(self._rejected_by_code)
            if unexplained > 0:
                by_code["UNKNOWN"] = by_code.get("UNKNOWN", 0) + unexplained
            return SendSummary(
                source=self._source,
                events_read=self._events_read,
                sent=self._accepted + self._duplicates + self._rejected,
                accepted=self._accepted,
                duplicates=self._duplicates,
                rejected=self._rejected,
                rejected_by_code=dict(sorted(by_code.items())),
                batches=self._batches,
                failed_batches=self._failed_batches,
                failed_events=self._failed_events,
                failures_by_code=dict(sorted(self._failures_by_code.items())),
                requests=self._requests,
                bytes_read=bytes_read,
                bytes_sent=self._bytes_sent,
                elapsed_s=elapsed_s,
                rejections=tuple(sorted(self._rejections, key=lambda r: r.line)),
                failures=tuple(sorted(self._failures, key=lambda f: f.first_line)),
                stopped_early=stopped_early,
            )


def render_summary(summary: SendSummary, console: Console) -> None:
    """Print a human summary: totals, rejections by code, failed batches."""
    table = Table(title=table_title(f"sent {summary.source}"), show_header=False, box=None)
    table.add_column(justify="left")
    table.add_column(justify="right")
    rows = [
        ("events read", f"{summary.events_read:,}"),
        ("sent (answered)", f"{summary.sent:,}"),
        ("accepted", f"{summary.accepted:,}"),
        ("duplicates", f"{summary.duplicates:,}"),
        ("rejected", f"{summary.rejected:,}"),
        ("failed batches", f"{summary.failed_batches:,} ({summary.failed_events:,} events)"),
        ("requests", f"{summary.requests:,}"),
        ("bytes read / sent", f"{summary.bytes_read:,} / {summary.bytes_sent:,}"),
        ("elapsed", f"{summary.elapsed_s:.2f} s"),
        ("throughput", f"{summary.events_per_s:,.0f} events/s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    for code, count in summary.rejected_by_code.items():
        console.print(f"  rejected {code}: {count:,}")
    for rejection in summary.rejections[:5]:
        console.print(
            f"  line {rejection.line}: {rejection.code}: {rejection.message}",
            markup=False,
            highlight=False,
        )
    for code, count in summary.failures_by_code.items():
        console.print(f"  failed {code}: {count:,} events", style="red")
    for failure in summary.failures[:5]:
        console.print(
            f"  lines {failure.first_line}-{failure.last_line}: {failure.message}",
            markup=False,
            highlight=False,
            style="red",
        )
    for code in summary.failures_by_code:
        console.print(f"hint: {failure_hint(code)}", markup=False, highlight=False)
    if summary.stopped_early:
        console.print(f"stopped early: {summary.stopped_early}", style="red", markup=False)


def failure_hint(code: str) -> str:
    """What to do about batches that failed with ``code``, fitted to that failure."""
    if code == ErrorCode.COLLECTOR_UNREACHABLE.value:
        return (
            "nothing answered at the collector URL (--url, else $RASTUP_URL, else "
            "http://127.0.0.1:8080): start one with `rastup-data serve`, or point --url at "
            "the one running."
        )
    if code.startswith("HTTP_"):
        return (
            f"the service at the collector URL answered {code.replace('_', ' ')} without a "
            "collector error code: another program may hold that port. Check --url / "
            "$RASTUP_URL, and `curl URL/healthz` should answer."
        )
    try:
        return ErrorCode(code).info.action
    except ValueError:
        return "see docs/sending-events.md for the collector's answers."
