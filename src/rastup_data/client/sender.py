"""Send an NDJSON source to the collector: stream, batch, POST concurrently, summarise.

The source is never loaded whole: at most ``2 × concurrency`` batches are in memory.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from rastup_data.client.batching import (
    DEFAULT_MAX_BODY_BYTES,
    MAX_EVENTS_PER_REQUEST,
    Batch,
    iter_batches,
    open_event_source,
)
from rastup_data.client.delivery import BatchDeliverer, BatchResult, collector_credentials
from rastup_data.client.retry import RetryPolicy
from rastup_data.client.summary import SendSummary, SummaryBuilder
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.terminal import output_console

__all__ = ["SendOptions", "send_file", "send_lines"]

BatchCallback = Callable[[Batch, BatchResult], None]


@dataclass(frozen=True, slots=True)
class SendOptions:
    """How to send: the documented options of :func:`send_file` and :func:`send_lines`."""

    url: str | None = None
    key: str | None = None
    batch: int = 500
    concurrency: int = 4
    gzip: bool = True
    timeout: float = 30.0
    retry: RetryPolicy | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    progress: bool | None = None
    console: Console | None = None
    on_batch: BatchCallback | None = None
    transport: httpx.BaseTransport | None = None


@dataclass(frozen=True, slots=True)
class _Source:
    """Lines to send, the name they go by, and how far into their bytes the reader is."""

    lines: Iterable[bytes]
    name: str
    size: int | None
    position: Callable[[], int]


def send_file(  # noqa: PLR0913 - public API: one keyword argument per documented option
    path: str | os.PathLike[str],
    *,
    url: str | None = None,
    key: str | None = None,
    batch: int = 500,
    concurrency: int = 4,
    gzip: bool = True,
    timeout: float = 30.0,
    retry: RetryPolicy | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    progress: bool | None = None,
    console: Console | None = None,
    on_batch: BatchCallback | None = None,
    transport: httpx.BaseTransport | None = None,
) -> SendSummary:
    """Send every non-blank line of ``path`` (NDJSON, optionally gzip; ``-`` is stdin).

    ``url``/``key`` default to $RASTUP_URL/$RASTUP_KEY. ``progress`` None shows a progress
    bar only when ``console`` (default: stderr) is a terminal. ``on_batch`` is called from
    worker threads with each batch and its result. Failed batches are reported in the
    summary, not raised; only misuse raises RastupError.
    """
    options = SendOptions(
        url=url,
        key=key,
        batch=batch,
        concurrency=concurrency,
        gzip=gzip,
        timeout=timeout,
        retry=retry,
        max_body_bytes=max_body_bytes,
        progress=progress,
        console=console,
        on_batch=on_batch,
        transport=transport,
    )
    with open_event_source(path) as source:
        return _send(_Source(source.stream, source.name, source.size, source.position), options)


def send_lines(  # noqa: PLR0913 - public API: one keyword argument per documented option
    lines: Iterable[bytes],
    *,
    url: str | None = None,
    key: str | None = None,
    batch: int = 500,
    concurrency: int = 4,
    gzip: bool = True,
    timeout: float = 30.0,
    retry: RetryPolicy | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    on_batch: BatchCallback | None = None,
    transport: httpx.BaseTransport | None = None,
) -> SendSummary:
    """Like :func:`send_file` for lines already in hand (no progress bar)."""
    read = 0

    def counted() -> Iterable[bytes]:
        nonlocal read
        for line in lines:
            read += len(line)
            yield line

    options = SendOptions(
        url=url,
        key=key,
        batch=batch,
        concurrency=concurrency,
        gzip=gzip,
        timeout=timeout,
        retry=retry,
        max_body_bytes=max_body_bytes,
        progress=False,
        on_batch=on_batch,
        transport=transport,
    )
    return _send(_Source(counted(), "<lines>", None, lambda: read), options)


def _send(source: _Source, options: SendOptions) -> SendSummary:
    _check_options(batch=options.batch, concurrency=options.concurrency, timeout=options.timeout)
    url, key = collector_credentials(options.url, options.key, pass_key="--key")
    console = options.console or output_console(stderr=True)
    show = console.is_terminal if options.progress is None else options.progress
    run = _SendRun(options, SummaryBuilder(source.name))
    bar = _ProgressBar(console, source.size) if show else None
    started = time.perf_counter()
    concurrency = options.concurrency
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with (
        httpx.Client(timeout=options.timeout, limits=limits, transport=options.transport) as http,
        ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="rastup-send") as pool,
    ):
        # Waiting before a retry ends early once the run stops (401, interrupt).
        deliverer = BatchDeliverer(
            http, url, key, gzip_bodies=options.gzip, retry=options.retry, wait=run.stop.wait
        )
        if bar is not None:
            bar.start()
        try:
            run.submit_all(source, pool, deliverer, bar)
        finally:
            pool.shutdown(wait=True)
            if bar is not None:
                bar.stop()
    return run.builder.build(
        bytes_read=source.position(),
        elapsed_s=time.perf_counter() - started,
        stopped_early=run.stop_reason[0] if run.stop_reason else None,
    )


class _SendRun:
    """One send: batches in flight (at most 2 × concurrency), the summary, and the stop."""

    def __init__(self, options: SendOptions, builder: SummaryBuilder) -> None:
        self.options = options
        self.builder = builder
        self.stop = threading.Event()
        self.stop_reason: list[str] = []
        self._in_flight = threading.BoundedSemaphore(options.concurrency * 2)

    def submit_all(
        self,
        source: _Source,
        pool: ThreadPoolExecutor,
        deliverer: BatchDeliverer,
        bar: _ProgressBar | None,
    ) -> None:
        """Read batches and hand each to the pool until the source ends or the run stops."""
        options = self.options
        batches = iter_batches(
            source.lines,
            max_events=options.batch,
            max_bytes=options.max_body_bytes,
            position=source.position,
        )
        try:
            for item in batches:
                self._in_flight.acquire()
                if self.stop.is_set():
                    self._in_flight.release()
                    break
                self.builder.record_read(item)
                future = pool.submit(self._deliver, deliverer, item)
                future.add_done_callback(functools.partial(self._finished, item, bar))
        except BaseException:
            self.stop_reason.append("interrupted")
            self.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise

    def _deliver(self, deliverer: BatchDeliverer, item: Batch) -> BatchResult:
        result = deliverer.deliver(item.lines)
        if any(f.status == 401 for f in result.failures) and not self.stop.is_set():
            self.stop_reason.append(
                "the collector refused the API key (401); check --key / RASTUP_KEY"
            )
            self.stop.set()
        return result

    def _finished(self, item: Batch, bar: _ProgressBar | None, future: Future[BatchResult]) -> None:
        self._in_flight.release()
        if future.cancelled():
            return
        result = future.result()
        self.builder.record_result(item, result)
        if bar is not None:
            bar.advance(item.source_end, result.accepted + result.duplicates + result.rejected)
        if self.options.on_batch is not None:
            self.options.on_batch(item, result)


def _check_options(*, batch: int, concurrency: int, timeout: float) -> None:
    if not 1 <= batch <= MAX_EVENTS_PER_REQUEST:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"Batch size must be between 1 and {MAX_EVENTS_PER_REQUEST}, got {batch}.",
        )
    if concurrency < 1:
        raise RastupError(
            ErrorCode.CONFIG_INVALID, f"Concurrency must be at least 1, got {concurrency}."
        )
    if timeout <= 0:
        raise RastupError(ErrorCode.CONFIG_INVALID, f"Timeout must be positive, got {timeout}.")


class _ProgressBar:
    """Events sent and source bytes done, on the console (stderr)."""

    def __init__(self, console: Console, total_bytes: int | None) -> None:
        self._lock = threading.Lock()
        self._done_bytes = 0
        self._events = 0
        self._progress = Progress(
            TextColumn("[bold]sending"),
            BarColumn(),
            TextColumn("{task.fields[events]:,} events"),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID = self._progress.add_task("send", total=total_bytes, events=0)

    def start(self) -> None:
        self._progress.start()

    def stop(self) -> None:
        self._progress.stop()

    def advance(self, source_end: int, events: int) -> None:
        with self._lock:
            self._done_bytes = max(self._done_bytes, source_end)
            self._events += events
            self._progress.update(self._task, completed=self._done_bytes, events=self._events)
