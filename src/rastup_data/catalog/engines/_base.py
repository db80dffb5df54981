"""What every engine renderer shares: options, the renderer signature, names and quoting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rastup_data.catalog.columns import Column, LogicalType
from rastup_data.catalog.datasets import Dataset

__all__ = [
    "HIVE_TYPES",
    "DdlOptions",
    "Renderer",
    "database_name",
    "distinct_databases",
    "hive_columns",
    "hive_string",
    "table_location",
]


@dataclass(frozen=True, slots=True)
class DdlOptions:
    """Where the lake is and how its databases are named.

    ``location`` is the lake root URI (``s3://bucket/lake``, ``file:///data/lake``);
    databases are ``<prefix>_<layer>``; ``projection_start`` is the first day Athena's
    partition projection enumerates; ``trino_catalog`` is the Hive catalog Trino uses.
    """

    location: str
    prefix: str = "rastup"
    projection_start: str = "2020-01-01"
    trino_catalog: str = "hive"


Renderer = Callable[[Sequence[Dataset], DdlOptions], str]

#: Hive / Athena / Glue / Spark type names.
HIVE_TYPES: dict[LogicalType, str] = {
    LogicalType.STRING: "STRING",
    LogicalType.INTEGER: "INT",
    LogicalType.BIGINT: "BIGINT",
    LogicalType.DOUBLE: "DOUBLE",
    LogicalType.BOOLEAN: "BOOLEAN",
    LogicalType.DATE: "DATE",
    LogicalType.TIMESTAMP: "TIMESTAMP",
}


def database_name(dataset: Dataset, options: DdlOptions) -> str:
    return f"{options.prefix}_{dataset.layer}"


def table_location(dataset: Dataset, options: DdlOptions) -> str:
    """The table's folder URI, with a trailing slash as Athena expects."""
    return f"{options.location.rstrip('/')}/{dataset.path}/"


def hive_string(text: str) -> str:
    """A single-quoted Hive/Spark string literal (backslash escapes)."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", " ")
    return f"'{escaped}'"


def hive_columns(columns: Sequence[Column]) -> str:
    """``  `name` TYPE COMMENT '…'`` lines, comma-separated."""
    return ",\n".join(
        f"  `{c.name}` {HIVE_TYPES[c.type]}"
        + (f" COMMENT {hive_string(c.description)}" if c.description else "")
        for c in columns
    )


def distinct_databases(datasets: Sequence[Dataset], options: DdlOptions) -> list[str]:
    return list(dict.fromkeys(database_name(d, options) for d in datasets))
