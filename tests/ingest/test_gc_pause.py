"""The cyclic collector is paused for a batch's CPU work and restored after it."""

from __future__ import annotations

import asyncio
import gc
import threading

from rastup_data.collector.validation_pool import ValidationPool
from rastup_data.contracts import load_validator
from rastup_data.ingest.acceptance import EventCheck
from rastup_data.ingest.gc_pause import gc_paused
from rastup_data.ingest.limits import IngestLimits


def test_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_restored_after_an_error() -> None:
    try:
        with gc_paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_in_two_threads_enable_once_both_end() -> None:
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with gc_paused():
            first_in.set()
            second_done.wait(5)
            seen.append(gc.isenabled())

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with gc_paused():
        pass
    second_done.set()
    thread.join(5)
    assert seen == [False]  # the second pause ending did not enable it under the first
    assert gc.isenabled()


def test_inline_request_work_runs_with_the_collector_paused() -> None:
    pool = ValidationPool(0, IngestLimits(), load_validator())

    def work(validator: EventCheck, limits: IngestLimits) -> bool:
        return gc.isenabled()

    assert asyncio.run(pool.run(work, size=100)) is False
    assert gc.isenabled()
