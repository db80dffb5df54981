"""`rastup-data serve` whose spool writers stop once a marker file exists.

Run as ``python -m tests.collector.writer_fault serve …`` with ``WRITER_FAULT_MARKER`` naming
the marker: from the moment it exists every fsync of a spool group raises an error that is
no storage refusal, in the serving process and in every worker it spawns (spawned workers
import this module again), which stops the writer that meets it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_MARKER = Path(os.environ["WRITER_FAULT_MARKER"])
_fdatasync = os.fdatasync


def _fdatasync_until_marked(fd: int) -> None:
    if _MARKER.exists():
        raise RuntimeError("injected spool writer fault")
    _fdatasync(fd)


os.fdatasync = _fdatasync_until_marked

if __name__ == "__main__":
    from rastup_data.cli import main

    sys.argv = ["rastup-data", *sys.argv[1:]]
    main()
