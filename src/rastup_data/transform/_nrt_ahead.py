"""The NRT refresh's read of Bronze, done ahead by a build on the cores it leaves idle.

A build's first seconds are dbt's start-up, on one core; its models then keep both cores
busy most of the time. :class:`NrtReadAhead` runs :func:`~rastup_data.transform.nrt.prefetch_nrt`
in a thread of its own at idle CPU priority (Linux ``SCHED_IDLE``, which the thread's DuckDB
workers inherit), so it takes only CPU time nothing else of the build (or of the machine)
wants. Where the platform has no such priority it reads with one DuckDB thread instead.

:meth:`NrtReadAhead.take` hands the rows to the refresh. A read not finished by then is
interrupted and the refresh reads those files itself: the read ahead never makes the
refresh wait for more than it saves.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from types import TracebackType

import duckdb

from rastup_data.errors import RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform.nrt import NrtPrefetch, prefetch_nrt

__all__ = ["NrtReadAhead"]

log = logging.getLogger(__name__)

#: How often :meth:`NrtReadAhead.take` interrupts a read that has not stopped yet.
_POLL_S = 0.05


class NrtReadAhead:
    """A :func:`prefetch_nrt` of ``layout`` in a background thread at idle priority; use it
    as a context manager (leaving it stops and joins the thread)."""

    def __init__(self, layout: LakeLayout) -> None:
        self._layout = layout
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._taken = False
        self._result: NrtPrefetch | None = None
        self._thread = threading.Thread(target=self._read, name="nrt-read-ahead", daemon=True)

    def __enter__(self) -> NrtReadAhead:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.take()

    def take(self) -> NrtPrefetch | None:
        """The rows read, or None when the read had not finished (it is stopped), found
        nothing to read ahead or failed. Waits only for the thread to stop."""
        if self._thread.ident is None:  # never started
            return None
        while self._thread.is_alive():
            # Again until it stops: an interrupt between two of the read's statements is
            # not seen by the next one.
            with self._lock:
                self._taken = True
                if self._connection is not None:
                    self._connection.interrupt()
            self._thread.join(timeout=_POLL_S)
        return self._result

    def _read(self) -> None:
        idle = _idle_priority()
        try:
            with duckdb.connect() as connection:
                if not idle:
                    connection.execute("SET threads = 1")
                with self._lock:
                    if self._taken:
                        return
                    self._connection = connection
                try:
                    self._result = prefetch_nrt(self._layout, connection=connection)
                finally:
                    with self._lock:
                        self._connection = None
        except (RastupError, duckdb.Error, OSError) as exc:
            # Interrupted, or Bronze unreadable: the refresh reads it and says what is wrong.
            log.info("NRT rows not read ahead: %s", exc)


def _idle_priority() -> bool:
    """Run the calling thread (and the threads it starts) only on otherwise idle CPU.

    Linux schedules threads, not processes: ``sched_setscheduler(0, …)`` changes this
    thread alone. Elsewhere the call would change the whole process; it is not made.
    """
    if sys.platform != "linux" or not hasattr(os, "SCHED_IDLE"):
        return False
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except OSError:
        return False
    return True
