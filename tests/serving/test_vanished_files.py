"""A query whose Bronze file vanished between its glob and its read (a partition swapped by
the hourly compaction) runs once more instead of failing."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.compaction import compact_lake
from rastup_data.lake.layout import LakeLayout
from rastup_data.lander.direct import land_ndjson
from rastup_data.serving import run_query
from rastup_data.serving.query import run_arrow_query
from rastup_data.storage import LocalStorage

from ..lander.conftest import NameCheck, envelope

VANISHED = 'IO Error: No files found that match the pattern "bronze/events/dt=x/s1.parquet"'


class _Vanishing:
    """A connection whose first ``failures`` queries meet a vanished file (unit tests only)."""

    def __init__(self, failures: int) -> None:
        self.conn = duckdb.connect()
        self.failures = failures
        self.calls = 0

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise duckdb.IOException(VANISHED)
        return getattr(self.conn, method)(*args, **kwargs)

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("execute", *args, **kwargs)

    def sql(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("sql", *args, **kwargs)


def test_a_query_that_met_a_vanished_file_runs_once_more() -> None:
    conn = _Vanishing(failures=1)
    result = run_query(conn, "SELECT 41 + 1 AS answer", max_rows=10)  # type: ignore[arg-type]
    assert result.rows == ((42,),)
    assert conn.calls == 2
    arrow = _Vanishing(failures=1)
    table = run_arrow_query(arrow, "SELECT 42 AS answer", max_bytes=1_000)  # type: ignore[arg-type]
    assert table.column("answer").to_pylist() == [42]
    assert arrow.calls == 2


def test_a_file_that_stays_unreadable_fails_with_duckdbs_reason() -> None:
    conn = _Vanishing(failures=2)
    with pytest.raises(RastupError) as raised:
        run_query(conn, "SELECT 1")  # type: ignore[arg-type]
    assert raised.value.code is ErrorCode.QUERY_INVALID
    assert "No files found" in raised.value.message
    assert conn.calls == 2


def test_queries_over_bronze_do_not_fail_while_a_partition_is_compacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = LakeLayout(tmp_path / "lake")
    for i in range(8):
        land_ndjson(layout, [envelope() for _ in range(100)], name=f"s{i}", validator=NameCheck())
    counts: list[int] = []
    errors: list[str] = []
    done = threading.Condition()
    stop = threading.Event()

    def read() -> None:
        with duckdb.connect() as conn:
            while not stop.is_set():
                try:
                    sql = f"SELECT count(*) FROM read_parquet('{layout.events_glob}')"
                    counts.append(int(run_query(conn, sql).rows[0][0]))
                except RastupError as exc:
                    errors.append(exc.message)
                with done:
                    done.notify_all()

    def reads_after(n: int) -> None:
        with done:
            target = len(counts) + len(errors) + n
            assert done.wait_for(lambda: len(counts) + len(errors) >= target, timeout=120)

    swap = LocalStorage.swap_prefix

    def swap_among_reads(self: LocalStorage, staged: str, prefix: str) -> None:
        reads_after(3)
        swap(self, staged, prefix)
        reads_after(3)

    monkeypatch.setattr(LocalStorage, "swap_prefix", swap_among_reads)
    reader = threading.Thread(target=read)
    reader.start()
    try:
        (result,) = compact_lake(layout)
    finally:
        stop.set()
        reader.join()
    assert (result.files_before, result.files_after) == (8, 1)
    assert errors == []
    assert set(counts) == {800}
