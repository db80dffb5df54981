from __future__ import annotations

import multiprocessing
import uuid
from pathlib import Path

import pytest

from rastup_data.ingest.shared_dedupe import SharedDedupe


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _claim(path: str, ids: list[str], out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    dedupe = SharedDedupe(Path(path), capacity=1 << 16)
    won = [i for i, new in zip(ids, dedupe.add_new(ids), strict=True) if new]
    dedupe.close()
    out.put(won)


def test_processes_agree_each_id_is_new_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "dedupe.bin"
    SharedDedupe(path, capacity=1 << 16, create=True).close()
    ids = [str(uuid.uuid4()) for _ in range(3000)]
    context = multiprocessing.get_context("fork")  # the target lives in this test module
    queue = context.Queue()
    procs = [context.Process(target=_claim, args=(str(path), ids, queue)) for _ in range(3)]
    for p in procs:
        p.start()
    winners = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join()
    flat = [i for won in winners for i in won]
    assert sorted(flat) == sorted(ids)  # every id claimed once, by exactly one process


def test_window_rotation_and_forget(tmp_path: Path) -> None:
    clock = Clock()
    dedupe = SharedDedupe(
        tmp_path / "d.bin", window_s=60, capacity=1 << 10, create=True, clock=clock
    )
    assert dedupe.add_new(["a", "b"]) == [True, True]
    clock.now += 61  # one rotation: still remembered (older generation)
    assert dedupe.add_new(["a", "c"]) == [False, True]
    clock.now += 61  # a second rotation drops the generation holding "b"
    assert dedupe.add_new(["b"]) == [True]
    dedupe.forget(["c", "b"])
    assert dedupe.add_new(["b", "c"]) == [True, True]
    dedupe.close()


def test_a_full_generation_rotates_early_instead_of_failing(tmp_path: Path) -> None:
    dedupe = SharedDedupe(tmp_path / "d.bin", capacity=1 << 8, create=True)
    ids = [str(uuid.uuid4()) for _ in range(2000)]
    for i in range(0, len(ids), 50):
        assert all(dedupe.add_new(ids[i : i + 50]))
    assert len(dedupe) < 2 * 256
    dedupe.close()


def test_forget_keeps_probe_chains_intact(tmp_path: Path) -> None:
    dedupe = SharedDedupe(tmp_path / "d.bin", capacity=1 << 6, create=True)
    ids = [str(uuid.uuid4()) for _ in range(40)]  # dense table: long probe chains
    dedupe.add_new(ids)
    dedupe.forget(ids[::3])
    again = dedupe.add_new(ids)
    assert again == [i % 3 == 0 for i in range(40)]
    dedupe.close()


def test_capacity_must_be_a_power_of_two(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="power of two"):
        SharedDedupe(tmp_path / "d.bin", capacity=1000, create=True)
