"""What a scheduled job is given and what it answers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rastup_data.config import Settings
from rastup_data.environments import EnvironmentProfile
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import StateDB

__all__ = ["JobContext", "JobKind", "JobOutcome", "RunControl"]


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """``succeeded``, ``failed`` or ``skipped``, with what the run wants recorded."""

    status: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RunControl:
    """What an operator asked of a running job: pause it (heavy jobs stop and wait) or stop."""

    paused: Callable[[], bool] = lambda: False
    stopping: threading.Event = field(default_factory=threading.Event)


@dataclass(slots=True)
class JobContext:
    """Everything a job may use; the runner builds one and keeps it for its lifetime."""

    layout: LakeLayout
    state: StateDB
    profile: EnvironmentProfile
    settings: Settings
    experiments_dir: Path | None = None
    #: Objects a job keeps between runs (the alert evaluator's memory), by job name.
    kept: dict[str, Any] = field(default_factory=dict)


class JobKind(Protocol):
    """One kind of scheduled work."""

    @property
    def name(self) -> str: ...

    @property
    def heavy(self) -> bool:
        """Heavy jobs (builds, lifecycle, compaction) run one at a time and obey
        `scheduler pause`."""
        ...

    def run(self, context: JobContext, control: RunControl) -> JobOutcome: ...
