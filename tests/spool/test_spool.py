from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.spool.segments import SegmentFiles, sealed_segments, truncate_torn_tail
from rastup_data.spool.spool import Spool, SpoolConfig


def _lines(segments: list[SegmentFiles]) -> list[bytes]:
    out: list[bytes] = []
    for s in segments:
        out += s.events.read_bytes().splitlines()
    return out


def test_acknowledged_appends_are_on_disk_before_the_future_completes(tmp_path: Path) -> None:
    spool = Spool(tmp_path, SpoolConfig(rotate_s=60))
    spool.start()
    spool.append(b'{"a":1}\n{"a":2}\n', b'{"bad":1}\n').result(timeout=5)
    (open_file,) = tmp_path.glob("*.events.open")
    assert open_file.read_bytes() == b'{"a":1}\n{"a":2}\n'
    assert next(tmp_path.glob("*.bad.open")).read_bytes() == b'{"bad":1}\n'
    spool.close()
    assert _lines(sealed_segments(tmp_path)) == [b'{"a":1}', b'{"a":2}']


def test_concurrent_appends_are_grouped_and_none_is_lost(tmp_path: Path) -> None:
    spool = Spool(tmp_path, SpoolConfig(rotate_s=0.05))
    spool.start()

    def writer(k: int) -> None:
        for i in range(50):
            spool.append(f'{{"w":{k},"i":{i}}}\n'.encode()).result(timeout=5)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spool.close()
    lines = _lines(sealed_segments(tmp_path))
    assert len(lines) == 400
    assert len(set(lines)) == 400
    assert spool.fsyncs <= spool.appends


def test_rotation_seals_segments_by_age(tmp_path: Path) -> None:
    sealed: list[SegmentFiles] = []
    spool = Spool(tmp_path, SpoolConfig(rotate_s=0.05), on_seal=sealed.append)
    spool.start()
    spool.append(b"{}\n").result(timeout=5)
    for _ in range(100):
        if sealed:
            break
        threading.Event().wait(0.02)
    spool.close()
    assert sealed
    assert sealed[0].events.exists()


def test_recover_seals_open_segments_and_cuts_torn_tails(tmp_path: Path) -> None:
    (tmp_path / "abcd-000000000007.events.open").write_bytes(b'{"a":1}\n{"a":2}\n{"a":')
    spool = Spool(tmp_path)
    segments = spool.recover()
    assert [s.name for s in segments] == ["abcd-000000000007"]
    assert segments[0].events.read_bytes() == b'{"a":1}\n{"a":2}\n'
    spool.start()
    spool.append(b'{"b":1}\n').result(timeout=5)
    spool.close()
    names = [s.name for s in sealed_segments(tmp_path)]
    assert names[0] == "abcd-000000000007"
    assert len(names) == 2
    assert names[1].startswith(spool.collector_id + "-")


def test_a_landed_segment_is_removed_its_events_file_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A removal cut short after its first delete leaves a segment still listed (the lander
    finds it in the manifest and only deletes it), never a bad file alone."""
    files = SegmentFiles.in_directory(tmp_path, "abcd-000000000001")
    files.events.write_bytes(b'{"a":1}\n')
    files.bad.write_bytes(b'{"b":1}\n')
    unlink = Path.unlink

    def killed_after_the_first(self: Path, *, missing_ok: bool = False) -> None:
        unlink(self, missing_ok=missing_ok)
        raise KeyboardInterrupt  # the process ends here

    monkeypatch.setattr(Path, "unlink", killed_after_the_first)
    with pytest.raises(KeyboardInterrupt):
        files.remove()
    monkeypatch.undo()
    assert not files.bad.exists()
    assert [s.name for s in sealed_segments(tmp_path)] == ["abcd-000000000001"]


def test_recover_deletes_a_bad_file_whose_segment_was_landed(tmp_path: Path) -> None:
    """A removal cut short by an older version (events file first) left the bad file of a
    landed segment alone; a bad file with an events file, or an open one, is kept."""
    (tmp_path / "abcd-000000000001.bad.ndjson").write_bytes(b'{"b":1}\n')
    (tmp_path / "abcd-000000000002.bad.ndjson").write_bytes(b'{"b":2}\n')
    (tmp_path / "abcd-000000000002.events.ndjson").write_bytes(b'{"a":2}\n')
    (tmp_path / "abcd-000000000003.bad.ndjson").write_bytes(b'{"b":3}\n')
    (tmp_path / "abcd-000000000003.events.open").write_bytes(b'{"a":3}\n')
    segments = Spool(tmp_path).recover()
    assert not (tmp_path / "abcd-000000000001.bad.ndjson").exists()
    assert [s.name for s in segments] == ["abcd-000000000002", "abcd-000000000003"]
    assert all(s.bad.exists() for s in segments)


def test_segment_names_never_repeat_across_restarts(tmp_path: Path) -> None:
    """A restarted spool whose earlier segments all landed must not reuse their names:
    the Bronze files are named after segments and would be overwritten."""
    seen: set[str] = set()
    for _ in range(3):
        spool = Spool(tmp_path)
        spool.start()
        spool.append(b"{}\n").result(timeout=5)
        spool.close()
        for segment in sealed_segments(tmp_path):
            assert segment.name not in seen
            seen.add(segment.name)
            segment.remove()  # landed
    assert len(seen) == 3


def test_truncate_torn_tail_without_any_newline(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"partial")
    assert truncate_torn_tail(path) == 7
    assert path.read_bytes() == b""


def test_append_after_close_fails_with_a_code(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.start()
    spool.close()
    with pytest.raises(RastupError) as info:
        spool.append(b"{}\n").result(timeout=5)
    assert info.value.code is ErrorCode.EVENT_PUT_FAILED


def test_a_full_queue_pushes_back_instead_of_dropping(tmp_path: Path) -> None:
    spool = Spool(tmp_path, SpoolConfig(max_pending_appends=1))
    # Not started: nothing drains the queue, so the second append must be refused.
    spool._thread = threading.Thread()  # pretend running
    first = spool.append(b"{}\n")
    second = spool.append(b"{}\n")
    assert not first.done()
    with pytest.raises(RastupError) as info:
        second.result(timeout=1)
    assert info.value.code is ErrorCode.INGEST_OVERLOADED


def test_a_failed_fsync_keeps_only_what_was_acknowledged_and_the_spool_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unit test with an injected storage fault: the bytes of a group whose fsync failed
    were written but never acknowledged; they must not land (the client retries them)."""
    import rastup_data.spool.spool as spool_module

    real = spool_module.os.fdatasync
    failures = iter([False, True])  # the second group's fsync fails

    def flaky(fd: int) -> None:
        if next(failures, False):
            raise OSError(5, "Input/output error")
        real(fd)

    monkeypatch.setattr(spool_module.os, "fdatasync", flaky)
    spool = Spool(tmp_path, SpoolConfig(rotate_s=60))
    spool.start()
    spool.append(b'{"a":1}\n').result(timeout=5)
    with pytest.raises(RastupError) as info:
        spool.append(b'{"a":2}\n').result(timeout=5)
    assert info.value.code is ErrorCode.EVENT_PUT_FAILED
    spool.append(b'{"a":3}\n').result(timeout=5)
    spool.close()
    assert sorted(_lines(sealed_segments(tmp_path))) == [b'{"a":1}', b'{"a":3}']


