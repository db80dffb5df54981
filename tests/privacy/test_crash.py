"""kill -9 during a purge, then a rerun: every file stays readable and the rerun completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
from privacy_fixture import Subjects
from test_erasure_end_to_end import _bronze_rows

from rastup_data.lake.layout import LakeLayout
from rastup_data.privacy import (
    Actor,
    RequestState,
    RequestStore,
    file_erasure,
    open_privacy,
    run_purge,
    verify_request,
)


def _purge_until_first_rewrite(lake: LakeLayout) -> subprocess.Popen[str]:
    env = dict(os.environ, RASTUP_LAKE=str(lake.root))
    proc = subprocess.Popen(
        [sys.executable, "-m", "rastup_data.cli", "dsar", "purge"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 300
    for line in proc.stderr:
        if "bronze: " in line and "row(s)" in line:
            proc.send_signal(signal.SIGKILL)
            break
        assert time.monotonic() < deadline, "the purge never rewrote a Bronze file"
    proc.wait(timeout=60)
    proc.stderr.close()
    return proc


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
    killed = _purge_until_first_rewrite(lake)
    assert killed.returncode == -signal.SIGKILL
    for path in [*lake.bronze.rglob("*.parquet")]:
        pq.read_table(path)  # every file is whole: the old one or the new one
    # A temporary file the kill left behind is a dot-file: no glob or listing reads it.
    assert all(not k.endswith(".tmp") for k in lake.lake.list_keys("bronze"))
    remaining = _bronze_rows(lake, ids)
    assert remaining > 0, "the kill came after the purge had finished Bronze"
    with open_privacy(lake.root, actor=Actor("officer")) as ctx:
        store = RequestStore(ctx.state)
        assert {store.get(r).state for r in requests} == {RequestState.EXCLUDED}
        report = run_purge(ctx)
        assert set(report.purged) == set(requests)
        assert _bronze_rows(lake, ids) == 0
        for request in requests:
            assert verify_request(ctx, request).verified
