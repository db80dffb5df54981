"""Money in flight publishes; a settled booking that does not balance blocks publication."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from bronze_fixture import envelope, ts, write_bronze
from click.testing import CliRunner

from rastup_data.errors import ErrorCode
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import BuildFailed, BuildOptions, build, open_published
from rastup_data.transform.quality_cli import quality
from rastup_data.transform.warehouse import warehouse_dirs

Event = dict[str, Any]


def _booking(booking: str, at: str, legs: dict[str, int]) -> list[Event]:
    """booking.confirmed, its legs and the charge for all of them, at ``at``."""
    total = sum(legs.values())
    events = [
        envelope(
            "booking.confirmed",
            at,
            {
                "booking_id": booking,
                "checkout_id": f"co_{booking}",
                "leg_count": len(legs),
                "total_amount_cents": total,
                "currency": "USD",
            },
            user_id="u_1",
        ),
        envelope(
            "payment.charge.succeeded",
            at,
            {
                "charge_id": f"ch_{booking}",
                "booking_id": booking,
                "amount_cents": total,
                "currency": "USD",
            },
            user_id="u_1",
        ),
    ]
    for leg, amount in legs.items():
        events.append(
            envelope(
                "booking.leg.confirmed",
                at,
                {
                    "booking_id": booking,
                    "leg_id": leg,
                    "provider_id": "p_1",
                    "provider_type": "talent",
                    "amount_cents": amount,
                    "currency": "USD",
                    "service_date": at[:10],
                },
                user_id="u_1",
            )
        )
    return events


def _served(booking: str, leg: str, amount: int, at: str, payout_at: str | None) -> list[Event]:
    """The fee at booking time is left to the caller; completion, then a payout."""
    events = [envelope("booking.leg.completed", at, {"booking_id": booking, "leg_id": leg})]
    if payout_at is not None:
        events.append(
            envelope(
                "payout.created",
                payout_at,
                {
                    "payout_id": f"po_{leg}",
                    "provider_id": "p_1",
                    "booking_id": booking,
                    "leg_id": leg,
                    "amount_cents": amount,
                    "currency": "USD",
                },
                user_id="u_1",
            )
        )
    return events


def _fee(booking: str, leg: str, amount: int, at: str) -> Event:
    return envelope(
        "payment.fee.recorded",
        at,
        {
            "fee_id": f"fe_{leg}",
            "booking_id": booking,
            "leg_id": leg,
            "fee_type": "platform",
            "amount_cents": amount,
            "currency": "USD",
        },
        user_id="u_1",
    )


def _impressions(first: datetime, days: int) -> list[Event]:
    """Search traffic every few hours, so the key facts are fresh at the end."""
    events = []
    for step in range(days * 6):
        events.append(
            envelope(
                "search.impression",
                first + timedelta(hours=4 * step),
                {
                    "search_id": f"srch_{step}",
                    "listing_id": "lst_1",
                    "listing_type": "talent",
                    "rank": 1,
                    "is_promoted": False,
                    "promotion_id": None,
                },
            )
        )
    return events


def _money_in_flight_stream() -> list[Event]:
    """Three bookings: one settled by a payout three days after its charge, one cancelled
    and refunded two days later, and one whose payout is still due at the end."""
    return [
        *_booking("bk_1", "2026-01-05 10:00", {"lg_1": 10_000}),
        _fee("bk_1", "lg_1", 1_500, "2026-01-05 10:01"),
        *_served("bk_1", "lg_1", 8_500, "2026-01-06 15:00", "2026-01-09 09:00"),
        *_booking("bk_2", "2026-01-05 11:00", {"lg_2": 5_000}),
        envelope(
            "booking.leg.cancelled",
            "2026-01-06 08:00",
            {"booking_id": "bk_2", "leg_id": "lg_2", "cancelled_by": "client", "reason": "x"},
            user_id="u_1",
        ),
        envelope(
            "payment.refund.succeeded",
            "2026-01-08 08:00",
            {
                "refund_id": "rf_2",
                "charge_id": "ch_bk_2",
                "booking_id": "bk_2",
                "amount_cents": 5_000,
                "currency": "USD",
                "reason": "leg cancelled",
            },
            user_id="u_1",
        ),
        *_booking("bk_3", "2026-01-08 12:00", {"lg_3": 20_000}),
        _fee("bk_3", "lg_3", 3_000, "2026-01-08 12:01"),
        *_served("bk_3", "lg_3", 17_000, "2026-01-09 10:00", None),
        *_impressions(ts("2026-01-05 00:30"), 5),
    ]


@pytest.mark.slow
def test_payouts_days_later_publish_and_an_unbalanced_settled_booking_blocks(
    layout: LakeLayout,
) -> None:
    write_bronze(layout, _money_in_flight_stream(), name="in-flight")
    first = build(layout, BuildOptions(with_nrt=False))
    assert first.gates.ran
    assert first.gates.passed
    with open_published(layout) as conn:
        settlement = conn.execute(
            "SELECT booking_id, is_settled, variance_cents FROM silver.booking_settlement "
            "ORDER BY booking_id"
        ).fetchall()
        recon = conn.execute(
            "SELECT dt::VARCHAR, variance_cents FROM gold.ops_recon_daily ORDER BY dt"
        ).fetchall()
    assert settlement == [("bk_1", True, 0), ("bk_2", True, 0), ("bk_3", False, 17_000)]
    # 2026-01-05: charges 15000 against a 1500 fee; the payout and refund come later.
    assert recon[0] == ("2026-01-05", 13_500)
    assert "gold.ops_recon_daily.reconciles_daily" in first.gates.warnings
    assert first.gates.alerts == ()
    # The published build audited again from the command line, with the lake's manifest.
    audit = CliRunner().invoke(
        quality,
        [
            "check",
            "--lake",
            str(layout.root),
            "--as-of",
            "2026-01-09T20:00:00Z",
            "--format",
            "json",
        ],
    )
    assert audit.exit_code == 0, audit.output
    checked = {r["name"]: r for r in orjson.loads(audit.output)["results"]}
    assert checked["silver.booking_settlement.settled_bookings_balance"]["passed"]
    assert "bronze.events.freshness" in checked

    # bk_4 settles the same day, but its payout is 500 cents too high.
    unbalanced = [
        *_booking("bk_4", "2026-01-09 13:00", {"lg_4": 10_000}),
        _fee("bk_4", "lg_4", 1_500, "2026-01-09 13:01"),
        *_served("bk_4", "lg_4", 9_000, "2026-01-09 18:00", "2026-01-09 20:00"),
    ]
    write_bronze(layout, unbalanced, name="unbalanced")
    with pytest.raises(BuildFailed) as blocked:
        build(layout, BuildOptions(with_nrt=False))
    assert blocked.value.code is ErrorCode.QUALITY_CHECK_FAILED
    (failure,) = blocked.value.failures
    assert failure.name == "silver.booking_settlement.settled_bookings_balance"
    (row,) = failure.sample_rows
    assert row["booking_id"] == "bk_4"
    assert row["computed_variance_cents"] == 500
    assert warehouse_dirs(layout).builds.current() == first.path
    with open_published(layout) as conn:
        booked = conn.execute("SELECT booking_id FROM silver.booking_settlement").fetchall()
    assert ("bk_4",) not in booked