def test_a_segment_that_cannot_be_sealed_is_sealed_once_storage_allows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rastup_data.spool.segments as segments_module
    import rastup_data.spool.spool as spool_module

    real = segments_module.seal
    refused = threading.Event()
    refused.set()

    def read_only(directory: Path, name: str) -> SegmentFiles:
        if refused.is_set():
            raise PermissionError(13, "Read-only file system")
        return real(directory, name)

    monkeypatch.setattr(spool_module.segments, "seal", read_only)
    sealed: list[SegmentFiles] = []
    spool = Spool(tmp_path, SpoolConfig(rotate_s=0.05), on_seal=sealed.append)
    spool.start()
    spool.append(b'{"a":1}\n').result(timeout=5)
    time.sleep(0.3)  # rotations come and go; sealing is refused
    assert sealed == []
    refused.clear()
    deadline = time.monotonic() + 5
    while not sealed and time.monotonic() < deadline:
        time.sleep(0.02)
    spool.close()
    assert _lines(sealed) == [b'{"a":1}']


def test_a_writer_that_stops_fails_every_append_at_once_and_keeps_what_was_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Unit test with an injected fault that is no storage refusal: the writer stops. No
    append may wait forever: the one it held, and every later one, fail with the code."""
    import rastup_data.spool.spool as spool_module

    real = spool_module.os.fdatasync
    calls = iter(range(100))

    def breaks_once_used(fd: int) -> None:
        if next(calls) >= 1:  # the second group's fsync breaks the writer
            raise RuntimeError("injected writer fault")
        real(fd)

    monkeypatch.setattr(spool_module.os, "fdatasync", breaks_once_used)
    spool = Spool(tmp_path, SpoolConfig(rotate_s=60))
    spool.start()
    spool.append(b'{"a":1}\n').result(timeout=5)
    assert spool.failure is None
    with caplog.at_level("ERROR", logger="rastup_data.spool.spool"):
        with pytest.raises(RastupError) as held:
            spool.append(b'{"a":2}\n').result(timeout=5)
        assert held.value.code is ErrorCode.EVENT_PUT_FAILED
        assert isinstance(spool.failure, RuntimeError)
        for _ in range(3):  # refused at once, never queued for a writer that is gone
            later = spool.append(b'{"a":3}\n')
            assert later.done()
            with pytest.raises(RastupError) as refused:
                later.result(timeout=0)
            assert refused.value.code is ErrorCode.EVENT_PUT_FAILED
    stops = [r for r in caplog.records if "spool writer stopped" in r.getMessage()]
    assert len(stops) == 1  # once,
    assert stops[0].exc_info is not None  # with its traceback
    done = threading.Event()
    threading.Thread(target=lambda: (spool.close(), done.set()), daemon=True).start()
    assert done.wait(5), "close() hung on a stopped writer"
    # The acknowledged record was sealed (it lands); the unacknowledged one was cut.
    assert _lines(sealed_segments(tmp_path)) == [b'{"a":1}']


def test_an_append_its_caller_cancelled_does_not_stop_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request cancelled while its group is being fsync'd (uvicorn cancels requests at
    the end of a graceful shutdown) cancels its future; completing it must not raise in
    the writer, and its records are written all the same."""
    import rastup_data.spool.spool as spool_module

    real = spool_module.os.fdatasync
    syncing, release = threading.Event(), threading.Event()

    def slow(fd: int) -> None:
        syncing.set()
        assert release.wait(5)
        real(fd)

    monkeypatch.setattr(spool_module.os, "fdatasync", slow)
    spool = Spool(tmp_path, SpoolConfig(rotate_s=60))
    spool.start()
    first = spool.append(b'{"a":1}\n')
    assert syncing.wait(5)
    assert first.cancel()
    release.set()
    spool.append(b'{"a":2}\n').result(timeout=5)
    assert spool.failure is None
    spool.close()
    assert _lines(sealed_segments(tmp_path)) == [b'{"a":1}', b'{"a":2}']
