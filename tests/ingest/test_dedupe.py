from __future__ import annotations

from rastup_data.ingest.dedupe import DedupeWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_new_then_duplicate_within_window() -> None:
    window = DedupeWindow(60, clock=Clock())
    assert window.add_new(["a", "b", "a"]) == [True, True, False]
    assert window.add_new(["b", "c"]) == [False, True]
    assert len(window) == 3


def test_ids_expire_after_the_window() -> None:
    clock = Clock()
    window = DedupeWindow(60, bucket_s=10, clock=clock)
    window.add_new(["a"])
    clock.now += 30
    assert window.add_new(["a"]) == [False]
    clock.now += 100
    assert window.add_new(["a"]) == [True]


def test_size_bound_evicts_oldest_buckets_first() -> None:
    clock = Clock()
    window = DedupeWindow(3600, max_ids=5, bucket_s=1, clock=clock)
    for i in range(10):
        window.add_new([f"id{i}"])
        clock.now += 1
    assert len(window) <= 6
    assert "id9" in window
    assert "id0" not in window


def test_forget_allows_a_retry() -> None:
    window = DedupeWindow(60, clock=Clock())
    window.add_new(["a"])
    window.forget(["a"])
    assert window.add_new(["a"]) == [True]
