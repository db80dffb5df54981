"""The external table catalogue: DDL for Athena, Glue, Spark and Trino over the lake."""

from rastup_data.catalog.columns import Column as Column
from rastup_data.catalog.columns import LogicalType as LogicalType
from rastup_data.catalog.datasets import Dataset as Dataset
from rastup_data.catalog.datasets import load_datasets as load_datasets
from rastup_data.catalog.ddl import render_ddl as render_ddl
from rastup_data.catalog.engines import ENGINES as ENGINES
from rastup_data.catalog.engines import DdlOptions as DdlOptions
from rastup_data.catalog.export import ExportedTable as ExportedTable
from rastup_data.catalog.export import export_gold as export_gold

__all__ = [
    "ENGINES",
    "Column",
    "Dataset",
    "DdlOptions",
    "ExportedTable",
    "LogicalType",
    "export_gold",
    "load_datasets",
    "render_ddl",
]
