"""LocalStorage keeps the storage protocol's promises on a real folder."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pytest
from tests.storage.holder import holding
from tests.waiting import PATIENCE_S

from rastup_data.storage import LocalStorage, Storage, check_key


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "root")


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob(".*") if p.is_file())


def test_local_storage_implements_the_protocol(store: LocalStorage) -> None:
    assert isinstance(store, Storage)


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "./a", "a\\b"])
def test_keys_must_be_clean_relative_paths(key: str) -> None:
    with pytest.raises(ValueError, match="not a storage key"):
        check_key(key)


def test_put_bytes_replaces_whole_and_leaves_no_temporary(store: LocalStorage) -> None:
    assert store.put_bytes("a/b/c.json", b"one") == 3
    store.put_bytes("a/b/c.json", b"two!")
    assert store.read_bytes("a/b/c.json") == b"two!"
    info = store.stat("a/b/c.json")
    assert info is not None
    assert info.size == 4
    assert _leftovers(store.root) == []


def test_a_reader_sees_the_old_or_the_new_content_never_a_mix(store: LocalStorage) -> None:
    old, new = b"o" * 2_000_000, b"n" * 3_000_000
    store.put_bytes("big", old)
    seen: set[bytes] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            data = store.read_bytes("big")
            seen.add(data[:1] + str(len(data)).encode())

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(20):
            store.put_bytes("big", new)
            store.put_bytes("big", old)
    finally:
        stop.set()
        reader.join()
    assert seen <= {b"o2000000", b"n3000000"}


def test_writing_publishes_on_success_and_discards_on_error(store: LocalStorage) -> None:
    with store.writing("bronze/x.parquet") as tmp:
        assert tmp.name.startswith(".")
        duckdb.execute(f"COPY (SELECT 42 AS v) TO '{tmp}' (FORMAT parquet)")
        assert not store.exists("bronze/x.parquet")
    assert duckdb.sql(f"SELECT v FROM '{store.uri('bronze/x.parquet')}'").fetchall() == [(42,)]
    with pytest.raises(RuntimeError, match="writer failed"):
        _fail_while_writing(store, "bronze/y.parquet")
    assert not store.exists("bronze/y.parquet")
    assert _leftovers(store.root) == []


def _fail_while_writing(store: LocalStorage, key: str) -> None:
    with store.writing(key) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer failed")


def test_list_keys_is_recursive_sorted_and_hides_dot_names(store: LocalStorage) -> None:
    for key in ("t/dt=2/b.parquet", "t/dt=1/a.parquet", "t/dt=1/.a.parquet.tmp", "u/z"):
        path = store.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    (store.root / "t" / ".hidden").mkdir()
    (store.root / "t" / ".hidden" / "f").write_bytes(b"x")
    assert store.list_keys("t") == ["t/dt=1/a.parquet", "t/dt=2/b.parquet"]
    assert store.list_keys("missing") == []
    assert store.list_keys() == ["t/dt=1/a.parquet", "t/dt=2/b.parquet", "u/z"]


def test_put_file_moves_or_copies_and_delete_reports_existence(
    store: LocalStorage, tmp_path: Path
) -> None:
    source = tmp_path / "staged.bin"
    source.write_bytes(b"payload")
    store.put_file("kept", source)
    assert source.exists()
    store.put_file("moved", source, move=True)
    assert not source.exists()
    assert store.read_bytes("kept") == store.read_bytes("moved") == b"payload"
    assert store.delete("moved") is True
    assert store.delete("moved") is False
    dest = tmp_path / "fetched.bin"
    store.get_file("kept", dest)
    assert dest.read_bytes() == b"payload"


def test_pointer_round_trip_and_refuses_multi_line_values(store: LocalStorage) -> None:
    assert store.read_pointer("CURRENT") is None
    store.write_pointer("CURRENT", "build-1.duckdb")
    store.write_pointer("CURRENT", "build-2.duckdb")
    assert store.read_pointer("CURRENT") == "build-2.duckdb"
    with pytest.raises(ValueError, match="one non-empty line"):
        store.write_pointer("CURRENT", "a\nb")
    assert store.read_pointer("CURRENT") == "build-2.duckdb"


def test_append_log_keeps_complete_records_and_skips_a_torn_tail(store: LocalStorage) -> None:
    store.append_line("log/day.ndjson", b'{"n": 1}')
    store.append_line("log/day.ndjson", b'{"n": 2}\n')
    with open(store.path("log/day.ndjson"), "ab") as handle:
        handle.write(b'{"n": 3')  # a crash mid-append
    assert list(store.iter_lines("log/day.ndjson")) == [b'{"n": 1}\n', b'{"n": 2}\n']
    assert list(store.iter_lines("log/absent.ndjson")) == []


def test_swap_prefix_replaces_a_folder_for_readers_in_one_step(store: LocalStorage) -> None:
    for i in range(5):
        store.put_bytes(f"part/old-{i}", b"x")
    store.put_bytes("stage/part/new", b"y")
    store.swap_prefix("stage/part", "part")
    assert store.list_keys("part") == ["part/new"]
    assert store.list_keys("stage") == []
    store.put_bytes("stage2/fresh/only", b"z")
    store.swap_prefix("stage2/fresh", "fresh")
    assert store.list_keys("fresh") == ["fresh/only"]


def test_copy_makes_an_identical_object(store: LocalStorage) -> None:
    store.put_bytes("a/src", b"content")
    store.copy("a/src", "b/dst")
    store.copy("a/src", "b/dst")  # again: replaces
    assert store.read_bytes("b/dst") == b"content"


def test_lock_excludes_another_process(store: LocalStorage) -> None:
    acquired = threading.Event()

    def take() -> None:
        with store.lock("lake"):
            acquired.set()

    with holding(str(store.root), "lake") as holder:
        taker = threading.Thread(target=take)
        taker.start()
        assert not acquired.wait(0.5), "the lock was granted while another process held it"
        with store.lock("other"):  # a different name is not blocked
            pass
        holder.release()
        taker.join(PATIENCE_S)
        assert acquired.is_set(), "the lock was not granted once the other process let go"
    assert all(k.startswith("_locks/") for k in store.list_keys())


def test_try_lock_answers_at_once_while_another_process_holds_it(store: LocalStorage) -> None:
    answers: list[bool] = []

    def attempt() -> None:
        with store.try_lock("lake") as held:
            answers.append(held)

    with holding(str(store.root), "lake"):
        attempt_thread = threading.Thread(target=attempt)
        attempt_thread.start()
        attempt_thread.join(PATIENCE_S)
        # Answered while the holder still holds: it did not wait for the lock.
        assert answers == [False], "try_lock waited for the holder, or took its lock"
    with store.try_lock("lake") as held:
        assert held is True
        with store.try_lock("lake") as again:  # another open file description: refused
            assert again is False
    with store.try_lock("lake") as held:  # released at the end of the block
        assert held is True


def test_arrow_filesystem_reads_what_was_put(store: LocalStorage) -> None:
    store.put_bytes("x/data.bin", b"abc")
    fs, base = store.arrow_filesystem()
    with fs.open_input_file(f"{base}/x/data.bin") as handle:
        assert handle.read() == b"abc"
    assert os.path.samefile(store.uri("x/data.bin"), store.path("x/data.bin"))
