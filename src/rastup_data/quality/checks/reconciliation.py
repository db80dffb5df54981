"""Reconciliation checks: charges = payouts + refunds + fees, overall and per day."""

from __future__ import annotations

import duckdb

from rastup_data.quality._sql import fetch_dicts, quote_ident, quote_table, require_columns
from rastup_data.quality.checks._outcome import failed, passed
from rastup_data.quality.checks._params import bad_param, number_param, str_param, str_tuple_param
from rastup_data.quality.model import CheckContext, CheckKind, CheckResult, CheckSpec

__all__ = ["ReconciliationCheck"]

_DEFAULT_CREDITS = ("payouts_cents", "refunds_cents", "fees_cents")
_SCOPES = ("overall", "daily")


class ReconciliationCheck:
    """Params: ``scope`` (overall | daily), ``debit_column`` (charges_cents),
    ``credit_columns`` (payouts, refunds, fees), ``date_column`` (dt), and the tolerance
    ``abs_tol_cents`` (100) and ``rel_tol`` (0.001, a fraction of the charges).

    A day (or the total) fails when |charges − credits| > max(abs_tol_cents,
    rel_tol × |charges|). The variance is recomputed from the parts, not read from a
    stored column.
    """

    kind = CheckKind.RECONCILIATION

    def validate(self, spec: CheckSpec) -> None:
        scope = spec.params.get("scope", "overall")
        if scope not in _SCOPES:
            raise bad_param(spec, "scope", " or ".join(_SCOPES), scope)
        str_param(spec, "debit_column", "charges_cents")
        str_tuple_param(spec, "credit_columns", _DEFAULT_CREDITS)
        str_param(spec, "date_column", "dt")
        number_param(spec, "abs_tol_cents", 100)
        number_param(spec, "rel_tol", 0.001)

    def run(
        self, conn: duckdb.DuckDBPyConnection, spec: CheckSpec, context: CheckContext
    ) -> CheckResult:
        scope = str(spec.params.get("scope", "overall"))
        debit = str_param(spec, "debit_column", "charges_cents")
        credits = str_tuple_param(spec, "credit_columns", _DEFAULT_CREDITS)
        date_column = str_param(spec, "date_column", "dt")
        abs_tol = number_param(spec, "abs_tol_cents", 100)
        rel_tol = number_param(spec, "rel_tol", 0.001)
        needed = (debit, *credits) if scope == "overall" else (date_column, debit, *credits)
        require_columns(conn, spec.table, needed)

        sums = ", ".join(
            f"coalesce(sum({quote_ident(col)}), 0) AS {quote_ident(col)}"
            for col in (debit, *credits)
        )
        credit_sum = " + ".join(quote_ident(col) for col in credits)
        group = f"{quote_ident(date_column)} AS dt, " if scope == "daily" else ""
        group_by = " GROUP BY 1" if scope == "daily" else ""
        per_unit = f"SELECT {group}{sums} FROM {quote_table(spec.table)}{group_by}"
        checked = (
            f"SELECT *, abs({quote_ident(debit)} - ({credit_sum})) AS computed_variance_cents, "
            f"greatest({abs_tol!r}, {rel_tol!r} * abs({quote_ident(debit)})) AS allowed_cents "
            f"FROM ({per_unit})"
        )
        threshold = f"variance <= max({abs_tol:g} cents, {rel_tol:g} x charges)"
        worst = fetch_dicts(
            conn,
            f"SELECT count(*) FILTER (WHERE computed_variance_cents > allowed_cents) AS bad, "
            f"count(*) AS units, max(computed_variance_cents) AS worst FROM ({checked})",
        )[0]
        worst_variance = int(worst["worst"] or 0)
        unit = "day(s)" if scope == "daily" else "total"
        if not worst["bad"]:
            return passed(
                spec,
                f"{spec.table} reconciles ({scope}): worst variance {worst_variance} cents "
                f"over {worst['units']} {unit}",
                observed=worst_variance,
                threshold=threshold,
            )
        order = "computed_variance_cents DESC" + (", dt" if scope == "daily" else "")
        samples = fetch_dicts(
            conn,
            f"SELECT * FROM ({checked}) WHERE computed_variance_cents > allowed_cents "
            f"ORDER BY {order} LIMIT {int(context.sample_limit)}",
        )
        where = f"on {worst['bad']} of {worst['units']} day(s)" if scope == "daily" else "overall"
        return failed(
            spec,
            f"{spec.table} does not reconcile {where}: |{debit} − ({' + '.join(credits)})| "
            f"up to {worst_variance} cents, beyond tolerance",
            observed=worst_variance,
            threshold=threshold,
            sample_rows=samples,
        )
