"""Spark SQL: Parquet data-source tables over the lake; partitions found by MSCK REPAIR."""

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

__all__ = ["render"]


def _table(dataset: Dataset, options: DdlOptions) -> list[str]:
    name = f"`{database_name(dataset, options)}`.`{dataset.name}`"
    lines = [
        f"CREATE TABLE IF NOT EXISTS {name} (",
        hive_columns((*dataset.columns, *dataset.partitions)),
        ")",
        "USING PARQUET",
    ]
    if dataset.partitions:
        keys = ", ".join(f"`{p.name}`" for p in dataset.partitions)
        lines.append(f"PARTITIONED BY ({keys})")
    lines.append(f"LOCATION {hive_string(table_location(dataset, options))}")
    if dataset.description:
        lines.append(f"COMMENT {hive_string(dataset.description)}")
    statements = ["\n".join(lines) + ";"]
    if dataset.partitions:
        statements.append(f"MSCK REPAIR TABLE {name};")
    return statements


def render(datasets: Sequence[Dataset], options: DdlOptions) -> str:
    statements = [
        f"CREATE DATABASE IF NOT EXISTS `{name}`;" for name in distinct_databases(datasets, options)
    ]
    for dataset in datasets:
        statements.extend(_table(dataset, options))
    return "\n\n".join(statements) + "\n"
