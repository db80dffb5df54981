"""Trino (Hive connector): external Parquet tables; partitions registered by
``system.sync_partition_metadata``. Partition columns come last, as Trino requires."""

from __future__ import annotations

from collections.abc import Sequence

from rastup_data.catalog.columns import Column, LogicalType
from rastup_data.catalog.datasets import Dataset
from rastup_data.catalog.engines._base import (
    DdlOptions,
    database_name,
    distinct_databases,
    table_location,
)

__all__ = ["TRINO_TYPES", "render"]

#: The Hive connector stores timestamps without a zone; Bronze values are UTC.
TRINO_TYPES: dict[LogicalType, str] = {
    LogicalType.STRING: "VARCHAR",
    LogicalType.INTEGER: "INTEGER",
    LogicalType.BIGINT: "BIGINT",
    LogicalType.DOUBLE: "DOUBLE",
    LogicalType.BOOLEAN: "BOOLEAN",
    LogicalType.DATE: "DATE",
    LogicalType.TIMESTAMP: "TIMESTAMP",
}


def _string(text: str) -> str:
    return "'" + text.replace("'", "''").replace("\n", " ") + "'"


def _columns(columns: Sequence[Column]) -> str:
    return ",\n".join(
        f'  "{c.name}" {TRINO_TYPES[c.type]}'
        + (f" COMMENT {_string(c.description)}" if c.description else "")
        for c in columns
    )


def _table(dataset: Dataset, options: DdlOptions) -> list[str]:
    schema = database_name(dataset, options)
    name = f'"{options.trino_catalog}"."{schema}"."{dataset.name}"'
    properties = [
        f"  external_location = {_string(table_location(dataset, options))}",
        "  format = 'PARQUET'",
    ]
    if dataset.partitions:
        keys = ", ".join(_string(p.name) for p in dataset.partitions)
        properties.append(f"  partitioned_by = ARRAY[{keys}]")
    lines = [
        f"CREATE TABLE IF NOT EXISTS {name} (",
        _columns((*dataset.columns, *dataset.partitions)),
        ")",
    ]
    if dataset.description:
        lines.append(f"COMMENT {_string(dataset.description)}")
    lines.append("WITH (\n" + ",\n".join(properties) + "\n)")
    statements = ["\n".join(lines) + ";"]
    if dataset.partitions:
        statements.append(
            f'CALL "{options.trino_catalog}".system.sync_partition_metadata('
            f"{_string(schema)}, {_string(dataset.name)}, 'ADD');"
        )
    return statements


def render(datasets: Sequence[Dataset], options: DdlOptions) -> str:
    statements = [
        f'CREATE SCHEMA IF NOT EXISTS "{options.trino_catalog}"."{name}";'
        for name in distinct_databases(datasets, options)
    ]
    for dataset in datasets:
        statements.extend(_table(dataset, options))
    return "\n\n".join(statements) + "\n"
