"""Where experiment definitions and the metrics catalogue are, whatever the current folder.

The experiments folder is the first of:

1. the folder given to the command (``--experiments-dir``, ``serve --experiments``);
2. ``$RASTUP_EXPERIMENTS_DIR``;
3. ``./experiments``, when the current folder has one (a project checkout);
4. the examples shipped with the package (``rastup_data/_examples`` in a wheel, the
   repository's ``experiments/`` and ``metrics/`` in a checkout).

The catalogue is ``--catalog``, else ``$RASTUP_METRICS_CATALOG``, else
``metrics/catalog.yaml`` beside the experiments folder. A folder or catalogue that does not
exist is an ``EXPERIMENT_INVALID`` error naming what was searched and how to point elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from rastup_data.config import Settings
from rastup_data.errors import ErrorCode, RastupError

__all__ = [
    "DefinitionsHome",
    "HomeSource",
    "find_definitions",
    "find_experiments_dir",
    "locate_definitions",
    "shipped_examples",
]

_HOW_TO_POINT = (
    "To fix this, pass --experiments-dir DIR or set RASTUP_EXPERIMENTS_DIR to your folder of "
    "experiment YAML files (with metrics/catalog.yaml beside it, or --catalog FILE / "
    "RASTUP_METRICS_CATALOG); without either, ./experiments or the shipped examples are used."
)


class HomeSource(Enum):
    """How the experiments folder was chosen."""

    OPTION = "the command line"
    ENVIRONMENT = "RASTUP_EXPERIMENTS_DIR"
    CURRENT_FOLDER = "the current folder"
    SHIPPED = "the examples shipped with rastup-data"


@dataclass(frozen=True, slots=True)
class DefinitionsHome:
    """The experiments folder and the metrics catalogue a command uses."""

    experiments_dir: Path
    catalog: Path
    source: HomeSource

    @property
    def describe(self) -> str:
        """One line for logs and notes: which folder, and why."""
        return f"experiments from {self.experiments_dir} ({self.source.value})"


def shipped_examples() -> Path:
    """The example experiments folder shipped with the package (beside it: ``metrics/``)."""
    here = Path(__file__).resolve()
    packaged = here.parents[1] / "_examples" / "experiments"
    return packaged if packaged.is_dir() else here.parents[3] / "experiments"


def locate_definitions(
    experiments_dir: str | Path | None = None,
    catalog: str | Path | None = None,
    *,
    settings: Settings | None = None,
) -> DefinitionsHome:
    """Where the folder and catalogue would be, without checking that they exist."""
    settings = settings or Settings.from_env()
    folder, source = _folder(experiments_dir, settings)
    return DefinitionsHome(folder, _catalog(folder, catalog, settings), source)


def find_experiments_dir(
    experiments_dir: str | Path | None = None, *, settings: Settings | None = None
) -> tuple[Path, HomeSource]:
    """The experiments folder and how it was chosen; EXPERIMENT_INVALID if it is missing."""
    folder, source = _folder(experiments_dir, settings or Settings.from_env())
    _require_dir(folder, source)
    return folder, source


def _require_dir(folder: Path, source: HomeSource) -> None:
    if not folder.is_dir():
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"{folder}: no such experiments folder (from {source.value}). {_HOW_TO_POINT}",
        )


def find_definitions(
    experiments_dir: str | Path | None = None,
    catalog: str | Path | None = None,
    *,
    settings: Settings | None = None,
) -> DefinitionsHome:
    """Resolve the experiments folder and catalogue; EXPERIMENT_INVALID if either is missing."""
    home = locate_definitions(experiments_dir, catalog, settings=settings)
    _require_dir(home.experiments_dir, home.source)
    if not home.catalog.is_file():
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID,
            f"{home.catalog}: no metrics catalogue there (experiments folder "
            f"{home.experiments_dir}, from {home.source.value}). To fix this, pass --catalog "
            "FILE or set RASTUP_METRICS_CATALOG, or put metrics/catalog.yaml beside the "
            "experiments folder.",
        )
    return home


def _folder(given: str | Path | None, settings: Settings) -> tuple[Path, HomeSource]:
    if given is not None:
        return Path(given).expanduser().absolute(), HomeSource.OPTION
    if settings.experiments_dir is not None:
        return settings.experiments_dir, HomeSource.ENVIRONMENT
    local = Path("experiments").absolute()
    if local.is_dir():
        return local, HomeSource.CURRENT_FOLDER
    return shipped_examples(), HomeSource.SHIPPED


def _catalog(folder: Path, given: str | Path | None, settings: Settings) -> Path:
    if given is not None:
        return Path(given).expanduser().absolute()
    if settings.metrics_catalog is not None:
        return settings.metrics_catalog
    return folder.parent / "metrics" / "catalog.yaml"
