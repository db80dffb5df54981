"""A build's read ahead of the NRT rows: on idle CPU only, handed over when finished,
stopped when not."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

import duckdb
import pytest
from bronze_fixture import envelope, write_bronze

from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import _nrt_ahead
from rastup_data.transform._nrt_ahead import NrtReadAhead
from rastup_data.transform.nrt import NrtPrefetch, prefetch_nrt


def _charge(cid: str, when: str) -> dict[str, Any]:
    payload = {"charge_id": cid, "booking_id": "bk_1", "amount_cents": 500, "currency": "USD"}
    return envelope("payment.charge.succeeded", when, payload, anon_id=None)


def _wait_for(thread_name: str) -> None:
    """Until no thread of that name is alive (the read ahead has stopped by itself)."""
    deadline = time.monotonic() + 60
    while any(t.name == thread_name for t in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_finished_read_is_handed_over(layout: LakeLayout) -> None:
    write_bronze(layout, [_charge("ch_1", "2026-01-01 10:00")], name="a")
    write_bronze(layout, [envelope("search.performed", "2026-01-01 10:05", {})], name="b")
    with NrtReadAhead(layout) as ahead:
        _wait_for("nrt-read-ahead")
        taken = ahead.take()
    assert isinstance(taken, NrtPrefetch)
    assert len(taken.files) == 2
    # Only the rows the views read: the search event is not among them.
    assert taken.rows.column("event").to_pylist() == ["payment.charge.succeeded"]


def test_take_stops_a_read_that_has_not_finished(
    layout: LakeLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()

    def endless(_layout: LakeLayout, *, connection: duckdb.DuckDBPyConnection) -> None:
        started.set()
        # A statement, a pause (an interrupt there reaches no statement), another statement.
        connection.execute("SELECT 1").fetchall()
        time.sleep(0.2)
        connection.execute("SELECT count(*) FROM range(10000000000000) t(i) WHERE i % 7 = 3")

    monkeypatch.setattr(_nrt_ahead, "prefetch_nrt", endless)
    with NrtReadAhead(layout) as ahead:
        assert started.wait(30)
        began = time.monotonic()
        assert ahead.take() is None
        assert time.monotonic() - began < 10
    assert not any(t.name == "nrt-read-ahead" for t in threading.enumerate())


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread idle priority is Linux's")
def test_the_read_runs_at_idle_priority_and_only_its_thread_does(
    layout: LakeLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, int] = {}

    def record(layout: LakeLayout, *, connection: duckdb.DuckDBPyConnection) -> Any:
        seen["reader"] = os.sched_getscheduler(0)
        return prefetch_nrt(layout, connection=connection)

    monkeypatch.setattr(_nrt_ahead, "prefetch_nrt", record)
    write_bronze(layout, [_charge("ch_1", "2026-01-01 10:00")], name="a")
    with NrtReadAhead(layout) as ahead:
        _wait_for("nrt-read-ahead")
        taken = ahead.take()
    assert taken is not None
    assert seen["reader"] == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
