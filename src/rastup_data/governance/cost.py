"""Scanned bytes, the way Athena bills: compressed bytes of the columns a query references,
in the row groups that survive partition (``dt``) and min/max pruning.

Parquet relations (Bronze, extracts) are measured from their footers; warehouse and NRT
tables from DuckDB's storage metadata. A DuckDB view is priced as the reads of its base
tables (:mod:`~rastup_data.governance.warehouse_views`): the base columns the requested
view columns derive from, in the row groups its own predicates and the query's predicates
on its pass-through columns keep. Predicates on masked columns are not used for
pruning (they compare with masks, not stored values). Billed bytes round up to whole
billing units with a minimum per query (Athena: 1 MiB units, 10 MiB minimum).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rastup_data.governance.footprint import FootprintCache, RowGroup
from rastup_data.governance.lineage import Lineage, Predicate, RelationRead
from rastup_data.governance.policy import CostPolicy
from rastup_data.governance.pruning import may_match, survives
from rastup_data.governance.relations import RelationView, SourceKind
from rastup_data.governance.warehouse_views import table_reads

__all__ = ["CostEstimate", "CostModel", "ReadCost"]


@dataclass(frozen=True, slots=True)
class ReadCost:
    """One relation read: bytes, and row groups kept of those in the partitions read."""

    relation: str
    columns: tuple[str, ...]
    scanned_bytes: int
    row_groups_read: int
    row_groups_total: int


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """A query's estimate: per read, scanned in total, and billed."""

    reads: tuple[ReadCost, ...]
    scanned_bytes: int
    billed_bytes: int


class CostModel:
    """Estimates scanned bytes for the relation reads of a query."""

    def __init__(self, cost: CostPolicy, cache: FootprintCache | None = None) -> None:
        self.cost = cost
        self.cache = cache or FootprintCache()

    def estimate(
        self,
        lineage: Lineage,
        views: Mapping[str, RelationView],
        files: Mapping[SourceKind, str | None],
    ) -> CostEstimate:
        reads = tuple(self._read(read, views[read.relation], files) for read in lineage.reads)
        scanned = sum(r.scanned_bytes for r in reads)
        return CostEstimate(reads, scanned, self.cost.billed(scanned))

    def _read(
        self, read: RelationRead, view: RelationView, files: Mapping[SourceKind, str | None]
    ) -> ReadCost:
        predicates = tuple(p for p in read.predicates if p.column not in view.masked)
        columns = tuple(sorted(read.columns))
        if view.kind is not SourceKind.PARQUET:
            stored = RelationRead(view.location.lower(), read.columns, predicates)
            return self._stored(read.relation, stored, files.get(view.kind))
        groups, total = self._parquet_groups(Path(view.location), predicates)
        scanned = sum(g[c].bytes for g in groups for c in columns if c in g)
        return ReadCost(read.relation, columns, scanned, len(groups), total)

    def _stored(self, relation: str, read: RelationRead, database: str | None) -> ReadCost:
        """A warehouse or NRT relation; a view is the sum of its base table reads."""
        tables = self.cache.duckdb_tables(database) if database is not None else {}
        plans = self.cache.duckdb_views(database) if database is not None else {}
        scanned = kept = total = 0
        for base in table_reads(plans, read):
            every = tables.get(base.relation, ())
            groups = [g for g in every if survives(base.predicates, _bounds(g))]
            scanned += sum(g[c].bytes for g in groups for c in base.columns if c in g)
            kept += len(groups)
            total += len(every)
        return ReadCost(relation, tuple(sorted(read.columns)), scanned, kept, total)

    def _parquet_groups(
        self, folder: Path, predicates: tuple[Predicate, ...]
    ) -> tuple[list[RowGroup], int]:
        partition = [p for p in predicates if p.column == "dt"]
        others = tuple(p for p in predicates if p.column != "dt")
        kept: list[RowGroup] = []
        total = 0
        for file in self.cache.parquet_files(folder):
            if file.dt is not None and not all(may_match(p, file.dt, file.dt) for p in partition):
                continue
            total += len(file.row_groups)
            kept += [g for g in file.row_groups if survives(others, _bounds(g))]
        return kept, total


def _bounds(group: RowGroup) -> dict[str, tuple[object, object]]:
    return {name: (chunk.low, chunk.high) for name, chunk in group.items()}
