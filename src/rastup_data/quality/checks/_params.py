"""Typed readers for a spec's params; misuse raises CONFIG_INVALID before anything runs."""

from __future__ import annotations

import math
from typing import Any

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.quality._sql import quote_table
from rastup_data.quality.model import CheckSpec

__all__ = [
    "bad_param",
    "filtered_source",
    "number_param",
    "optional_number_param",
    "str_param",
    "str_tuple_param",
    "validate_where",
]


def bad_param(spec: CheckSpec, key: str, expected: str, value: Any) -> RastupError:
    return RastupError(
        ErrorCode.CONFIG_INVALID,
        f"check {spec.name!r} ({spec.kind.value}): param {key!r} must be {expected}, "
        f"got {value!r}. To fix this, correct the check definition.",
    )


def str_tuple_param(
    spec: CheckSpec, key: str, default: tuple[str, ...] | None = None
) -> tuple[str, ...]:
    value = spec.params.get(key, default)
    if isinstance(value, str):
        value = (value,)
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise bad_param(spec, key, "a non-empty list of column names", value)
    return tuple(value)


def str_param(spec: CheckSpec, key: str, default: str | None = None) -> str:
    value = spec.params.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise bad_param(spec, key, "a non-empty string", value)
    return value


def number_param(spec: CheckSpec, key: str, default: float, *, minimum: float = 0.0) -> float:
    value = spec.params.get(key, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < minimum
    ):
        raise bad_param(spec, key, f"a finite number >= {minimum:g}", value)
    return float(value)


def optional_number_param(spec: CheckSpec, key: str) -> float | None:
    value = spec.params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad_param(spec, key, "a finite number or null", value)
    return float(value)


def validate_where(spec: CheckSpec) -> None:
    """``where`` (optional): a SQL predicate limiting the rows checked, e.g. recent days."""
    value = spec.params.get("where")
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise bad_param(spec, "where", "a SQL predicate or null", value)


def filtered_source(spec: CheckSpec) -> str:
    """The spec's table, narrowed by its ``where`` predicate when it has one."""
    table = quote_table(spec.table)
    where = spec.params.get("where")
    if not where:
        return table
    return f"(SELECT * FROM {table} WHERE {where})"
