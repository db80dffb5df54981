"""Not-null checks: key columns are never NULL."""

from __future__ import annotations

import duckdb

from rastup_data.quality._sql import quote_ident, require_columns
from rastup_data.quality.checks._outcome import failed, passed
from rastup_data.quality.checks._params import filtered_source, str_tuple_param, validate_where
from rastup_data.quality.checks._violations import find_violations
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
        conditions = {col: f"{quote_ident(col)} IS NULL" for col in columns}
        found = find_violations(
            conn, filtered_source(spec), conditions, sample_limit=context.sample_limit
        )
        if not found.rows:
            return passed(
                spec, f"no NULL in {', '.join(columns)} of {spec.table}", observed=0, threshold=0
            )
        return failed(
            spec,
            f"{found.rows} row(s) of {spec.table} have NULL keys ({found.detail})",
            observed=found.rows,
            threshold=0,
            sample_rows=found.samples,
        )
