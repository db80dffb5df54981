"""Render a query result as an aligned text table, a JSON array of objects, or CSV."""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import orjson

from rastup_data.serving.query import QueryResult

__all__ = ["FORMATS", "json_value", "render"]

FORMATS = ("table", "json", "csv")


def render(result: QueryResult, fmt: str) -> str:
    """The result in ``fmt`` (one of :data:`FORMATS`), ending with a newline."""
    if fmt == "json":
        return render_json(result)
    if fmt == "csv":
        return render_csv(result)
    return render_table(result)


def render_json(result: QueryResult) -> str:
    records = [
        {col: json_value(value) for col, value in zip(result.columns, row, strict=True)}
        for row in result.rows
    ]
    return orjson.dumps(records, option=orjson.OPT_INDENT_2).decode() + "\n"


def render_csv(result: QueryResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if v is None else _text(v) for v in row])
    return out.getvalue()


def render_table(result: QueryResult) -> str:
    header = list(result.columns)
    body = [["NULL" if v is None else _text(v) for v in row] for row in result.rows]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(header)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
        "  ".join("-" * w for w in widths),
        *("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body),
        f"({len(body)} row{'s' if len(body) != 1 else ''})",
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def json_value(value: Any) -> Any:
    """A result value as JSON can carry it (dates ISO, decimals as numbers, NaN as null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return value


def _text(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
