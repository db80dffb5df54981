"""Where the dashboard definitions and the refresh schedule are found."""

from __future__ import annotations

from pathlib import Path

from rastup_data.config import Settings

__all__ = ["dashboards_dir"]


def dashboards_dir(settings: Settings | None = None) -> Path:
    """``$RASTUP_DASHBOARDS``, else the shipped folder (in a wheel ``rastup_data/_dashboards``,
    in a checkout the repository's ``dashboards/``)."""
    settings = settings or Settings.from_env()
    if settings.dashboards_dir is not None:
        return settings.dashboards_dir
    here = Path(__file__).resolve()
    packaged = here.parents[1] / "_dashboards"
    return packaged if packaged.is_dir() else here.parents[3] / "dashboards"
