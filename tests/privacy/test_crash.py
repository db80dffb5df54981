"""kill -9 during a purge, then a rerun: every file stays readable and the rerun completes.

The kill is deterministic: the purge runs in a child process whose lake storage kills the
process (SIGKILL, from inside) while the second Bronze file's replacement is written but
not yet renamed into place. At that instant exactly one Bronze file has been rewritten (its
rename committed), one temporary file is on disk, and the rest are untouched: a purge
killed mid-Bronze, however loaded the machine is. The purge code itself runs unchanged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import duckdb
import pyarrow.parquet as pq
from privacy_fixture import Subjects
from test_erasure_end_to_end import _bronze_rows

from rastup_data.lake.layout import BRONZE_EVENTS, LakeLayout
from rastup_data.privacy import (
    Actor,
    RequestState,
    RequestStore,
    file_erasure,
    open_privacy,
    run_purge,
    verify_request,
)

#: Runs ``rastup-data dsar purge`` with a storage that kills the process at a known point.
_KILLED_PURGE = f"""
import os, signal, sys
from contextlib import contextmanager

from rastup_data import cli
from rastup_data.storage.local import LocalStorage

real_writing = LocalStorage.writing
bronze_writes = []


@contextmanager
def writing(self, key):
    with real_writing(self, key) as tmp:
        yield tmp
        if key.startswith("{BRONZE_EVENTS}/"):
            bronze_writes.append(key)
            if len(bronze_writes) == 2:  # the second file is written, not yet renamed
                os.kill(os.getpid(), signal.SIGKILL)


LocalStorage.writing = writing
sys.argv = ["rastup-data", "dsar", "purge"]
cli.main()
"""


def _killed_purge(lake: LakeLayout) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RASTUP_LAKE=str(lake.root))
    return subprocess.run(
        [sys.executable, "-c", _KILLED_PURGE],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _rows_not_naming(layout: LakeLayout, ids: set[str]) -> int:
    listed = ", ".join(f"'{i}'" for i in sorted(ids))
    with duckdb.connect() as conn:
        row = conn.execute(
            f"SELECT count(*) FROM read_parquet('{layout.events_glob}') "
            f"WHERE coalesce(user_id NOT IN ({listed}), true) "
            f"AND coalesce(anon_id NOT IN ({listed}), true)"
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_killed_purge_leaves_old_or_new_files_and_a_rerun_completes(
    lake: LakeLayout, subjects: Subjects
) -> None:
    ids = {subjects.user, *subjects.anons, subjects.other, *subjects.other_anons}
    with open_privacy(lake.root, actor=Actor("officer")) as ctx:
        requests = [
            file_erasure(ctx, subjects.user).request.request_id,
            file_erasure(ctx, subjects.other).request.request_id,
        ]
    files = sorted(lake.bronze_events.rglob("*.parquet"))
    assert len(files) >= 4
    before, others = _bronze_rows(lake, ids), _rows_not_naming(lake, ids)
    assert not any(p.name.startswith(".") for p in lake.bronze_events.rglob("*"))
    killed = _killed_purge(lake)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    for path in [*lake.bronze.rglob("*.parquet")]:
        pq.read_table(path)  # every file is whole: the old one or the new one
    # The temporary file the kill left behind is a dot-file: no glob or listing reads it.
    assert any(p.name.startswith(".") for p in lake.bronze_events.rglob("*"))
    assert all(not k.endswith(".tmp") for k in lake.lake.list_keys("bronze"))
    assert 0 < _bronze_rows(lake, ids) < before, "the kill did not land mid-Bronze"
    with open_privacy(lake.root, actor=Actor("officer")) as ctx:
        store = RequestStore(ctx.state)
        assert {store.get(r).state for r in requests} == {RequestState.EXCLUDED}
        report = run_purge(ctx)
        assert set(report.purged) == set(requests)
        assert _bronze_rows(lake, ids) == 0
        for request in requests:
            assert verify_request(ctx, request).verified
    assert _rows_not_naming(lake, ids) == others  # nothing else was lost
