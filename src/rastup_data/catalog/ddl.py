"""``render_ddl``: the catalogue's datasets rendered for one engine."""

from __future__ import annotations

from pathlib import Path

from rastup_data.catalog.datasets import DATASETS_PATH, load_datasets
from rastup_data.catalog.engines import ENGINES, DdlOptions
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.transform.manifest import DbtProject

__all__ = ["render_ddl"]


def render_ddl(
    engine: str, project: DbtProject, options: DdlOptions, datasets_path: Path = DATASETS_PATH
) -> str:
    """DDL (or Glue JSON) for every dataset of ``datasets_path`` on ``engine``."""
    renderer = ENGINES.get(engine)
    if renderer is None:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"unknown engine {engine!r}; choose one of {', '.join(sorted(ENGINES))}.",
        )
    return renderer(load_datasets(project, datasets_path), options)
