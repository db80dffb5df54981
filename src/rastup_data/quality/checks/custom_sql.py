"""Custom SQL checks: a query that returns the failing rows; it passes when there are none."""

from __future__ import annotations

import duckdb

from rastup_data.quality._sql import fetch_dicts, probe_columns
from rastup_data.quality.checks._outcome import failed, passed
from rastup_data.quality.checks._params import number_param, str_param
from rastup_data.quality.model import CheckContext, CheckKind, CheckResult, CheckSpec

__all__ = ["CustomSqlCheck"]


class CustomSqlCheck:
    """Params: ``sql`` (a SELECT returning failing rows), ``max_rows`` allowed (default 0).

    The spec's ``table`` is probed first so a missing table reads "table missing".
    """

    kind = CheckKind.CUSTOM_SQL

    def validate(self, spec: CheckSpec) -> None:
        str_param(spec, "sql")
        number_param(spec, "max_rows", 0)

    def run(
        self, conn: duckdb.DuckDBPyConnection, spec: CheckSpec, context: CheckContext
    ) -> CheckResult:
        sql = str_param(spec, "sql").strip().rstrip(";")
        allowed = int(number_param(spec, "max_rows", 0))
        probe_columns(conn, spec.table)
        count = fetch_dicts(conn, f"SELECT count(*) AS n FROM ({sql})")[0]["n"]
        if count <= allowed:
            return passed(
                spec,
                f"{count} failing row(s), {allowed} allowed",
                observed=count,
                threshold=allowed,
            )
        samples = fetch_dicts(conn, f"SELECT * FROM ({sql}) LIMIT {int(context.sample_limit)}")
        return failed(
            spec,
            f"{count} failing row(s) in {spec.table}, {allowed} allowed",
            observed=int(count),
            threshold=allowed,
            sample_rows=samples,
        )
