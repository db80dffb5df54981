"""Verify stores of plain text: this node's spool segments (sealed and open) and the lake's
manifest logs, line by line."""

from __future__ import annotations

from dataclasses import dataclass

from rastup_data.lake.layout import MANIFEST
from rastup_data.privacy.purge.spool import spool_files, spool_segments
from rastup_data.privacy.verify.base import StoreScan, VerifyScope

__all__ = ["ManifestScanner", "SpoolScanner"]


@dataclass(frozen=True, slots=True)
class SpoolScanner:
    name: str = "spool"

    def scan(self, scope: VerifyScope) -> StoreScan:
        result = StoreScan(self.name)
        spool = scope.ctx.layout.spool
        # A segment landed meanwhile is passed over: Bronze is scanned after.
        for path, data in spool_segments(spool_files(spool)):
            result.files += 1
            result.bytes += len(data)
            result.add_hits(str(path.relative_to(spool)), sum(1 for _ in scope.matcher.lines(data)))
        return result


@dataclass(frozen=True, slots=True)
class ManifestScanner:
    name: str = "manifest"

    def scan(self, scope: VerifyScope) -> StoreScan:
        result = StoreScan(self.name)
        store = scope.ctx.layout.lake
        for key in store.list_keys(MANIFEST):
            data = store.read_bytes(key)
            result.files += 1
            result.bytes += len(data)
            result.add_hits(key, sum(1 for _ in scope.matcher.lines(data)))
        return result
