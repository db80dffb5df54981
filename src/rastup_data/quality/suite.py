"""The default quality suite, as data, and loading suites from YAML/JSON records.

Column assumptions are listed here and in docs/quality.md; adjust the tables below when
the models change. Order matters only for reading the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.quality.model import CheckKind, CheckSeverity, CheckSpec

__all__ = [
    "GOLD_MARTS",
    "RECON_VARIANCE_ALERT",
    "SILVER_FACTS",
    "default_suite",
    "load_suite",
    "suite_from_records",
]

ERROR = CheckSeverity.ERROR
WARN = CheckSeverity.WARN

#: Alert signal of a day whose reconciliation variance exceeds the money in flight.
RECON_VARIANCE_ALERT = "recon_variance_exceeds_money_in_flight"

#: Every Silver fact; each has ``event_id`` and ``dt``.
SILVER_FACTS: tuple[str, ...] = (
    "silver.fact_booking_legs",
    "silver.fact_payments",
    "silver.fact_payouts",
    "silver.fact_search_impressions",
    "silver.fact_promotions_events",
    "silver.fact_disputes",
    "silver.fact_trust",
    "silver.fact_comms",
    "silver.fact_studios",
    "silver.fact_bookings",
    "silver.fact_search_clicks",
    "silver.fact_profile_views",
    "silver.fact_checkouts",
)

#: Facts whose daily volume and freshness are watched.
KEY_FACTS: tuple[str, ...] = (
    "silver.fact_booking_legs",
    "silver.fact_payments",
    "silver.fact_search_impressions",
)

#: Silver money columns that must never be negative.
SILVER_MONEY: dict[str, tuple[str, ...]] = {
    "silver.fact_booking_legs": ("amount_cents",),
    "silver.fact_payments": ("amount_cents",),
    "silver.fact_payouts": ("amount_cents",),
}

#: Dimension keys: table -> key column (unique and not null).
DIM_KEYS: dict[str, str] = {
    "silver.dim_user": "user_id",
    "silver.dim_city": "city",
}


class _Mart:
    """Column roles of one Gold mart (EVENTS.md "Gold marts")."""

    def __init__(
        self,
        keys: tuple[str, ...],
        money: tuple[str, ...] = (),
        bounded_rates: tuple[str, ...] = (),
        timing_rates: tuple[str, ...] = (),
    ) -> None:
        self.keys = keys
        self.money = money
        # Ratios whose numerator is a subset of the denominator's rows: always in [0, 1].
        self.bounded_rates = bounded_rates
        # Ratios of events counted on their own dt (e.g. delivered today / sent today):
        # events crossing midnight can push them above 1 without any defect.
        self.timing_rates = timing_rates


GOLD_MARTS: dict[str, _Mart] = {
    "gold.kpi_marketplace_daily": _Mart(
        ("dt", "city"), ("gmv_cents", "platform_fee_cents"), ("take_rate",)
    ),
    "gold.kpi_funnel_daily": _Mart(("dt", "stage")),
    "gold.ops_recon_daily": _Mart(
        ("dt",),
        ("charges_cents", "refunds_cents", "payouts_cents", "fees_cents", "variance_cents"),
    ),
    "gold.ops_payout_backlog": _Mart(("age_bucket",), ("amount_cents",)),
    "gold.kpi_trust_daily": _Mart(("dt",), (), ("idv_pass_rate",)),
    "gold.kpi_promotions_daily": _Mart(
        ("dt", "campaign_id"), ("spend_cents", "budget_cents"), ("invalid_rate",), ("ctr",)
    ),
    "gold.kpi_comms_daily": _Mart(
        ("dt", "channel"), (), (), ("delivery_rate", "bounce_rate", "complaint_rate")
    ),
    "gold.kpi_studios_daily": _Mart(("dt",), (), ("verification_rate",), ("quote_success_rate",)),
}

_FUNNEL_STAGES = (
    "search_impression",
    "search_click",
    "profile_view",
    "checkout_start",
    "booking_confirmed",
)
_BACKLOG_BUCKETS = ("0-1d", "1-3d", "3-7d", "7d+")


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def _silver_checks() -> list[CheckSpec]:
    specs: list[CheckSpec] = []
    for table in KEY_FACTS:
        specs.append(
            CheckSpec(
                f"{table}.volume",
                CheckKind.VOLUME,
                ERROR,
                table,
                {
                    "date_column": "dt",
                    "history_days": 7,
                    "min_history_days": 3,
                    "warn_drop": 0.5,
                    "error_drop": 0.9,
                    "min_volume": 50,
                },
            )
        )
    for table in KEY_FACTS:
        specs.append(
            CheckSpec(
                f"{table}.freshness",
                CheckKind.FRESHNESS,
                ERROR,
                table,
                {
                    "time_columns": ("occurred_at", "dt"),
                    "warn_after_hours": 6,
                    "error_after_hours": 36,
                },
            )
        )
    for table in SILVER_FACTS:
        specs.append(
            CheckSpec(
                f"{table}.event_id_unique",
                CheckKind.UNIQUENESS,
                ERROR,
                table,
                {"columns": ("event_id",)},
            )
        )
        specs.append(
            CheckSpec(
                f"{table}.keys_not_null",
                CheckKind.NOT_NULL,
                ERROR,
                table,
                {"columns": ("event_id", "dt")},
            )
        )
    for table, columns in SILVER_MONEY.items():
        specs.append(
            CheckSpec(
                f"{table}.money_non_negative",
                CheckKind.DISTRIBUTION,
                ERROR,
                table,
                {"columns": columns, "min": 0},
            )
        )
    for table, key in DIM_KEYS.items():
        specs.append(
            CheckSpec(
                f"{table}.{key}_unique", CheckKind.UNIQUENESS, ERROR, table, {"columns": (key,)}
            )
        )
        specs.append(
            CheckSpec(
                f"{table}.{key}_not_null", CheckKind.NOT_NULL, ERROR, table, {"columns": (key,)}
            )
        )
    return specs


def _gold_checks() -> list[CheckSpec]:
    specs: list[CheckSpec] = []
    for table, mart in GOLD_MARTS.items():
        specs.append(
            CheckSpec(
                f"{table}.key_unique", CheckKind.UNIQUENESS, ERROR, table, {"columns": mart.keys}
            )
        )
        specs.append(
            CheckSpec(
                f"{table}.key_not_null", CheckKind.NOT_NULL, ERROR, table, {"columns": mart.keys}
            )
        )
        if mart.money:
            specs.append(
                CheckSpec(
                    f"{table}.money_non_negative",
                    CheckKind.DISTRIBUTION,
                    ERROR,
                    table,
                    {"columns": mart.money, "min": 0},
                )
            )
        if mart.bounded_rates:
            specs.append(
                CheckSpec(
                    f"{table}.rates_in_unit_interval",
                    CheckKind.DISTRIBUTION,
                    ERROR,
                    table,
                    {"columns": mart.bounded_rates, "min": 0, "max": 1},
                )
            )
        if mart.timing_rates:
            specs.append(
                CheckSpec(
                    f"{table}.daily_rates_in_unit_interval",
                    CheckKind.DISTRIBUTION,
                    WARN,
                    table,
                    {"columns": mart.timing_rates, "min": 0, "max": 1},
                )
            )
    return specs


def _reconciliation_checks() -> list[CheckSpec]:
    recon = "gold.ops_recon_daily"
    settlement = "silver.booking_settlement"
    tolerance = {"abs_tol_cents": 100, "rel_tol": 0.001}
    return [
        CheckSpec(
            f"{settlement}.settled_bookings_balance",
            CheckKind.RECONCILIATION,
            ERROR,
            settlement,
            {"scope": "key", "key_columns": ("booking_id",), "where": "is_settled", **tolerance},
            description="Every settled booking: charges = payouts + refunds + fees.",
        ),
        CheckSpec(
            f"{recon}.reconciles_overall",
            CheckKind.RECONCILIATION,
            WARN,
            recon,
            {"scope": "overall", **tolerance},
            description="Overall variance; not zero while payouts are in flight.",
        ),
        CheckSpec(
            f"{recon}.reconciles_daily",
            CheckKind.RECONCILIATION,
            WARN,
            recon,
            {"scope": "daily", **tolerance},
            description="Daily variance; timing differences make it normal.",
        ),
        CheckSpec(
            f"{recon}.variance_within_money_in_flight",
            CheckKind.CUSTOM_SQL,
            WARN,
            recon,
            {"sql": _variance_beyond_money_in_flight_sql(recon, settlement)},
            description="A day's variance that money in flight cannot explain.",
            alert=RECON_VARIANCE_ALERT,
        ),
        CheckSpec(
            f"{recon}.variance_matches_parts",
            CheckKind.CUSTOM_SQL,
            ERROR,
            recon,
            {
                "sql": f"SELECT * FROM {recon} WHERE variance_cents IS DISTINCT FROM "
                "abs(charges_cents - (payouts_cents + refunds_cents + fees_cents))"
            },
        ),
    ]


def _variance_beyond_money_in_flight_sql(recon: str, settlement: str) -> str:
    """Days whose variance exceeds the charges of the bookings in flight on that day.

    A booking is in flight from the day it was charged to the day it settled (inclusive),
    or to the end when unsettled. Every money event of a balanced booking falls in that
    span and moves at most its charge on one day, so on healthy data
    |variance(d)| <= money in flight(d); more than that is money nobody can account for.
    """
    return f"""
        WITH flows AS (
            SELECT charged_dt AS dt, charges_cents AS delta
            FROM {settlement} WHERE charged_dt IS NOT NULL
            UNION ALL
            SELECT greatest(settled_dt, charged_dt) + 1, -charges_cents
            FROM {settlement}
            WHERE is_settled AND charged_dt IS NOT NULL AND settled_dt IS NOT NULL
        ),
        judged AS (
            SELECT r.dt, r.charges_cents, r.variance_cents,
                   CAST((SELECT coalesce(sum(f.delta), 0) FROM flows AS f WHERE f.dt <= r.dt)
                        AS BIGINT) AS money_in_flight_cents,
                   greatest(100, 0.001 * r.charges_cents) AS allowed_cents
            FROM {recon} AS r
        )
        SELECT dt, variance_cents, money_in_flight_cents, allowed_cents, charges_cents
        FROM judged
        WHERE variance_cents > money_in_flight_cents + allowed_cents
        ORDER BY dt
    """


def _consistency_checks() -> list[CheckSpec]:
    market = "gold.kpi_marketplace_daily"
    funnel = "gold.kpi_funnel_daily"
    backlog = "gold.ops_payout_backlog"
    return [
        CheckSpec(
            f"{market}.take_rate_matches_parts",
            CheckKind.CUSTOM_SQL,
            ERROR,
            market,
            {
                "sql": f"SELECT * FROM {market} WHERE "
                "(gmv_cents = 0 AND take_rate IS NOT NULL) OR (gmv_cents <> 0 AND "
                "(take_rate IS NULL OR abs(take_rate - platform_fee_cents / gmv_cents) "
                "> 1e-9 * greatest(abs(take_rate), 1e-12)))"
            },
        ),
        CheckSpec(
            f"{funnel}.stage_known",
            CheckKind.CUSTOM_SQL,
            ERROR,
            funnel,
            {"sql": f"SELECT * FROM {funnel} WHERE stage NOT IN ({_sql_list(_FUNNEL_STAGES)})"},
        ),
        CheckSpec(
            f"{backlog}.age_bucket_known",
            CheckKind.CUSTOM_SQL,
            ERROR,
            backlog,
            {
                "sql": f"SELECT * FROM {backlog} "
                f"WHERE age_bucket NOT IN ({_sql_list(_BACKLOG_BUCKETS)})"
            },
        ),
    ]


def default_suite() -> tuple[CheckSpec, ...]:
    """The checks every build is audited with (see docs/quality.md for each)."""
    return (
        *_silver_checks(),
        *_gold_checks(),
        *_reconciliation_checks(),
        *_consistency_checks(),
    )


def suite_from_records(records: Iterable[Mapping[str, Any]]) -> tuple[CheckSpec, ...]:
    """Specs from records ``{name, kind, severity, table, params?, description?, alert?}``."""
    specs: list[CheckSpec] = []
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise _bad_record(index, "is not a mapping")
        missing = [key for key in ("name", "kind", "severity", "table") if key not in record]
        if missing:
            raise _bad_record(index, f"lacks {', '.join(missing)}")
        try:
            kind = CheckKind(record["kind"])
        except ValueError:
            raise _bad_record(
                index,
                f"has unknown kind {record['kind']!r} (use one of "
                f"{', '.join(k.value for k in CheckKind)})",
            ) from None
        try:
            severity = CheckSeverity(record["severity"])
        except ValueError:
            raise _bad_record(
                index, f"has unknown severity {record['severity']!r} (use warn or error)"
            ) from None
        params = record.get("params") or {}
        if not isinstance(params, Mapping):
            raise _bad_record(index, "has params that are not a mapping")
        specs.append(
            CheckSpec(
                name=str(record["name"]),
                kind=kind,
                severity=severity,
                table=str(record["table"]),
                params=dict(params),
                description=str(record.get("description", "")),
                alert=str(record.get("alert") or ""),
            )
        )
    return tuple(specs)


def load_suite(path: str | Path) -> tuple[CheckSpec, ...]:
    """Read a suite from a YAML (or JSON) file holding a list of check records."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"cannot read quality suite {file}: {exc}. To fix this, point at a YAML list "
            "of checks.",
        ) from exc
    if isinstance(data, Mapping) and "checks" in data:
        data = data["checks"]
    if not isinstance(data, list):
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"quality suite {file} must hold a list of checks (or a 'checks:' list).",
        )
    return suite_from_records(data)


def _bad_record(index: int, problem: str) -> RastupError:
    return RastupError(
        ErrorCode.CONFIG_INVALID,
        f"quality check #{index + 1} {problem}. To fix this, give each check name, kind, "
        "severity, table and params.",
    )
