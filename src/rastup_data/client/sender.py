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
from rastup_data.client.delivery import BatchDeliverer, BatchResult
from rastup_data.client.retry import RetryPolicy
from rastup_data.client.summary import SendSummary, SummaryBuilder
from rastup_data.config import Settings
from rastup_data.errors import ErrorCode, RastupError

__all__ = ["send_file", "send_lines"]

BatchCallback = Callable[[Batch, BatchResult], None]


def send_file(
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
    with open_event_source(path) as source:
        return _send(
            source.stream,
            name=source.name,
            size=source.size,
            position=source.position,
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


def send_lines(
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

    return _send(
        counted(),
        name="<lines>",
        size=None,
        position=lambda: read,
        url=url,
        key=key,
        batch=batch,
        concurrency=concurrency,
        gzip=gzip,
        timeout=timeout,
        retry=retry,
        max_body_bytes=max_body_bytes,
        progress=False,
        console=None,
        on_batch=on_batch,
        transport=transport,
    )


def _send(
    lines: Iterable[bytes],
    *,
    name: str,
    size: int | None,
    position: Callable[[], int],
    url: str | None,
    key: str | None,
    batch: int,
    concurrency: int,
    gzip: bool,
    timeout: float,
    retry: RetryPolicy | None,
    max_body_bytes: int,
    progress: bool | None,
    console: Console | None,
    on_batch: BatchCallback | None,
    transport: httpx.BaseTransport | None,
) -> SendSummary:
    _check_options(batch=batch, concurrency=concurrency, timeout=timeout)
    if url is None or key is None:
        settings = Settings.from_env()
        url = url if url is not None else settings.url
        key = key if key is not None else settings.key
    if not key:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            "No API key: pass --key or set RASTUP_KEY to a key the collector accepts.",
        )
    console = console or Console(stderr=True)
    show = console.is_terminal if progress is None else progress
    builder = SummaryBuilder(name)
    stop = threading.Event()
    stop_reason: list[str] = []
    in_flight = threading.BoundedSemaphore(concurrency * 2)
    bar = _ProgressBar(console, size) if show else None
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with (
        httpx.Client(timeout=timeout, limits=limits, transport=transport) as http,
        ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="rastup-send") as pool,
    ):
        # Waiting before a retry ends early once the run stops (401, interrupt).
        deliverer = BatchDeliverer(http, url, key, gzip_bodies=gzip, retry=retry, wait=stop.wait)

        def deliver(item: Batch) -> BatchResult:
            result = deliverer.deliver(item.lines)
            if any(f.status == 401 for f in result.failures) and not stop.is_set():
                stop_reason.append(
                    "the collector refused the API key (401); check --key / RASTUP_KEY"
                )
                stop.set()
            return result

        def finished(item: Batch, future: Future[BatchResult]) -> None:
            in_flight.release()
            if future.cancelled():
                return
            result = future.result()
            builder.record_result(item, result)
            if bar is not None:
                bar.advance(item.source_end, result.accepted + result.duplicates + result.rejected)
            if on_batch is not None:
                on_batch(item, result)

        if bar is not None:
            bar.start()
        try:
            for item in iter_batches(
                lines, max_events=batch, max_bytes=max_body_bytes, position=position
            ):
                in_flight.acquire()
                if stop.is_set():
                    in_flight.release()
                    break
                builder.record_read(item)
                future = pool.submit(deliver, item)
                future.add_done_callback(functools.partial(finished, item))
        except BaseException:
            stop_reason.append("interrupted")
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)
            if bar is not None:
                bar.stop()
    elapsed = time.perf_counter() - started
    return builder.build(
        bytes_read=position(),
        elapsed_s=elapsed,
        stopped_early=stop_reason[0] if stop_reason else None,
    )


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
