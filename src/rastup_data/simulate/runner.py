"""Run a simulation into a folder: ``events.ndjson`` and ``golden.json``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.simulate.config import DEFAULT_START, SimulationConfig, parse_start
from rastup_data.simulate.engine import MarketplaceSimulation
from rastup_data.storage import LocalStorage
from rastup_data.terminal import output_console

__all__ = ["EVENTS_FILE", "GOLDEN_FILE", "SimulationSummary", "iter_event_lines", "simulate"]

EVENTS_FILE = "events.ndjson"
GOLDEN_FILE = "golden.json"


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    """What a run wrote."""

    events_path: Path
    golden_path: Path
    sent: int
    valid: int
    duplicates: int
    malformed: int
    late: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0


def iter_event_lines(config: SimulationConfig) -> Iterator[bytes]:
    """Every line of a run (no trailing newline), in send order, without touching disk."""
    for batch in MarketplaceSimulation(config).batches():
        yield from batch


def _progress(*, enabled: bool) -> Progress:
    return Progress(
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("day {task.completed:.0f}/{task.total:.0f}"),
        TextColumn("{task.fields[lines]:,} lines"),
        TimeElapsedColumn(),
        console=output_console(stderr=True),
        disable=not enabled,
        transient=False,
    )


def _write_events(simulation: MarketplaceSimulation, path: Path, *, show_progress: bool) -> int:
    """Write every line of the run to ``path``; returns how many."""
    lines = 0
    config = simulation.config
    with _progress(enabled=show_progress) as progress, path.open("wb", buffering=1 << 20) as out:
        task = progress.add_task("simulate", total=config.days, lines=0)
        for batch in simulation.batches():
            if batch:
                out.write(b"\n".join(batch))
                out.write(b"\n")
                lines += len(batch)
            progress.update(task, completed=simulation.days_done, lines=lines)
    return lines


def simulate(
    out_dir: Path,
    *,
    seed: int = 7,
    days: int = 7,
    users: int = 10_000,
    start: date | str = DEFAULT_START,
    show_progress: bool = False,
    **knobs: Any,
) -> SimulationSummary:
    """Simulate the marketplace into ``out_dir``; same arguments, same bytes.

    ``start`` is a date or ``YYYY-MM-DD``; ``knobs`` are further ``SimulationConfig`` fields
    (``duplicate_rate``, ``late_rate``, ``malformed_rate``, ``late_money_rate``)."""
    start_date = parse_start(start) if isinstance(start, str) else start
    config = SimulationConfig(seed=seed, days=days, users=users, start=start_date, **knobs)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"cannot create output folder {out_dir}: {exc.strerror}. Choose a writable --out.",
        ) from None
    out = LocalStorage(out_dir)
    began = time.perf_counter()
    simulation = MarketplaceSimulation(config)
    with out.writing(EVENTS_FILE) as tmp_events:
        _write_events(simulation, tmp_events, show_progress=show_progress)
    golden = simulation.golden()
    out.put_bytes(GOLDEN_FILE, orjson.dumps(golden, option=orjson.OPT_INDENT_2) + b"\n")
    counts = simulation.counts()
    return SimulationSummary(
        events_path=out.path(EVENTS_FILE),
        golden_path=out.path(GOLDEN_FILE),
        sent=counts.sent,
        valid=counts.valid,
        duplicates=counts.duplicates,
        malformed=counts.malformed,
        late=counts.late,
        seconds=time.perf_counter() - began,
    )
