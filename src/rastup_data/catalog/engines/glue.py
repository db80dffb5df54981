"""AWS Glue Data Catalog: ``DatabaseInput`` and ``TableInput`` JSON, as the Glue API's
``CreateDatabase`` / ``CreateTable`` take them (Athena reads the same tables, with the same
partition projection properties)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from rastup_data.catalog.columns import Column
from rastup_data.catalog.datasets import Dataset
from rastup_data.catalog.engines._base import (
    HIVE_TYPES,
    DdlOptions,
    database_name,
    distinct_databases,
    table_location,
)
from rastup_data.catalog.engines.athena import projection_properties

__all__ = ["render", "table_input"]

_PARQUET_IN = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
_PARQUET_OUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
_PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


def _columns(columns: Sequence[Column]) -> list[dict[str, str]]:
    return [
        {"Name": c.name, "Type": HIVE_TYPES[c.type].lower(), "Comment": c.description}
        for c in columns
    ]


def table_input(dataset: Dataset, options: DdlOptions) -> dict[str, Any]:
    """The ``TableInput`` of one dataset."""
    parameters = {
        "classification": "parquet",
        "EXTERNAL": "TRUE",
        "parquet.compression": "ZSTD",
        **projection_properties(dataset, options),
    }
    return {
        "Name": dataset.name,
        "Description": dataset.description,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": _columns(dataset.partitions),
        "StorageDescriptor": {
            "Columns": _columns(dataset.columns),
            "Location": table_location(dataset, options),
            "InputFormat": _PARQUET_IN,
            "OutputFormat": _PARQUET_OUT,
            "SerdeInfo": {"SerializationLibrary": _PARQUET_SERDE},
        },
    }


def render(datasets: Sequence[Dataset], options: DdlOptions) -> str:
    document = {
        "databases": [
            {"DatabaseInput": {"Name": name}} for name in distinct_databases(datasets, options)
        ],
        "tables": [
            {"DatabaseName": database_name(d, options), "TableInput": table_input(d, options)}
            for d in datasets
        ],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
