"""Serving, query side: read-only SQL over the published warehouse."""

from rastup_data.serving.formats import render as render
from rastup_data.serving.query import QueryResult as QueryResult
from rastup_data.serving.query import TableInfo as TableInfo
from rastup_data.serving.query import list_tables as list_tables
from rastup_data.serving.query import run_query as run_query
from rastup_data.transform.published import open_published as open_published

__all__ = ["QueryResult", "TableInfo", "list_tables", "open_published", "render", "run_query"]
