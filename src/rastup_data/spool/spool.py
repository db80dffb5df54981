"""The durable write-ahead spool with group commit.

Appends from any thread are queued; one writer thread writes everything queued, fsyncs
once for the group, and only then completes each append's future — so a caller that
waits on its future knows its records are on disk. Segments rotate by age and size and
are handed to the lander once sealed. Disk use is bounded: past ``max_bytes`` appends are
refused (back-pressure), never dropped.

A writer that stops on an unexpected error (anything but the storage refusals it rides
out) fails every append it holds and every later one with ``EVENT_PUT_FAILED`` at once —
none waits forever — logs the error once with its traceback, and seals what it had
acknowledged; :attr:`Spool.failure` then says why, so its collector can report unhealthy
and stop to be restarted.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from pathlib import Path

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.spool import segments
from rastup_data.spool.segments import SegmentFiles

__all__ = ["MAX_ROTATE_S", "Spool", "SpoolConfig", "SpoolFull"]

#: The longest a segment stays open (``rotate_s``): the writer waits at most this long for
#: the next append, and a wait past what the platform's clock takes would stop the writer.
MAX_ROTATE_S = 3600.0

#: How long a failed group write counts as the spool failing (``Spool.write_error``) when
#: nothing was written since: with no traffic (a load balancer took the collector out for
#: it) nothing would show that storage takes writes again.
WRITE_ERROR_HOLD_S = 5.0

log = logging.getLogger(__name__)


class SpoolFull(RastupError):
    """The spool holds ``max_bytes`` unlanded; the caller should retry later."""

    def __init__(self, used: int, limit: int) -> None:
        super().__init__(
            ErrorCode.INGEST_OVERLOADED,
            f"spool holds {used} bytes not yet landed (limit {limit}); retry later",
        )


@dataclass(frozen=True, slots=True)
class SpoolConfig:
    """Spool tuning; defaults keep ingest-to-Bronze well under two seconds."""

    rotate_s: float = 0.5
    rotate_bytes: int = 64 * 1024 * 1024
    max_bytes: int = 2 * 1024 * 1024 * 1024
    max_pending_appends: int = 4096


@dataclass(slots=True)
class _Append:
    events: bytes
    bad: bytes
    future: Future[None]


class Spool:
    """One collector's spool directory. Start it, ``append`` to it, ``close`` it."""

    def __init__(
        self,
        directory: Path,
        config: SpoolConfig | None = None,
        *,
        on_seal: Callable[[SegmentFiles], None] | None = None,
    ) -> None:
        self.directory = directory
        self.config = config or SpoolConfig()
        self._on_seal = on_seal
        directory.mkdir(parents=True, exist_ok=True)
        # A new id per process start: segment names (and so Bronze file names) never repeat,
        # even when a restarted spool begins its sequence again; a sealed segment keeps
        # its name, so re-landing it after a crash rewrites the same files.
        self.collector_id = secrets.token_hex(6)
        self._queue: queue.Queue[_Append | None] = queue.Queue(self.config.max_pending_appends)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._failure: BaseException | None = None
        #: The storage error of the last group when it failed (None once one succeeds),
        #: and when.
        self._write_error: tuple[OSError, float] | None = None
        self._seq = 0
        self._events_fd = -1
        self._bad_fd = -1
        self._segment_bytes = 0
        self._segment_started = 0.0
        self._segment_name = ""
        #: Bytes of the open segment's events and bad files whose appends were acknowledged.
        self._acknowledged = (0, 0)
        #: Closed segments not sealed yet (storage refused), with their acknowledged sizes.
        self._unsealed: list[tuple[str, tuple[int, int]]] = []
        self.appends = 0
        self.fsyncs = 0

    # -- lifecycle -------------------------------------------------------------------

    def recover(self) -> list[SegmentFiles]:
        """Seal segments left open by a previous process, delete the bad files of landed
        segments a removal cut short; returns all sealed segments."""
        for name in segments.open_segments(self.directory):
            log.info("sealing segment %s left open by a previous run", name)
            segments.seal(self.directory, name)
        for name in segments.remove_orphaned_bad_files(self.directory):
            log.info("deleted the bad file of segment %s, landed by a previous run", name)
        return segments.sealed_segments(self.directory)

    def start(self) -> None:
        self.recover()
        self._seq = segments.next_sequence(self.directory)
        self._thread = threading.Thread(target=self._run, name="spool-writer", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Write what is queued, fsync, seal the open segment and stop the writer."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._thread is not None:
            if self._failure is None:  # a stopped writer emptied its queue and takes no more
                self._queue.put(None)
            self._thread.join()

    @property
    def failure(self) -> BaseException | None:
        """The error that stopped the writer thread, or None while it runs (or never ran)."""
        return self._failure

    @property
    def write_error(self) -> OSError | None:
        """The storage refusal that failed the last group written, within the last
        ``WRITE_ERROR_HOLD_S``, or None. The writer rides it out; appends fail until
        storage takes writes again."""
        failed = self._write_error
        if failed is None or time.monotonic() - failed[1] > WRITE_ERROR_HOLD_S:
            return None
        return failed[0]

    # -- appending -------------------------------------------------------------------

    def used_bytes(self) -> int:
        total = 0
        for entry in os.scandir(self.directory):
            if entry.name.endswith((".ndjson", ".open")):
                try:
                    total += entry.stat().st_size
                except FileNotFoundError:
                    continue
        return total

    def append(self, events: bytes, bad: bytes = b"") -> Future[None]:
        """Queue NDJSON blobs (every record newline-terminated); the future completes once
        they are fsync'd (or fails)."""
        future: Future[None] = Future()
        if not events and not bad:
            future.set_result(None)
            return future
        # Under the lock: an append is either queued before the writer stops (or is told
        # to), so it is written or failed, or refused here — never left waiting.
        with self._lock:
            if self._closed or self._thread is None or self._failure is not None:
                reason = "stopped" if self._failure is not None else "is not running"
                future.set_exception(
                    RastupError(ErrorCode.EVENT_PUT_FAILED, f"the spool writer {reason}")
                )
                return future
            try:
                self._queue.put_nowait(_Append(events, bad, future))
            except queue.Full:
                future.set_exception(
                    SpoolFull(self._queue.qsize(), self.config.max_pending_appends)
                )
        return future

    # -- writer thread ---------------------------------------------------------------

    def _open_segment(self) -> None:
        self._segment_name = segments.segment_name(self.collector_id, self._seq)
        self._seq += 1
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        base = self.directory / self._segment_name
        self._events_fd = os.open(f"{base}.events.open", flags, 0o644)
        self._bad_fd = os.open(f"{base}.bad.open", flags, 0o644)
        self._segment_bytes = 0
        self._acknowledged = (0, 0)
        self._segment_started = time.monotonic()

    def _close_segment(self) -> None:
        """Close the open segment and seal it; if sealing fails (storage not writable), it
        is kept to be sealed later, cut back to what was acknowledged."""
        if self._events_fd < 0:
            return
        for fd in (self._events_fd, self._bad_fd):
            try:
                os.close(fd)
            except OSError:
                log.exception("closing a spool file failed")
        self._events_fd = self._bad_fd = -1
        self._unsealed.append((self._segment_name, self._acknowledged))
        self._seal_pending()

    def _seal_pending(self) -> None:
        """Seal closed segments, oldest first; stop at the first that still cannot be."""
        while self._unsealed:
            name, sizes = self._unsealed[0]
            try:
                segments.cut_to(self.directory, name, sizes)
                sealed = segments.seal(self.directory, name)
            except OSError as exc:
                log.warning("sealing spool segment %s failed (%s); will retry", name, exc)
                return
            self._unsealed.pop(0)
            if self._on_seal is not None:
                self._on_seal(sealed)

    def _write_group(self, group: list[_Append]) -> None:
        if self._events_fd < 0:
            self._open_segment()
        events = b"".join(a.events for a in group)
        bad = b"".join(a.bad for a in group)
        if events:
            _write_all(self._events_fd, events)
            os.fdatasync(self._events_fd)
        if bad:
            _write_all(self._bad_fd, bad)
            os.fdatasync(self._bad_fd)
        self._segment_bytes += len(events) + len(bad)
        previous_events, previous_bad = self._acknowledged
        self._acknowledged = (previous_events + len(events), previous_bad + len(bad))
        self.fsyncs += 1
        self.appends += len(group)

    def _run(self) -> None:
        try:
            self._write_until_stopped()
        except BaseException as exc:  # any error stops the writer: it says so
            self._stop_on(exc)

    def _stop_on(self, exc: BaseException) -> None:
        """The writer stops: refuse appends from now on, fail the queued ones, and seal the
        open segment (cut back to what was acknowledged) so it lands."""
        with self._lock:
            self._failure = exc
        log.error("the spool writer stopped; appends are refused until restart", exc_info=exc)
        error = RastupError(ErrorCode.EVENT_PUT_FAILED, "the spool writer stopped")
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                _settle(item.future, error)
        try:
            self._close_segment()
        except Exception:  # the next start seals it (recover)
            log.exception("sealing the open segment after the writer stopped failed")

    def _write_until_stopped(self) -> None:
        stop = False
        while not stop:
            timeout = self.config.rotate_s
            if self._events_fd >= 0:
                age = time.monotonic() - self._segment_started
                timeout = max(0.0, self.config.rotate_s - age)
            group: list[_Append] = []
            try:
                item = self._queue.get(timeout=timeout)
                if item is None:
                    stop = True
                else:
                    group.append(item)
                while True:
                    item = self._queue.get_nowait()
                    if item is None:
                        stop = True
                    else:
                        group.append(item)
            except queue.Empty:
                pass
            if group:
                self._commit(group)
            if self._events_fd >= 0 and (
                stop
                or self._segment_bytes >= self.config.rotate_bytes
                or time.monotonic() - self._segment_started >= self.config.rotate_s
            ):
                self._close_segment()
            elif self._unsealed:
                self._seal_pending()

    def _commit(self, group: list[_Append]) -> None:
        try:
            self._write_group(group)
        except OSError as exc:
            log.error("spool write failed: %s", exc)
            self._write_error = (exc, time.monotonic())
            error = RastupError(ErrorCode.EVENT_PUT_FAILED, f"spool write failed: {exc}")
            for append in group:
                _settle(append.future, error)
            # The segment may hold part of this group: it is cut back to what was
            # acknowledged and sealed (now or, if storage refuses, later).
            if self._events_fd >= 0:
                self._close_segment()
            return
        except BaseException:
            # Not acknowledged (the sizes kept are those before this group): the
            # writer stops, and these appends fail with the others.
            for append in group:
                _settle(
                    append.future,
                    RastupError(ErrorCode.EVENT_PUT_FAILED, "the spool writer stopped"),
                )
            raise
        self._write_error = None
        for append in group:
            _settle(append.future, None)


def _settle(future: Future[None], error: BaseException | None) -> None:
    """Complete an append's future; one its caller cancelled (a request cancelled at
    shutdown) is left as it is — its records are written all the same."""
    try:
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
    except InvalidStateError:
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
