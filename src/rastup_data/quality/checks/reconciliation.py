"""Reconciliation checks: charges = payouts + refunds + fees, overall, per day or per key."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from rastup_data.quality._sql import fetch_dicts, quote_ident, require_columns
from rastup_data.quality.checks._outcome import failed, passed
from rastup_data.quality.checks._params import (
    bad_param,
    filtered_source,
    number_param,
    str_param,
    str_tuple_param,
    validate_where,
)
from rastup_data.quality.model import CheckContext, CheckKind, CheckResult, CheckSpec

__all__ = ["ReconciliationCheck"]

_DEFAULT_CREDITS = ("payouts_cents", "refunds_cents", "fees_cents")
_SCOPES = ("overall", "daily", "key")


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one reconciliation sums, grouped by what, and how much slack it allows."""

    scope: str
    debit: str
    credits: tuple[str, ...]
    groups: tuple[str, ...]
    abs_tol: float
    rel_tol: float

    @classmethod
    def of(cls, spec: CheckSpec) -> _Plan:
        scope = str(spec.params.get("scope", "overall"))
        groups: tuple[str, ...] = ()
        if scope == "daily":
            groups = (str_param(spec, "date_column", "dt"),)
        elif scope == "key":
            groups = str_tuple_param(spec, "key_columns")
        return cls(
            scope=scope,
            debit=str_param(spec, "debit_column", "charges_cents"),
            credits=str_tuple_param(spec, "credit_columns", _DEFAULT_CREDITS),
            groups=groups,
            abs_tol=number_param(spec, "abs_tol_cents", 100),
            rel_tol=number_param(spec, "rel_tol", 0.001),
        )

    @property
    def unit(self) -> str:
        return {"overall": "total", "daily": "day(s)"}.get(self.scope, "key(s)")

    @property
    def threshold(self) -> str:
        return f"variance <= max({self.abs_tol:g} cents, {self.rel_tol:g} x charges)"

    def checked_sql(self, source: str) -> str:
        """One row per unit with its sums, the recomputed variance and the allowance."""
        debit = quote_ident(self.debit)
        sums = ", ".join(
            f"coalesce(sum({quote_ident(col)}), 0) AS {quote_ident(col)}"
            for col in (self.debit, *self.credits)
        )
        keys = ", ".join(quote_ident(col) for col in self.groups)
        # A daily reconciliation names its day column `dt` in the evidence, whatever it is.
        select_keys = f"{keys} AS dt, " if self.scope == "daily" else (keys + ", " if keys else "")
        group_by = f" GROUP BY {keys}" if keys else ""
        credit_sum = " + ".join(quote_ident(col) for col in self.credits)
        per_unit = f"SELECT {select_keys}{sums} FROM {source}{group_by}"
        return (
            f"SELECT *, abs({debit} - ({credit_sum})) AS computed_variance_cents, "
            f"greatest({self.abs_tol!r}, {self.rel_tol!r} * abs({debit})) AS allowed_cents "
            f"FROM ({per_unit})"
        )

    def sample_order(self) -> str:
        if self.scope == "daily":
            return "computed_variance_cents DESC, dt"
        tie_break = ", ".join(quote_ident(col) for col in self.groups)
        return "computed_variance_cents DESC" + (f", {tie_break}" if tie_break else "")


class ReconciliationCheck:
    """Params: ``scope`` (overall | daily | key), ``debit_column`` (charges_cents),
    ``credit_columns`` (payouts, refunds, fees), ``date_column`` (dt, scope daily),
    ``key_columns`` (scope key, e.g. booking_id), ``where`` (optional row filter, e.g.
    ``is_settled``), and the tolerance ``abs_tol_cents`` (100) and ``rel_tol`` (0.001, a
    fraction of the charges).

    A unit (the total, a day or a key) fails when |charges − credits| > max(abs_tol_cents,
    rel_tol × |charges|). The variance is recomputed from the parts, not read from a
    stored column.
    """

    kind = CheckKind.RECONCILIATION

    def validate(self, spec: CheckSpec) -> None:
        scope = spec.params.get("scope", "overall")
        if scope not in _SCOPES:
            raise bad_param(spec, "scope", " or ".join(_SCOPES), scope)
        validate_where(spec)
        _Plan.of(spec)

    def run(
        self, conn: duckdb.DuckDBPyConnection, spec: CheckSpec, context: CheckContext
    ) -> CheckResult:
        plan = _Plan.of(spec)
        require_columns(conn, spec.table, (*plan.groups, plan.debit, *plan.credits))
        checked = plan.checked_sql(filtered_source(spec))
        worst = fetch_dicts(
            conn,
            f"SELECT count(*) FILTER (WHERE computed_variance_cents > allowed_cents) AS bad, "
            f"count(*) AS units, max(computed_variance_cents) AS worst FROM ({checked})",
        )[0]
        worst_variance = int(worst["worst"] or 0)
        if not worst["bad"]:
            return passed(
                spec,
                f"{spec.table} reconciles ({plan.scope}): worst variance {worst_variance} cents "
                f"over {worst['units']} {plan.unit}",
                observed=worst_variance,
                threshold=plan.threshold,
            )
        samples = fetch_dicts(
            conn,
            f"SELECT * FROM ({checked}) WHERE computed_variance_cents > allowed_cents "
            f"ORDER BY {plan.sample_order()} LIMIT {int(context.sample_limit)}",
        )
        where = "overall" if plan.scope == "overall" else f"on {worst['bad']} of {worst['units']}"
        if plan.scope != "overall":
            where += f" {plan.unit}"
        return failed(
            spec,
            f"{spec.table} does not reconcile {where}: |{plan.debit} − "
            f"({' + '.join(plan.credits)})| up to {worst_variance} cents, beyond tolerance",
            observed=worst_variance,
            threshold=plan.threshold,
            sample_rows=samples,
        )
