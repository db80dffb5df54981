"""Process lifecycle: children that never outlive their parent, and signals that unwind.

Every child process of a collector (validation workers, supervisor workers) dies with its
parent and leaves Ctrl-C to it; a parent turns SIGTERM into the same orderly unwinding as
Ctrl-C, so spools are landed and every connection is closed before it exits.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["die_with_parent", "leave_interrupts_to_parent", "sigterm_as_interrupt"]


def die_with_parent() -> None:
    """Ask the kernel to SIGTERM this process when its parent dies (Linux; elsewhere a no-op)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def leave_interrupts_to_parent() -> None:
    """Ignore Ctrl-C: the terminal sends it to the whole process group, and the parent
    stops its children in order (a child dying first would lose its work and print a
    traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises KeyboardInterrupt, as Ctrl-C does.

    Only the main thread receives signals; elsewhere this does nothing. A server that
    catches SIGTERM itself (uvicorn) and re-raises it after its graceful shutdown then
    ends in a KeyboardInterrupt instead of the default action, which would kill the
    process before its finalisers run.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
