"""Compare built Gold marts with golden rows, cell by cell.

Rows are matched on their key columns (the non-measure columns: dt, city, stage,
channel, campaign_id, age_bucket). Money and counts must be equal; ratios (``*_rate``,
``ctr`` and any column built as a float) may differ by ``rel_tol``; NULL equals None;
dates compare as ISO strings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.quality._sql import (
    TableMissing,
    fetch_dicts,
    json_safe,
    probe_columns,
    quote_table,
)

__all__ = [
    "KEY_COLUMNS",
    "CellDifference",
    "MartComparison",
    "MartDiff",
    "compare_marts",
    "load_golden",
]

#: Columns that identify a mart row; every other column is a measure.
KEY_COLUMNS: tuple[str, ...] = ("dt", "city", "stage", "channel", "campaign_id", "age_bucket")

Row = dict[str, Any]
Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class CellDifference:
    """One measure that differs between the golden and the built row with the same key."""

    key: Mapping[str, Any]
    column: str
    expected: Any
    actual: Any


@dataclass(frozen=True, slots=True)
class MartDiff:
    """The comparison of one mart. Row and cell lists hold the first N; counts are total."""

    mart: str
    key_columns: tuple[str, ...] = ()
    expected_rows: int = 0
    actual_rows: int = 0
    missing_rows: tuple[Row, ...] = ()
    missing_count: int = 0
    extra_rows: tuple[Row, ...] = ()
    extra_count: int = 0
    differences: tuple[CellDifference, ...] = ()
    difference_count: int = 0
    missing_columns: tuple[str, ...] = ()
    extra_columns: tuple[str, ...] = ()
    duplicate_keys: tuple[Mapping[str, Any], ...] = ()
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return not (
            self.missing_count
            or self.extra_count
            or self.difference_count
            or self.missing_columns
            or self.extra_columns
            or self.duplicate_keys
            or self.problem
        )


@dataclass(frozen=True, slots=True)
class MartComparison:
    """The comparison of every golden mart with the build."""

    marts: tuple[MartDiff, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(mart.ok for mart in self.marts)

    def mart(self, name: str) -> MartDiff:
        wanted = _qualified(name)
        for diff in self.marts:
            if diff.mart == wanted:
                return diff
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "marts": [
                {
                    "mart": m.mart,
                    "ok": m.ok,
                    "problem": m.problem,
                    "expected_rows": m.expected_rows,
                    "actual_rows": m.actual_rows,
                    "missing_count": m.missing_count,
                    "extra_count": m.extra_count,
                    "difference_count": m.difference_count,
                    "missing_columns": list(m.missing_columns),
                    "extra_columns": list(m.extra_columns),
                    "missing_rows": list(m.missing_rows),
                    "extra_rows": list(m.extra_rows),
                    "differences": [
                        {
                            "key": dict(d.key),
                            "column": d.column,
                            "expected": d.expected,
                            "actual": d.actual,
                        }
                        for d in m.differences
                    ],
                    "duplicate_keys": [dict(k) for k in m.duplicate_keys],
                }
                for m in self.marts
            ],
        }

    def render(self) -> str:
        """Plain text: one line per mart, then what differs in each failing mart."""
        bad = [m for m in self.marts if not m.ok]
        head = (
            f"golden comparison OK: {len(self.marts)} mart(s) equal"
            if not bad
            else f"golden comparison FAILED: {len(bad)} of {len(self.marts)} mart(s) differ"
        )
        lines = [head]
        for diff in self.marts:
            lines.extend(_render_mart(diff))
        return "\n".join(lines) + "\n"


def compare_marts(
    conn: duckdb.DuckDBPyConnection,
    golden: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    rel_tol: float = 1e-9,
    abs_tol: float = 0.0,
    max_differences: int = 20,
) -> MartComparison:
    """Compare every mart named in ``golden`` (``gold.x`` or ``x``) with the built table."""
    if rel_tol < 0 or abs_tol < 0 or max_differences < 0:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            "rel_tol, abs_tol and max_differences must not be negative.",
        )
    return MartComparison(
        tuple(
            _compare_one(conn, _qualified(name), rows, rel_tol, abs_tol, max_differences)
            for name, rows in sorted(golden.items())
        )
    )


def load_golden(path: str | Path) -> dict[str, list[Row]]:
    """Golden rows from a JSON file ``{mart: [row, …]}`` (or ``{"marts": {…}, …}`` as the
    simulator writes it), or a folder of ``<mart>.json`` (a list of rows) and
    ``<mart>.ndjson`` files. CONFIG_INVALID when it holds no mart: a comparison with nothing
    would pass."""
    marts = _read_golden(Path(path))
    if not marts:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"no golden marts in {path}: there is nothing to compare. To fix this, point at a "
            "JSON file {mart: [rows]} or a folder of <mart>.json files.",
        )
    return marts


def _read_golden(source: Path) -> dict[str, list[Row]]:
    try:
        if source.is_dir():
            marts: dict[str, list[Row]] = {}
            for file in sorted(source.iterdir()):
                if file.suffix == ".json":
                    marts[file.stem] = _as_rows(orjson.loads(file.read_bytes()), file)
                elif file.suffix == ".ndjson":
                    lines = file.read_bytes().splitlines()
                    marts[file.stem] = _as_rows([orjson.loads(x) for x in lines if x.strip()], file)
            return marts
        data = orjson.loads(source.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"cannot read golden marts from {source}: {exc}. To fix this, point at a JSON "
            "file {mart: [rows]} or a folder of <mart>.json files.",
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("marts"), dict):
        data = data["marts"]  # the simulator's golden.json: {"meta": …, "marts": {…}, …}
    if not isinstance(data, dict):
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"golden file {source} must hold an object mapping mart names to lists of rows.",
        )
    return {str(name): _as_rows(rows, source) for name, rows in data.items()}


def _as_rows(value: Any, source: Path) -> list[Row]:
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"golden rows in {source} must be a list of objects.",
        )
    return [dict(row) for row in value]


def _qualified(name: str) -> str:
    return name if "." in name else f"gold.{name}"


def _is_ratio(column: str) -> bool:
    return column.endswith("_rate") or column == "ctr"


def _cells_equal(column: str, expected: Any, actual: Any, rel_tol: float, abs_tol: float) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    numbers = all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in (expected, actual)
    )
    # Money and counts are exact; ratios (by name, or built as floats) get the tolerance.
    tolerant = _is_ratio(column) or isinstance(actual, float)
    if numbers and tolerant and not column.endswith("_cents"):
        return math.isclose(float(expected), float(actual), rel_tol=rel_tol, abs_tol=abs_tol)
    return bool(expected == actual)


def _index(
    rows: Sequence[Row], key_columns: tuple[str, ...]
) -> tuple[dict[Key, Row], list[Mapping[str, Any]]]:
    indexed: dict[Key, Row] = {}
    duplicates: list[Mapping[str, Any]] = []
    for row in rows:
        key = tuple(row.get(col) for col in key_columns)
        if key in indexed:
            duplicates.append(dict(zip(key_columns, key, strict=True)))
        indexed[key] = row
    return indexed, duplicates


def _compare_one(
    conn: duckdb.DuckDBPyConnection,
    mart: str,
    golden_rows: Sequence[Mapping[str, Any]],
    rel_tol: float,
    abs_tol: float,
    limit: int,
) -> MartDiff:
    expected = [{str(k): json_safe(v) for k, v in row.items()} for row in golden_rows]
    try:
        actual_columns = tuple(probe_columns(conn, mart))
    except TableMissing:
        return MartDiff(mart, expected_rows=len(expected), problem=f"mart {mart} is missing")
    actual = fetch_dicts(conn, f"SELECT * FROM {quote_table(mart)}")
    golden_columns: list[str] = []
    for row in expected:
        golden_columns.extend(col for col in row if col not in golden_columns)
    if not expected:
        golden_columns = list(actual_columns)
    missing_columns = tuple(c for c in golden_columns if c not in actual_columns)
    extra_columns = tuple(c for c in actual_columns if c not in golden_columns)
    common = [c for c in golden_columns if c in actual_columns]
    key_columns = tuple(c for c in KEY_COLUMNS if c in common) or tuple(common)
    measures = [c for c in common if c not in key_columns]

    expected_index, expected_dupes = _index(expected, key_columns)
    actual_index, actual_dupes = _index(actual, key_columns)
    missing = [k for k in expected_index if k not in actual_index]
    extra = [k for k in actual_index if k not in expected_index]
    differences: list[CellDifference] = []
    for key, want in expected_index.items():
        got = actual_index.get(key)
        if got is None:
            continue
        for column in measures:
            if not _cells_equal(column, want.get(column), got.get(column), rel_tol, abs_tol):
                differences.append(
                    CellDifference(
                        dict(zip(key_columns, key, strict=True)),
                        column,
                        want.get(column),
                        got.get(column),
                    )
                )
    return MartDiff(
        mart=mart,
        key_columns=key_columns,
        expected_rows=len(expected),
        actual_rows=len(actual),
        missing_rows=tuple(expected_index[k] for k in missing[:limit]),
        missing_count=len(missing),
        extra_rows=tuple(actual_index[k] for k in extra[:limit]),
        extra_count=len(extra),
        differences=tuple(differences[:limit]),
        difference_count=len(differences),
        missing_columns=missing_columns,
        extra_columns=extra_columns,
        duplicate_keys=tuple((*expected_dupes, *actual_dupes)[:limit]),
    )


def _key_text(key: Mapping[str, Any]) -> str:
    return " ".join(f"{col}={'NULL' if val is None else val}" for col, val in key.items())


def _render_mart(diff: MartDiff) -> list[str]:
    if diff.ok:
        return [f"  OK   {diff.mart} ({diff.actual_rows} rows)"]
    if diff.problem:
        return [f"  DIFF {diff.mart}: {diff.problem} ({diff.expected_rows} golden rows)"]
    lines = [
        f"  DIFF {diff.mart}: {diff.missing_count} missing row(s), {diff.extra_count} extra "
        f"row(s), {diff.difference_count} differing cell(s) "
        f"({diff.expected_rows} golden, {diff.actual_rows} built)"
    ]
    if diff.missing_columns:
        lines.append(f"    missing columns: {', '.join(diff.missing_columns)}")
    if diff.extra_columns:
        lines.append(f"    extra columns: {', '.join(diff.extra_columns)}")
    for key in diff.duplicate_keys:
        lines.append(f"    duplicate key: {_key_text(key)}")
    for row in diff.missing_rows:
        lines.append(f"    missing: {_key_text({c: row.get(c) for c in diff.key_columns})}  {row}")
    for row in diff.extra_rows:
        lines.append(f"    extra:   {_key_text({c: row.get(c) for c in diff.key_columns})}  {row}")
    for cell in diff.differences:
        lines.append(
            f"    {_key_text(cell.key)}  {cell.column}: expected {cell.expected!r}, "
            f"got {cell.actual!r}"
        )
    shown = len(diff.differences)
    if diff.difference_count > shown:
        lines.append(f"    … and {diff.difference_count - shown} more differing cell(s)")
    return lines
