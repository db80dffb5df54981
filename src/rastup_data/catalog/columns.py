"""Logical column types shared by every engine, and how DuckDB/dbt type names map to them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["Column", "LogicalType", "logical_type"]


class LogicalType(str, Enum):
    """The column types the lake's Parquet files use."""

    STRING = "string"
    INTEGER = "integer"
    BIGINT = "bigint"
    DOUBLE = "double"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an external table."""

    name: str
    type: LogicalType
    description: str = ""


_ALIASES: dict[str, LogicalType] = {
    "varchar": LogicalType.STRING,
    "text": LogicalType.STRING,
    "string": LogicalType.STRING,
    "uuid": LogicalType.STRING,
    "integer": LogicalType.INTEGER,
    "int": LogicalType.INTEGER,
    "int4": LogicalType.INTEGER,
    "int32": LogicalType.INTEGER,
    "smallint": LogicalType.INTEGER,
    "bigint": LogicalType.BIGINT,
    "int8": LogicalType.BIGINT,
    "int64": LogicalType.BIGINT,
    "long": LogicalType.BIGINT,
    "hugeint": LogicalType.BIGINT,
    "double": LogicalType.DOUBLE,
    "float8": LogicalType.DOUBLE,
    "float": LogicalType.DOUBLE,
    "real": LogicalType.DOUBLE,
    "boolean": LogicalType.BOOLEAN,
    "bool": LogicalType.BOOLEAN,
    "date": LogicalType.DATE,
    "timestamp": LogicalType.TIMESTAMP,
    "timestamptz": LogicalType.TIMESTAMP,
    "timestamp with time zone": LogicalType.TIMESTAMP,
}


def logical_type(name: str, *, where: str = "") -> LogicalType:
    """The logical type of a DuckDB/dbt type name (``varchar``, ``BIGINT``, ``timestamptz`` …)."""
    key = " ".join(name.strip().lower().split())
    if key.startswith("decimal") or key.startswith("numeric"):
        return LogicalType.DOUBLE
    found = _ALIASES.get(key)
    if found is None:
        place = f" ({where})" if where else ""
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"column type {name!r}{place} has no external-engine mapping. To fix this, declare "
            f"one of: {', '.join(sorted(_ALIASES))} as data_type in schema.yml.",
        )
    return found
