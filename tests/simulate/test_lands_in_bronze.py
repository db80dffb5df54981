"""End to end with real components: the simulated file through the real direct lander into
Bronze Parquet, then marts in DuckDB SQL written from EVENTS.md, against golden.json."""

from __future__ import annotations

from typing import Any

import duckdb
import orjson
import pytest

from rastup_data.lake.layout import LakeLayout
from rastup_data.lander import land_ndjson
from rastup_data.simulate import simulate

_MARKETPLACE_SQL = """
WITH e AS (
  SELECT event, strftime(occurred_at AT TIME ZONE 'UTC', '%Y-%m-%d') AS dt,
         json_extract_string(context, '$.city') AS city, payload
  FROM read_parquet($glob, hive_partitioning = true)
)
SELECT dt, city,
  count(DISTINCT CASE WHEN event = 'booking.confirmed'
        THEN json_extract_string(payload, '$.booking_id') END) AS bookings,
  coalesce(sum(CASE WHEN event = 'booking.leg.confirmed'
        THEN CAST(json_extract(payload, '$.amount_cents') AS BIGINT) END), 0) AS gmv_cents,
  coalesce(sum(CASE WHEN event = 'payment.fee.recorded'
        AND json_extract_string(payload, '$.fee_type') = 'platform'
        THEN CAST(json_extract(payload, '$.amount_cents') AS BIGINT) END), 0) AS fees
FROM e
WHERE event IN ('booking.confirmed', 'booking.leg.confirmed', 'payment.fee.recorded')
GROUP BY ALL ORDER BY dt, city
"""

_RECON_SQL = """
SELECT strftime(occurred_at AT TIME ZONE 'UTC', '%Y-%m-%d') AS dt,
  sum(CASE WHEN event = 'payment.charge.succeeded' THEN a ELSE 0 END) AS charges,
  sum(CASE WHEN event = 'payment.refund.succeeded' THEN a ELSE 0 END) AS refunds,
  sum(CASE WHEN event = 'payout.created' THEN a ELSE 0 END) AS payouts,
  sum(CASE WHEN event = 'payment.fee.recorded' THEN a ELSE 0 END) AS fees
FROM (
  SELECT event, occurred_at, CAST(json_extract(payload, '$.amount_cents') AS BIGINT) AS a
  FROM read_parquet($glob, hive_partitioning = true)
  WHERE event IN ('payment.charge.succeeded', 'payment.refund.succeeded', 'payout.created',
                  'payment.fee.recorded')
)
GROUP BY ALL ORDER BY dt
"""


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any], str]:
    root = tmp_path_factory.mktemp("drill")
    summary = simulate(root / "sim", seed=21, days=3, users=1_500)
    layout = LakeLayout(root / "lake")
    with summary.events_path.open("rb") as lines:
        load = land_ndjson(layout, lines, name="sim")
    golden = orjson.loads(summary.golden_path.read_bytes())
    return load, golden, str(layout.bronze_events / "**" / "*.parquet")


def test_lander_verdicts_match_the_ingest_counts(landed: tuple[Any, dict[str, Any], str]) -> None:
    load, golden, _ = landed
    ingest = golden["ingest"]
    assert load.lines == ingest["sent"]
    assert load.accepted == ingest["valid"]
    assert load.duplicates == ingest["duplicates"]
    assert load.rejected == ingest["malformed"]


def test_bronze_sql_reproduces_marketplace_and_recon(
    landed: tuple[Any, dict[str, Any], str],
) -> None:
    _, golden, glob = landed
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    market = [
        {
            "dt": dt,
            "city": city,
            "bookings": bookings,
            "gmv_cents": gmv,
            "platform_fee_cents": fees,
            "take_rate": None if gmv == 0 else fees / gmv,
        }
        for dt, city, bookings, gmv, fees in con.execute(
            _MARKETPLACE_SQL, {"glob": glob}
        ).fetchall()
    ]
    expected = golden["marts"]["gold.kpi_marketplace_daily"]
    assert len(market) == len(expected)
    for got, want in zip(market, expected, strict=True):
        assert got == pytest.approx(want)
    recon = [
        {
            "dt": dt,
            "charges_cents": c,
            "refunds_cents": r,
            "payouts_cents": p,
            "fees_cents": f,
            "variance_cents": abs(c - (p + r + f)),
        }
        for dt, c, r, p, f in con.execute(_RECON_SQL, {"glob": glob}).fetchall()
    ]
    assert recon == golden["marts"]["gold.ops_recon_daily"]
    assert len(recon) == 3
