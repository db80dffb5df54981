"""S3Storage keeps the storage protocol's promises on a local S3 API (moto in server mode)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.storage.holder import holding
from tests.waiting import PATIENCE_S

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.existing import existing_lake
from rastup_data.lake.layout import LakeLayout
from rastup_data.storage import S3Options, S3Storage, Storage
from rastup_data.storage.s3 import split_s3_url


@pytest.fixture
def store(s3_lake: str) -> S3Storage:
    lake = LakeLayout(s3_lake).lake
    assert isinstance(lake, S3Storage)
    return lake


def test_s3_storage_implements_the_protocol(store: S3Storage) -> None:
    assert isinstance(store, Storage)
    assert store.uri("bronze/x.parquet") == f"{store.url}/bronze/x.parquet"


@pytest.mark.parametrize(
    ("url", "parts"),
    [("s3://b/p/q/", ("b", "p/q")), ("s3://b", ("b", "")), ("S3://b/x", ("b", "x"))],
)
def test_lake_urls_split_into_bucket_and_prefix(url: str, parts: tuple[str, str]) -> None:
    assert split_s3_url(url) == parts


@pytest.mark.parametrize("url", ["s3:///nobucket", "s3://b/a/../c", "s3://b/x?y=1"])
def test_malformed_lake_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"S3|storage key"):
        split_s3_url(url)


def test_objects_round_trip_list_and_delete(store: S3Storage, tmp_path: Path) -> None:
    assert store.put_bytes("a/b/c.json", b"one") == 3
    store.put_bytes("a/b/c.json", b"two!")
    store.put_bytes("a/.hidden", b"x")
    source = tmp_path / "f.bin"
    source.write_bytes(b"file")
    store.put_file("a/f.bin", source, move=True)
    assert not source.exists()
    with store.writing("z/w.txt") as tmp:
        tmp.write_text("written")
    assert store.read_bytes("a/b/c.json") == b"two!"
    assert store.list_keys() == ["a/b/c.json", "a/f.bin", "z/w.txt"]
    assert store.list_keys("a/b") == ["a/b/c.json"]
    info = store.stat("a/f.bin")
    assert info is not None
    assert info.size == 4
    assert store.stat("a/nothing") is None
    store.get_file("z/w.txt", tmp_path / "back.txt")
    assert (tmp_path / "back.txt").read_text() == "written"
    assert store.delete("a/f.bin") is True
    assert store.delete("a/f.bin") is False
    assert store.delete_prefix("a") == 1  # the visible ones are counted, all are deleted
    assert store.list_keys() == ["z/w.txt"]
    assert not store.exists("a/.hidden")


def test_a_failed_writer_stores_nothing(store: S3Storage) -> None:
    def write_then_die() -> None:
        with store.writing("x/never.parquet") as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("writer died")

    with pytest.raises(RuntimeError):
        write_then_die()
    assert not store.exists("x/never.parquet")


def test_pointers_switch_in_one_put(store: S3Storage) -> None:
    assert store.read_pointer("warehouse/CURRENT") is None
    store.write_pointer("warehouse/CURRENT", "b1.duckdb")
    store.write_pointer("warehouse/CURRENT", "b2.duckdb")
    assert store.read_pointer("warehouse/CURRENT") == "b2.duckdb"
    with pytest.raises(ValueError, match="one non-empty line"):
        store.write_pointer("warehouse/CURRENT", "a\nb")


def test_append_log_keeps_every_record_of_concurrent_writers(store: S3Storage) -> None:
    def append(prefix: str) -> None:
        for i in range(10):
            store.append_line("_manifest/landings-2026-01-01.ndjson", f"{prefix}{i}".encode())

    threads = [threading.Thread(target=append, args=(p,)) for p in "xy"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = list(store.iter_lines("_manifest/landings-2026-01-01.ndjson"))
    assert sorted(lines) == sorted(f"{p}{i}\n".encode() for p in "xy" for i in range(10))
    assert list(store.iter_lines("_manifest/nothing.ndjson")) == []


def test_swap_prefix_leaves_exactly_the_new_set(store: S3Storage) -> None:
    for name in ("a.parquet", "b.parquet"):
        store.put_bytes(f"bronze/events/dt=2026-01-01/{name}", b"old")
    store.put_bytes("_staging/x/merged.parquet", b"new")
    store.swap_prefix("_staging/x", "bronze/events/dt=2026-01-01")
    assert store.list_keys("bronze") == ["bronze/events/dt=2026-01-01/merged.parquet"]
    assert store.read_bytes("bronze/events/dt=2026-01-01/merged.parquet") == b"new"
    assert store.list_keys("_staging") == []


def test_duckdb_reads_hive_partitions_through_the_registered_filesystem(
    store: S3Storage, tmp_path: Path
) -> None:
    for day, values in (("2026-01-01", [1, 2]), ("2026-01-02", [3])):
        with store.writing(f"bronze/events/dt={day}/f.parquet") as tmp:
            pq.write_table(pa.table({"x": values}), tmp)
    with duckdb.connect() as conn:
        store.register_duckdb(conn)
        rows = conn.execute(
            f"SELECT dt, sum(x) FROM read_parquet('{store.uri('bronze/events/**/*.parquet')}', "
            "hive_partitioning = true) GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert [(str(d), int(s)) for d, s in rows] == [("2026-01-01", 3), ("2026-01-02", 3)]


def test_a_lock_excludes_another_process(store: S3Storage) -> None:
    acquired = threading.Event()

    def take() -> None:
        with store.lock("build"):
            acquired.set()

    with holding(store.url, "build") as holder:
        with store.try_lock("build") as free:
            assert not free
        taker = threading.Thread(target=take)
        taker.start()
        assert not acquired.wait(1.0), "the lock was taken while another process held it"
        holder.release()
        taker.join(PATIENCE_S)
        assert acquired.is_set(), "the lock was not taken once the other process let go"
    with store.try_lock("build") as free:
        assert free
    assert store.list_keys("_locks") == []  # released leases are deleted


def test_a_dead_holders_lease_is_taken_over(store: S3Storage) -> None:
    short = S3Storage(store.bucket, store.prefix, _with_lease(store.options, 1.0))
    short.put_bytes("_locks/nrt.lock", b"a holder that was killed")
    time.sleep(1.2)
    started = time.monotonic()
    with short.lock("nrt"):
        assert time.monotonic() - started < 10


def _with_lease(options: S3Options, lease_s: float) -> S3Options:
    return S3Options(
        options.endpoint,
        options.region,
        options.access_key,
        options.secret_key,
        options.session_token,
        lease_s,
    )


def test_a_missing_bucket_is_a_coded_error(s3_lake: str) -> None:
    with pytest.raises(RastupError) as info:
        existing_lake("s3://no-such-bucket-here/lake")
    assert info.value.code is ErrorCode.STORAGE_UNAVAILABLE
    assert "no-such-bucket-here" in info.value.message
    assert existing_lake(s3_lake).root == s3_lake


def test_an_unreachable_endpoint_is_a_coded_error(
    s3_lake: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.services.s3 import clear_cached_stores

    monkeypatch.setenv("RASTUP_S3_ENDPOINT", "http://127.0.0.1:1")
    clear_cached_stores()
    with pytest.raises(RastupError) as info:
        existing_lake(s3_lake)
    assert info.value.code is ErrorCode.STORAGE_UNAVAILABLE
