"""Not-null checks: key columns are never NULL."""

from __future__ import annotations

import duckdb

from rastup_data.quality._sql import fetch_dicts, quote_ident, quote_table, require_columns
from rastup_data.quality.checks._outcome import failed, passed
from rastup_data.quality.checks._params import str_tuple_param
from rastup_data.quality.model import CheckContext, CheckKind, CheckResult, CheckSpec

__all__ = ["NotNullCheck"]


class NotNullCheck:
    """Params: ``columns`` that must never be NULL."""

    kind = CheckKind.NOT_NULL

    def validate(self, spec: CheckSpec) -> None:
        str_tuple_param(spec, "columns")

    def run(
        self, conn: duckdb.DuckDBPyConnection, spec: CheckSpec, context: CheckContext
    ) -> CheckResult:
        columns = str_tuple_param(spec, "columns")
        require_columns(conn, spec.table, columns)
        table = quote_table(spec.table)
        counts_sql = ", ".join(
            f"count(*) FILTER (WHERE {quote_ident(col)} IS NULL) AS {quote_ident(col)}"
            for col in columns
        )
        any_null = " OR ".join(f"{quote_ident(col)} IS NULL" for col in columns)
        counts = fetch_dicts(conn, f"SELECT {counts_sql} FROM {table}")[0]
        bad_rows = fetch_dicts(conn, f"SELECT count(*) AS n FROM {table} WHERE {any_null}")[0]
        if not bad_rows["n"]:
            return passed(
                spec, f"no NULL in {', '.join(columns)} of {spec.table}", observed=0, threshold=0
            )
        samples = fetch_dicts(
            conn, f"SELECT * FROM {table} WHERE {any_null} LIMIT {int(context.sample_limit)}"
        )
        detail = "; ".join(f"{col}: {n} row(s)" for col, n in counts.items() if n)
        return failed(
            spec,
            f"{bad_rows['n']} row(s) of {spec.table} have NULL keys ({detail})",
            observed=int(bad_rows["n"]),
            threshold=0,
            sample_rows=samples,
        )
