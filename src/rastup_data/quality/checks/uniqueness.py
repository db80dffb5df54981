"""Uniqueness checks: a key (one or more columns) identifies at most one row."""

from __future__ import annotations

import duckdb

from rastup_data.quality._sql import fetch_dicts, quote_ident, require_columns
from rastup_data.quality.checks._outcome import failed, passed
from rastup_data.quality.checks._params import filtered_source, str_tuple_param, validate_where
from rastup_data.quality.model import CheckContext, CheckKind, CheckResult, CheckSpec

__all__ = ["UniquenessCheck"]


class UniquenessCheck:
    """Params: ``columns`` forming the key (NULLs count as equal to each other); ``where``
    (optional row filter, e.g. only the partitions a build rewrote)."""

    kind = CheckKind.UNIQUENESS

    def validate(self, spec: CheckSpec) -> None:
        str_tuple_param(spec, "columns")
        validate_where(spec)

    def run(
        self, conn: duckdb.DuckDBPyConnection, spec: CheckSpec, context: CheckContext
    ) -> CheckResult:
        columns = str_tuple_param(spec, "columns")
        require_columns(conn, spec.table, columns)
        key = ", ".join(quote_ident(col) for col in columns)
        duplicates = (
            f"SELECT {key}, count(*) AS duplicate_count FROM {filtered_source(spec)} "
            f"GROUP BY ALL HAVING count(*) > 1"
        )
        summary = fetch_dicts(
            conn,
            f"SELECT count(*) AS keys, coalesce(sum(duplicate_count), 0) AS rows "
            f"FROM ({duplicates})",
        )[0]
        key_text = ", ".join(columns)
        if not summary["keys"]:
            return passed(spec, f"({key_text}) is unique in {spec.table}", observed=0, threshold=0)
        samples = fetch_dicts(
            conn,
            f"SELECT * FROM ({duplicates}) ORDER BY duplicate_count DESC, {key} "
            f"LIMIT {int(context.sample_limit)}",
        )
        return failed(
            spec,
            f"{summary['keys']} duplicated value(s) of ({key_text}) in {spec.table} "
            f"across {summary['rows']} rows",
            observed=int(summary["keys"]),
            threshold=0,
            sample_rows=samples,
        )
