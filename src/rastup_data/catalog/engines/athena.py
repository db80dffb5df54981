"""Athena (Hive DDL): external Parquet tables; Bronze dt partitions use partition projection,
so new days are queryable without ``MSCK REPAIR`` or crawlers."""

from __future__ import annotations

from collections.abc import Sequence

from rastup_data.catalog.datasets import Dataset
from rastup_data.catalog.engines._base import (
    DdlOptions,
    database_name,
    distinct_databases,
    hive_columns,
    hive_string,
    table_location,
)

__all__ = ["projection_properties", "render"]


def projection_properties(dataset: Dataset, options: DdlOptions) -> dict[str, str]:
    """Table properties that project the ``dt`` partitions from the calendar."""
    if not dataset.partitions:
        return {}
    key = dataset.partitions[0].name
    return {
        "projection.enabled": "true",
        f"projection.{key}.type": "date",
        f"projection.{key}.format": "yyyy-MM-dd",
        f"projection.{key}.range": f"{options.projection_start},NOW",
        f"projection.{key}.interval": "1",
        f"projection.{key}.interval.unit": "DAYS",
        "storage.location.template": f"{table_location(dataset, options)}{key}=${{{key}}}/",
    }


def _table(dataset: Dataset, options: DdlOptions) -> str:
    properties = {"parquet.compression": "ZSTD", **projection_properties(dataset, options)}
    lines = [
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database_name(dataset, options)}`."
        f"`{dataset.name}` (",
        hive_columns(dataset.columns),
        ")",
    ]
    if dataset.description:
        lines.append(f"COMMENT {hive_string(dataset.description)}")
    if dataset.partitions:
        lines.append(f"PARTITIONED BY (\n{hive_columns(dataset.partitions)}\n)")
    lines += [
        "STORED AS PARQUET",
        f"LOCATION {hive_string(table_location(dataset, options))}",
        "TBLPROPERTIES (\n"
        + ",\n".join(f"  {hive_string(k)}={hive_string(v)}" for k, v in properties.items())
        + "\n)",
    ]
    return "\n".join(lines) + ";"


def render(datasets: Sequence[Dataset], options: DdlOptions) -> str:
    statements = [
        f"CREATE DATABASE IF NOT EXISTS `{name}`;" for name in distinct_databases(datasets, options)
    ]
    statements += [_table(d, options) for d in datasets]
    return "\n\n".join(statements) + "\n"
