"""``render_ddl``: the catalogue's datasets rendered for one engine."""

from __future__ import annotations

from pathlib import Path

from rastup_data.catalog.datasets import DATASETS_PATH, load_datasets, pin_snapshots
from rastup_data.catalog.engines import ENGINES, DdlOptions
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.storage import Storage
from rastup_data.transform.manifest import DbtProject

__all__ = ["render_ddl"]


def render_ddl(
    engine: str,
    project: DbtProject,
    options: DdlOptions,
    datasets_path: Path = DATASETS_PATH,
    store: Storage | None = None,
) -> str:
    """DDL (or Glue JSON) for every dataset of ``datasets_path`` on ``engine``; with the
    lake's ``store``, snapshot-published datasets (BI extracts) point at their current one."""
    renderer = ENGINES.get(engine)
    if renderer is None:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"unknown engine {engine!r}; choose one of {', '.join(sorted(ENGINES))}.",
        )
    datasets = load_datasets(project, datasets_path)
    return renderer(pin_snapshots(datasets, store) if store is not None else datasets, options)
