"""What a tile's columns mean: their descriptions in the dbt project (one source of truth)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from rastup_data.governance.tags import gate_relation
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform.manifest import current_manifest_path, load_manifest

__all__ = ["ColumnDocs", "column_docs"]

#: relation (as the gate names it) -> column -> description.
ColumnDocs = Mapping[str, Mapping[str, str]]


def column_docs(layout: LakeLayout) -> ColumnDocs:
    """Every documented relation's column descriptions (cached per manifest version)."""
    path = current_manifest_path(layout)
    stat = path.stat()
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _load(path: str, _mtime_ns: int, _size: int) -> ColumnDocs:
    project = load_manifest(Path(path))
    return {
        gate_relation(model): {c.name: c.description for c in model.columns}
        for model in project.models.values()
    }
