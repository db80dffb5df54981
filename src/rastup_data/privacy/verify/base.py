"""What every verification scanner shares: whom it looks for and what it reports.

A scanner decodes every file (or table) of one store — Parquet and DuckDB through DuckDB,
text line by line — and counts the values that name any of the subject's ids, by the rule of
:mod:`rastup_data.privacy.matching`. It reports files and bytes scanned and where the hits
are (file keys or table names, never the ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from rastup_data.privacy.context import PrivacyContext
from rastup_data.privacy.ids import SubjectIds
from rastup_data.privacy.matching import IdMatcher

__all__ = ["StoreScan", "StoreScanner", "VerifyScope"]


@dataclass(frozen=True, slots=True)
class VerifyScope:
    """One verification: the context, the request and the ids it looks for."""

    ctx: PrivacyContext
    request_id: str
    ids: SubjectIds
    matcher: IdMatcher = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "matcher", IdMatcher(self.ids.all))


@dataclass(slots=True)
class StoreScan:
    """One store's scan: how much was decoded and where the subject still is."""

    store: str
    files: int = 0
    bytes: int = 0
    hits: int = 0
    hit_files: list[str] = field(default_factory=list)

    def add_hits(self, where: str, count: int) -> None:
        if count:
            self.hits += count
            if where not in self.hit_files:
                self.hit_files.append(where)

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "files": self.files,
            "bytes": self.bytes,
            "hits": self.hits,
            "hit_files": sorted(self.hit_files),
        }


class StoreScanner(Protocol):
    """Scans one store for a verification."""

    @property
    def name(self) -> str: ...

    def scan(self, scope: VerifyScope) -> StoreScan: ...
