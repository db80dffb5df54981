"""Keep the cyclic garbage collector out of a batch's CPU work.

Parsing and judging a batch allocates thousands of dicts, lists and strings, every one of
them acyclic and freed by reference counting. Each allocation counts towards the
collector's thresholds, so a batch of 500 events triggers many young-generation passes and
now and then a full pass over every object of the process (the web framework, the
validator, the lander): a fifth of a collector's CPU per event went there. Pausing the
collector for the length of one batch keeps that work out; the objects it would have
examined are freed by reference counting either way, and the next allocation after the
pause runs a normal pass.

Nested or concurrent pauses are counted: the collector is enabled again when the last
one ends, and only if it was enabled when the first one began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]

_LOCK = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the body with the cyclic garbage collector paused."""
    global _depth, _was_enabled  # one pause count per process, shared by its threads
    with _LOCK:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _LOCK:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
