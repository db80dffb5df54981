"""Stream an NDJSON source (file, .gz file or stdin) into request-sized batches of raw lines.

Lines are kept byte-for-byte as read (only the line ending is removed): malformed lines reach
the collector, which quarantines them with a verdict, instead of being lost client-side.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.lines import numbered_lines

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "MAX_EVENTS_PER_REQUEST",
    "Batch",
    "EventSource",
    "iter_batches",
    "open_event_source",
]

#: The collector's documented per-request event limit.
MAX_EVENTS_PER_REQUEST = 1000
#: Uncompressed body cap: below the collector's 4 MiB compressed limit even without gzip.
DEFAULT_MAX_BODY_BYTES = 3_670_016  # 3.5 MiB

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class Batch:
    """Consecutive non-blank lines of the source, sent as one NDJSON body."""

    seq: int
    lines: tuple[bytes, ...]
    line_numbers: tuple[int, ...]
    source_end: int

    @property
    def events(self) -> int:
        return len(self.lines)

    @property
    def body_bytes(self) -> int:
        return sum(len(line) + 1 for line in self.lines)

    def ndjson(self) -> bytes:
        """The NDJSON body: each line followed by a newline."""
        return b"".join(line + b"\n" for line in self.lines)

    def split(self) -> tuple[Batch, Batch]:
        """Two halves (for a 413 answer); the batch must hold at least two events."""
        middle = len(self.lines) // 2
        return (
            Batch(self.seq, self.lines[:middle], self.line_numbers[:middle], self.source_end),
            Batch(self.seq, self.lines[middle:], self.line_numbers[middle:], self.source_end),
        )


@dataclass(frozen=True, slots=True)
class EventSource:
    """An opened input: its binary line stream, its size and how far it has been read.

    ``size`` and ``position()`` are in bytes of the file as stored (compressed for .gz);
    ``size`` is None for stdin and pipes.
    """

    name: str
    stream: Iterable[bytes]
    size: int | None
    position: Callable[[], int]


@contextmanager
def open_event_source(path: str | os.PathLike[str]) -> Iterator[EventSource]:
    """Open ``path`` (or ``-`` for stdin) for streaming; gzip is detected by its magic bytes."""
    name = os.fspath(path)
    if name == "-":
        raw: BinaryIO = sys.stdin.buffer
        yield _wrap(name, raw, None, close_raw=False)
        return
    file_path = Path(name)
    if not file_path.is_file():
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"Cannot read {name!r}: no such file.",
            hint="Check the path; send a file of one JSON event per line (.ndjson, or "
            ".ndjson.gz), or '-' to read the events from stdin.",
        )
    handle = file_path.open("rb")
    try:
        yield _wrap(name, handle, file_path.stat().st_size, close_raw=True)
    finally:
        handle.close()


def _wrap(name: str, raw: BinaryIO, size: int | None, *, close_raw: bool) -> EventSource:
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
    counted = _CountingReader(buffered)
    stream: Iterable[bytes]
    if buffered.peek(2)[:2] == _GZIP_MAGIC:
        stream = gzip.GzipFile(fileobj=counted, mode="rb")
    else:
        stream = counted
    return EventSource(name=name, stream=stream, size=size, position=lambda: counted.consumed)


class _CountingReader(io.RawIOBase):
    """Counts the bytes pulled from the underlying stream (progress for .gz and pipes)."""

    def __init__(self, inner: io.BufferedReader) -> None:
        self._inner = inner
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read1(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.consumed += n
        return n

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size) if size is not None and size >= 0 else self._inner.read()
        self.consumed += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        data = self._inner.read1(size)
        self.consumed += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        data = self._inner.readline(-1 if size is None else size)
        self.consumed += len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


#: What `send` says after a source broke while read (the refusal is `lake.lines`'s).
_BROKEN_SOURCE_HINT = (
    "Fix or re-create the file and send it again: events already sent are "
    "recognised by their event_id and not stored twice."
)


def iter_batches(
    lines: Iterable[bytes],
    *,
    max_events: int,
    max_bytes: int = DEFAULT_MAX_BODY_BYTES,
    position: Callable[[], int] | None = None,
) -> Iterator[Batch]:
    """Group non-blank lines into batches of at most ``max_events`` lines and ``max_bytes``.

    A single line longer than ``max_bytes`` travels alone (the collector answers for it).
    ``position`` reports how far the source has been read, recorded on each batch.
    """
    if max_events < 1:
        raise RastupError(ErrorCode.CONFIG_INVALID, f"Batch size must be >= 1, got {max_events}.")
    if max_bytes < 1:
        raise RastupError(ErrorCode.CONFIG_INVALID, f"max_bytes must be >= 1, got {max_bytes}.")
    pending: list[bytes] = []
    numbers: list[int] = []
    size = 0
    seq = 0
    for number, raw in numbered_lines(lines, source="the events", hint=_BROKEN_SOURCE_HINT):
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        cost = len(line) + 1
        if pending and (len(pending) >= max_events or size + cost > max_bytes):
            yield Batch(seq, tuple(pending), tuple(numbers), position() if position else 0)
            seq += 1
            pending, numbers, size = [], [], 0
        pending.append(line)
        numbers.append(number)
        size += cost
    if pending:
        yield Batch(seq, tuple(pending), tuple(numbers), position() if position else 0)
