"""A purge and retention replace or delete Bronze files only outside a build and an NRT refresh.

A build lists Bronze's files and reads them twice in one query (the dedupe names later copies
by file and row number), and an NRT refresh lists them before it reads them: a file rewritten
or deleted in between fails the reader or drops the wrong row. Each test holds the lock such a
reader holds, lets the purge (or retention) get as far as it can, and checks that no Bronze
file changed until the lock is released.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from privacy_fixture import Subjects
from test_erasure_end_to_end import _bronze_rows
from test_lifecycle import LATER, _short

import rastup_data.privacy.lifecycle.parquet as lifecycle_parquet
import rastup_data.privacy.purge.parquet as purge_parquet
from rastup_data.lake.layout import BUILD_LOCK, NRT_LOCK, LakeLayout, rewriting_bronze
from rastup_data.privacy import Actor, file_erasure, open_privacy, run_purge
from rastup_data.privacy.retention import run_lifecycle
from rastup_data.storage import Storage

READERS = [BUILD_LOCK, NRT_LOCK]


def _bronze_files(layout: LakeLayout) -> dict[Path, tuple[int, int, int]]:
    """Each Bronze file with its inode, size and modification time: a rewrite changes them."""
    return {
        p: (s.st_ino, s.st_size, s.st_mtime_ns)
        for p in sorted(layout.bronze.rglob("*.parquet"))
        for s in [p.stat()]
    }


def _in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def _signal_before(
    real: Callable[[Storage], AbstractContextManager[None]], reached: threading.Event
) -> Callable[[Storage], AbstractContextManager[None]]:
    @contextmanager
    def wrapped(store: Storage) -> Iterator[None]:
        reached.set()
        with real(store):
            yield

    return wrapped


def _held_back_by(
    lake: LakeLayout, reader_lock: str, work: Callable[[], object], reached: threading.Event
) -> dict[Path, tuple[int, int, int]]:
    """Run ``work`` while holding ``reader_lock``: once it reaches its rewrite (``reached``),
    no Bronze file changes until the lock is let go; then it finishes without an error.
    Returns the Bronze files as they were before."""
    before = _bronze_files(lake)
    with lake.lake.lock(reader_lock):  # what a build or an NRT refresh holds while it reads
        thread, errors = _in_thread(work)
        assert reached.wait(timeout=120), "the rewrite was never reached"
        thread.join(timeout=1.0)
        assert thread.is_alive()
        assert _bronze_files(lake) == before
    thread.join(timeout=300)
    assert not thread.is_alive()
    assert not errors, errors
    return before


@pytest.mark.parametrize("reader_lock", READERS)
def test_a_purge_rewrites_bronze_only_outside_a_build_or_an_nrt_refresh(
    lake: LakeLayout, subjects: Subjects, reader_lock: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = {subjects.user, *subjects.anons}
    assert _bronze_rows(lake, ids) > 0
    with open_privacy(lake.root, actor=Actor("officer")) as ctx:
        file_erasure(ctx, subjects.user)
    read = threading.Event()
    real_read = purge_parquet.read_parquet_table

    def reading(store: Storage, key: str) -> object:
        table = real_read(store, key)
        read.set()  # a file naming the subject was read: its rewrite comes next
        return table

    monkeypatch.setattr(purge_parquet, "read_parquet_table", reading)

    def purge() -> None:
        with open_privacy(lake.root, actor=Actor("officer")) as ctx:
            run_purge(ctx)

    before = _held_back_by(lake, reader_lock, purge, read)
    assert _bronze_rows(lake, ids) == 0
    assert _bronze_files(lake) != before


@pytest.mark.parametrize("reader_lock", READERS)
def test_retention_deletes_bronze_only_outside_a_build_or_an_nrt_refresh(
    lake: LakeLayout, reader_lock: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached = threading.Event()
    monkeypatch.setattr(
        lifecycle_parquet,
        "rewriting_bronze",
        _signal_before(rewriting_bronze, reached),
    )

    def expire() -> None:
        with open_privacy(lake.root, actor=Actor("officer")) as ctx:
            run_lifecycle(_short(ctx), today=LATER)

    _held_back_by(lake, reader_lock, expire, reached)
    assert not list(lake.bronze_events.rglob("*.parquet"))
