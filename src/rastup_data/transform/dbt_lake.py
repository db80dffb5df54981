"""How the dbt project reaches the lake: the ``lake_path`` var, and for a lake on S3 the
``duckdb_s3`` target whose fsspec filesystem lets DuckDB's ``read_parquet`` read ``s3://``.

A local lake's Bronze sources are relative paths that DuckDB finds under ``lake_path`` (its
``file_search_path``), so one parse of the project serves every local lake. A lake on S3,
or a folder whose path has a comma (``file_search_path`` is a comma-separated list), gets
its root rendered into the sources instead (``lake_prefix``, a parse-time value that the
runner hands to dbt as an environment variable, so dbt re-parses only the sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rastup_data.config import S3Settings
from rastup_data.lake.layout import LakeLayout

__all__ = ["DbtLake", "dbt_lake"]

#: The profile target (dbt/profiles.yml) of a DuckDB build over a lake on S3.
S3_TARGET = "duckdb_s3"


@dataclass(frozen=True, slots=True)
class DbtLake:
    """The dbt target to run with (None: the profile's default) and the lake's vars."""

    target: str | None
    variables: dict[str, Any]


def dbt_lake(layout: LakeLayout) -> DbtLake:
    """The target and vars that point the dbt project at ``layout``'s lake."""
    lake_path = layout.lake.uri()
    if not layout.is_remote:
        if "," in lake_path:
            return DbtLake(None, {"lake_path": lake_path, "lake_prefix": f"{lake_path}/"})
        return DbtLake(None, {"lake_path": lake_path})
    s3 = S3Settings.from_env()
    return DbtLake(
        S3_TARGET,
        {
            "lake_path": lake_path,
            "lake_prefix": f"{lake_path}/",
            "s3_endpoint": s3.endpoint or f"https://s3.{s3.region}.amazonaws.com",
            "s3_region": s3.region,
            "s3_key": s3.access_key or "",
            "s3_secret": s3.secret_key or "",
            "s3_token": s3.session_token or "",
        },
    )
