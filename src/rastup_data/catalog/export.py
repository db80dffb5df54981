"""Gold as Parquet: every Gold dataset of the catalogue written from the published build.

Each mart becomes ``<root>/<dataset path>/part-00000.parquet`` (zstd), written under a
temporary name and renamed into place (``Storage.writing``), so an external engine never
reads half a file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rastup_data.catalog.datasets import Dataset
from rastup_data.lake.layout import LakeLayout
from rastup_data.storage import LocalStorage
from rastup_data.transform.published import open_published

__all__ = ["ExportedTable", "export_gold"]

_FILE = "part-00000.parquet"


@dataclass(frozen=True, slots=True)
class ExportedTable:
    """One exported mart."""

    name: str
    path: Path
    rows: int


def export_gold(
    layout: LakeLayout,
    datasets: Sequence[Dataset],
    root: Path,
    progress: Callable[[ExportedTable], None] | None = None,
) -> list[ExportedTable]:
    """Write each Gold dataset from the published build under ``root``."""
    exported: list[ExportedTable] = []
    out = LocalStorage(root)
    with open_published(layout, with_nrt=False) as conn:
        for dataset in (d for d in datasets if d.layer == "gold"):
            key = f"{dataset.path.strip('/')}/{_FILE}"
            columns = ", ".join(f'"{c.name}"' for c in dataset.columns)
            with out.writing(key) as tmp:
                conn.execute(
                    f"COPY (SELECT {columns} FROM gold.\"{dataset.name}\") TO '{_quote(tmp)}' "
                    "(FORMAT parquet, COMPRESSION zstd)"
                )
            final = out.path(key)
            row = conn.execute(f'SELECT count(*) FROM gold."{dataset.name}"').fetchone()
            table = ExportedTable(dataset.name, final, int(row[0]) if row else 0)
            exported.append(table)
            if progress is not None:
                progress(table)
    return exported


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
