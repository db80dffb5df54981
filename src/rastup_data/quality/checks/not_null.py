"""Not-null checks: key columns are never NULL."""

from __future__ import annotations

import duckdb

from rastup_data.quality._sql import fetch_dicts, quote_ident, require_columns
from rastup_data.quality.checks._outcome import failed, passed
from rastup_data.quality.checks._params import filtered_source, str_tuple_param, validate_where
from rastup_data.quality.model import CheckContext, CheckKind, CheckResult, CheckSpec

__all__ = ["NotNullCheck"]


class NotNullCheck:
    """Params: ``columns`` that must never be NULL; ``where`` (optional row filter)."""

    kind = CheckKind.NOT_NULL

    def validate(self, spec: CheckSpec) -> None:
        str_tuple_param(spec, "columns")
        validate_where(spec)

    def run(
        self, conn: duckdb.DuckDBPyConnection, spec: CheckSpec, context: CheckContext
    ) -> CheckResult:
        columns = str_tuple_param(spec, "columns")
        require_columns(conn, spec.table, columns)
        table = filtered_source(spec)
        any_null = " OR ".join(f"{quote_ident(col)} IS NULL" for col in columns)
        # One scan: rows with any NULL key, then NULLs per column.
        per_column = "".join(f", count(*) - count({quote_ident(col)})" for col in columns)
        row = conn.execute(
            f"SELECT count(*) FILTER (WHERE {any_null}){per_column} FROM {table}"
        ).fetchone()
        assert row is not None
        bad_rows = int(row[0])
        counts = dict(zip(columns, (int(n) for n in row[1:]), strict=True))
        if not bad_rows:
            return passed(
                spec, f"no NULL in {', '.join(columns)} of {spec.table}", observed=0, threshold=0
            )
        samples = fetch_dicts(
            conn, f"SELECT * FROM {table} WHERE {any_null} LIMIT {int(context.sample_limit)}"
        )
        detail = "; ".join(f"{col}: {n} row(s)" for col, n in counts.items() if n)
        return failed(
            spec,
            f"{bad_rows} row(s) of {spec.table} have NULL keys ({detail})",
            observed=bad_rows,
            threshold=0,
            sample_rows=samples,
        )
