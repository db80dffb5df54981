"""Separate processes assigning and exposing the same units on one SQLite file agree."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

from rastup_data.state import open_state

REPO = Path(__file__).resolve().parents[2]
UNITS = 150
WORKERS = 3

# Each worker is a fresh interpreter; all start assigning when the go-file appears.
WORKER = """
import json, sys, time
from pathlib import Path
from rastup_data.experiments.assignment import Assigner
from rastup_data.experiments.catalog import load_catalog
from rastup_data.experiments.definitions import load_experiments
from rastup_data.experiments.exposure import UnitRef, assign_and_expose
from rastup_data.state import open_state

folder, url, catalog, go, units = sys.argv[1:6]
experiments = load_experiments(Path(folder), load_catalog(catalog))
results = []
with open_state(url) as state:
    assigner = Assigner(state, experiments)
    while not Path(go).exists():
        time.sleep(0.005)
    for i in range(int(units)):
        if i % 2:  # half the units arrive anonymously and log in, as in real traffic
            unit = UnitRef(anon_id=f"a_{i}", user_id=f"u_{i}")
            a, event = assign_and_expose(assigner, "race", unit)
        else:
            a, event = assign_and_expose(assigner, "race", UnitRef(user_id=f"u_{i}"))
        results.append([a.unit_id, a.variant, None if event is None else event["ids"]["event_id"]])
print(json.dumps(results))
"""


def test_processes_agree_and_expose_each_unit_once(tmp_path: Path, state_url: str) -> None:
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
    url = state_url
    go = tmp_path / "go"
    args = [str(folder), url, str(REPO / "metrics" / "catalog.yaml"), str(go), str(UNITS)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    time.sleep(0.5)  # let them import and open the database, then release them together
    go.touch()
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))

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
