"""What every retention step shares: the run, what it keeps for legal holds, what it reports.

A step applies one store's retention from the settings: it deletes what is older than the
store keeps, except rows of subjects under a legal hold, which outlive their retention (a
file holding them is rewritten with only their rows). Each deletion or rewrite is recorded in
the lake manifest (``kind = "lifecycle"``). A dry run reports the same without changing
anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from rastup_data.lake.manifest import LandedFile, Landing, Manifest
from rastup_data.privacy.context import PrivacyContext, now_iso
from rastup_data.privacy.ids import SubjectIds
from rastup_data.privacy.matching import IdMatcher

__all__ = ["LifecycleOutcome", "LifecycleRun", "LifecycleStep"]


@dataclass(slots=True)
class LifecycleOutcome:
    """What one step deleted (or would delete) and what it kept for holds."""

    store: str
    retention: str
    files_deleted: int = 0
    bytes_deleted: int = 0
    files_kept_for_holds: int = 0
    rows_kept_for_holds: int = 0
    records_deleted: int = 0
    deleted: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "retention": self.retention,
            "files_deleted": self.files_deleted,
            "bytes_deleted": self.bytes_deleted,
            "files_kept_for_holds": self.files_kept_for_holds,
            "rows_kept_for_holds": self.rows_kept_for_holds,
            "records_deleted": self.records_deleted,
            "deleted": list(self.deleted),
        }


@dataclass(frozen=True, slots=True)
class LifecycleRun:
    """One lifecycle run: today, the held subjects, and whether it only looks."""

    ctx: PrivacyContext
    run_id: str
    held: SubjectIds
    dry_run: bool = False
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    progress: Callable[[str], None] | None = None
    matcher: IdMatcher = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "matcher", IdMatcher(self.held.all))

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def record(
        self, outcome: LifecycleOutcome, key: str, size: int, kept: LandedFile | None
    ) -> None:
        """Count one file deleted (``kept`` None) or cut down to held rows, in the manifest."""
        outcome.deleted.append(key)
        outcome.bytes_deleted += size - (kept.bytes if kept else 0)
        if kept is None:
            outcome.files_deleted += 1
        else:
            outcome.files_kept_for_holds += 1
            outcome.rows_kept_for_holds += kept.rows
        if self.dry_run:
            return
        Manifest(self.ctx.layout).append(
            Landing(
                kind="lifecycle",
                name=self.run_id,
                at=now_iso(),
                events=kept.rows if kept else 0,
                files=(kept,) if kept else (),
                inputs=(key,),
                extra={"store": outcome.store, "retention": outcome.retention, "bytes": size},
            )
        )


class LifecycleStep(Protocol):
    """Applies one store's retention (see the module docstring)."""

    @property
    def name(self) -> str: ...

    def apply(self, run: LifecycleRun) -> LifecycleOutcome: ...
