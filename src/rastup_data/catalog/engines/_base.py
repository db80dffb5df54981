"""What every engine renderer shares: options, the renderer signature, names and quoting."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from rastup_data.catalog.columns import Column, LogicalType
from rastup_data.catalog.datasets import Dataset
from rastup_data.errors import ErrorCode, RastupError

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

    def __post_init__(self) -> None:
        """CONFIG_INVALID for names no engine accepts (Athena and Glue take lower-case
        letters, digits and ``_``) and for a location that names no place: DDL that every
        engine would refuse is not printed."""
        for option, name in (("--prefix", self.prefix), ("--trino-catalog", self.trino_catalog)):
            if not _NAME.fullmatch(name):
                raise RastupError(
                    ErrorCode.CONFIG_INVALID,
                    f"{option} {name!r} is not a valid name: use lower-case letters, digits "
                    "and _, starting with a letter (at most 64).",
                )
        uri = urlsplit(self.location)
        absolute = self.location.startswith("/") and not uri.scheme
        if not absolute and not (uri.netloc or (uri.scheme == "file" and uri.path)):
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"--location {self.location!r} is not a URI of the lake root: give one like "
                "s3://bucket/lake, file:///data/lake or an absolute path.",
            )


_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


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
