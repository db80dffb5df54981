"""Another process holding one of a lake's locks until the test lets it go.

The holder does not hold for a fixed time: a test that waits on a lock held "for 0.8 s" fails
when a loaded machine keeps the test from running for longer than that.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tests.waiting import PATIENCE_S

_HOLDER = """
import sys
from rastup_data.lake.layout import LakeLayout
with LakeLayout(sys.argv[1]).lake.lock(sys.argv[2]):
    print("held", flush=True)
    sys.stdin.readline()  # until the test lets go
print("released", flush=True)
"""


class Holder:
    """The holding process; ``release`` lets go of the lock and waits for its exit."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def release(self) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        if self.process.poll() is None:
            self.process.stdin.write("\n")
            self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "released"
        assert self.process.wait(PATIENCE_S) == 0


@contextmanager
def holding(lake: str, name: str) -> Iterator[Holder]:
    """A process holding the lock ``name`` of ``lake`` (a folder or an s3:// URL)."""
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, lake, name],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    holder = Holder(process)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "held"
        yield holder
    finally:
        if process.returncode is None:
            holder.release()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
