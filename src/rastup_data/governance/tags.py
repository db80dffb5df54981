"""Column tags (``pii``, ``financial`` …) from the dbt manifest: one source of truth.

A column is tagged in its model's ``schema.yml`` with ``meta: {tags: [pii]}`` (dbt's own
column ``tags:`` count too). Relations are named as readers write them: ``silver.fact_x``,
``gold.kpi_y``, ``nrt.ops_recon`` for the NRT models, ``bronze.events`` for the Bronze
sources. The manifest is read with the transform package's one manifest reader.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from rastup_data.transform.manifest import DbtModel, load_manifest

__all__ = ["ColumnTags", "load_column_tags"]

#: relation -> column -> tags.
ColumnTags = Mapping[str, Mapping[str, frozenset[str]]]

_NRT_TAG = "nrt"


def load_column_tags(manifest: Path) -> ColumnTags:
    """Every documented relation's columns and their tags (cached per file version)."""
    stat = manifest.stat()
    return _load(str(manifest), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load(path: str, _mtime_ns: int, _size: int) -> ColumnTags:
    project = load_manifest(Path(path))
    return {
        gate_relation(model): {
            column.name.lower(): frozenset(t.lower() for t in column.tags)
            for column in model.columns
        }
        for model in project.models.values()
    }


def gate_relation(model: DbtModel) -> str:
    """The name the gate serves a dbt relation under."""
    if model.resource_type == "source":
        return f"{model.schema}.{model.name}"
    if _NRT_TAG in model.tags:
        return f"nrt.{model.alias}"
    return model.relation
