"""Two or more processes assigning and exposing the same units on one SQLite file agree."""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from pathlib import Path

import yaml

from rastup_data.experiments.assignment import Assigner
from rastup_data.experiments.catalog import load_catalog
from rastup_data.experiments.definitions import load_experiments
from rastup_data.experiments.exposure import assign_and_expose
from rastup_data.state import open_state

REPO = Path(__file__).resolve().parents[2]
UNITS = 150


def _worker(folder: str, url: str, barrier: Barrier, out: Connection) -> None:
    experiments = load_experiments(Path(folder), load_catalog(REPO / "metrics" / "catalog.yaml"))
    with open_state(url) as state:
        assigner = Assigner(state, experiments)
        barrier.wait()
        results = []
        for i in range(UNITS):
            # Half the units arrive anonymously and log in, as in real traffic.
            if i % 2:
                assignment, event = assign_and_expose(
                    assigner, "race", anon_id=f"a_{i}", user_id=f"u_{i}"
                )
            else:
                assignment, event = assign_and_expose(assigner, "race", user_id=f"u_{i}")
            results.append(
                (
                    assignment.unit_id,
                    assignment.variant,
                    None if event is None else event["ids"]["event_id"],
                )
            )
    out.send(results)
    out.close()


def test_processes_agree_and_expose_each_unit_once(tmp_path: Path) -> None:
    folder = tmp_path / "experiments"
    folder.mkdir()
    spec = {
        "key": "race",
        "description": "concurrency",
        "owner": "tests",
        "unit": "user",
        "start": "2026-01-01T00:00:00Z",
        "variants": [{"name": "control", "weight": 50}, {"name": "treatment", "weight": 50}],
        "metrics": {"primary": ["booking_conversion"]},
    }
    (folder / "race.yaml").write_text(yaml.safe_dump(spec))
    url = f"sqlite:///{tmp_path / 'state.db'}"
    ctx = multiprocessing.get_context("fork")
    workers = 3
    barrier = ctx.Barrier(workers)
    pipes = [ctx.Pipe(duplex=False) for _ in range(workers)]
    procs = [
        ctx.Process(target=_worker, args=(str(folder), url, barrier, send)) for _, send in pipes
    ]
    for p in procs:
        p.start()
    outputs = [recv.recv() for recv, _ in pipes]
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * workers

    variants: dict[str, set[str | None]] = {}
    event_ids: dict[str, list[str]] = {}
    for output in outputs:
        assert len(output) == UNITS
        for unit_id, variant, event_id in output:
            variants.setdefault(unit_id, set()).add(variant)
            if event_id is not None:
                event_ids.setdefault(unit_id, []).append(event_id)
    assert len(variants) == UNITS
    assert all(len(v) == 1 for v in variants.values())
    # Exactly one process got each unit's exposure event, and the state DB kept that one.
    assert sorted(event_ids) == sorted(variants)
    assert all(len(ids) == 1 for ids in event_ids.values())
    with open_state(url) as state:
        stored = dict(state.fetchall("SELECT unit_id, event_id FROM exposures_logged"))
    assert stored == {unit: ids[0] for unit, ids in event_ids.items()}
