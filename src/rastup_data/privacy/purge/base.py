"""What every purge step shares: the run it belongs to, what it removes, what it reports.

A step purges one store: it finds the files (or rows) naming any id of the run's subjects,
rewrites each such file once — a new file without those rows, replacing the old one in one
atomic step — and reports files and bytes scanned, files rewritten and rows removed. A step
must be safe to run again after a crash at any point: a file already rewritten names nobody,
so the rerun leaves it alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from rastup_data.lake.manifest import LandedFile, Landing, Manifest
from rastup_data.privacy.context import PrivacyContext, now_iso
from rastup_data.privacy.ids import SubjectIds
from rastup_data.privacy.matching import IdMatcher

__all__ = ["PurgeRun", "PurgeStep", "StoreOutcome", "partition_day"]

_DT = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})(?:/|$)")


def partition_day(key: str) -> str:
    """The ``dt=`` day of a key, or "" when it has none."""
    match = _DT.search(key)
    return match[1] if match else ""


@dataclass(slots=True)
class StoreOutcome:
    """What one step did (or, in a dry run, would do) to its store."""

    store: str
    files_scanned: int = 0
    bytes_scanned: int = 0
    files_rewritten: int = 0
    files_deleted: int = 0
    rows_removed: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    rewritten: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "files_scanned": self.files_scanned,
            "bytes_scanned": self.bytes_scanned,
            "files_rewritten": self.files_rewritten,
            "files_deleted": self.files_deleted,
            "rows_removed": self.rows_removed,
            "bytes_before": self.bytes_before,
            "bytes_after": self.bytes_after,
            "pending": list(self.pending),
        }


@dataclass(frozen=True, slots=True)
class PurgeRun:
    """One purge run: its id, whom it removes, and whether it only looks (``dry_run``)."""

    ctx: PrivacyContext
    run_id: str
    ids: SubjectIds
    request_ids: tuple[str, ...]
    dry_run: bool = False
    progress: Callable[[str], None] | None = None
    matcher: IdMatcher = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "matcher", IdMatcher(self.ids.all))

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def record_rewrite(
        self, outcome: StoreOutcome, key: str, rows_removed: int, after: LandedFile | None
    ) -> None:
        """Count one rewritten (or deleted) file and record it in the lake manifest."""
        outcome.rewritten.append(key)
        outcome.rows_removed += rows_removed
        if after is None:
            outcome.files_deleted += 1
        else:
            outcome.files_rewritten += 1
            outcome.bytes_after += after.bytes
        Manifest(self.ctx.layout).append(
            Landing(
                kind="purge",
                name=self.run_id,
                at=now_iso(),
                events=after.rows if after is not None else 0,
                files=(after,) if after is not None else (),
                inputs=(key,),
                extra={
                    "store": outcome.store,
                    "rows_removed": rows_removed,
                    "deleted": after is None,
                    "requests": list(self.request_ids),
                },
            )
        )


class PurgeStep(Protocol):
    """Purges one store for a run (see the module docstring for the contract)."""

    @property
    def name(self) -> str: ...

    def purge(self, run: PurgeRun) -> StoreOutcome: ...
