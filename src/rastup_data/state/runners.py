"""Which process runs a thing (``host:pid``) and whether it still exists, for rows other
processes read: the running queries (``running_queries``)."""

from __future__ import annotations

import os
import socket

__all__ = ["runner_alive", "this_runner"]


def this_runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def runner_alive(runner: str) -> bool:
    """Whether a runner of this host still exists (runners of other hosts are trusted)."""
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
