"""Min/max pruning: could a chunk whose values lie in [min, max] satisfy a predicate?

Shared by the Parquet and the DuckDB storage estimates. Unknown statistics, or values of a
type that does not compare with them, keep the chunk (the estimate never undercounts).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from rastup_data.governance.lineage import Predicate

__all__ = ["may_match", "survives"]


def survives(predicates: Iterable[Predicate], stats: dict[str, tuple[Any, Any]]) -> bool:
    """True unless some predicate on a column with statistics rules the chunk out."""
    for predicate in predicates:
        bounds = stats.get(predicate.column)
        if bounds is not None and not may_match(predicate, *bounds):
            return False
    return True


def may_match(predicate: Predicate, low: Any, high: Any) -> bool:
    """Whether some value in ``[low, high]`` can satisfy ``predicate``."""
    if low is None or high is None:
        return True
    try:
        values = [_like(v, low) for v in predicate.values]
        return _match(predicate.op, values, low, high)
    except (TypeError, ValueError):
        return True


def _match(op: str, values: list[Any], low: Any, high: Any) -> bool:
    if op == "eq":
        return bool(low <= values[0] <= high)
    if op == "in":
        return any(low <= v <= high for v in values)
    if op == "between":
        return bool(values[0] <= high and values[1] >= low)
    if op == "gt":
        return bool(high > values[0])
    if op == "ge":
        return bool(high >= values[0])
    if op == "lt":
        return bool(low < values[0])
    if op == "le":
        return bool(low <= values[0])
    return True


def _like(value: Any, sample: Any) -> Any:
    """``value`` converted to the type of the statistic ``sample`` (or TypeError)."""
    if isinstance(sample, datetime):
        moment = value if isinstance(value, datetime) else _to_datetime(value)
        if sample.tzinfo is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if sample.tzinfo is None and moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment
    if isinstance(sample, date):
        if isinstance(value, datetime):
            return value.date()
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    if isinstance(sample, bool) or isinstance(value, bool):
        raise TypeError("booleans are not pruned")
    if isinstance(sample, int | float) and isinstance(value, int | float):
        return value
    if isinstance(sample, str) and isinstance(value, str):
        return value
    raise TypeError(f"{type(value).__name__} does not compare with {type(sample).__name__}")


def _to_datetime(value: Any) -> datetime:
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))
