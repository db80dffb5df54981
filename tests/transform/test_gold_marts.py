"""Gold marts equal EVENTS.md computed independently in Python; Silver dedupes by event_id."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from bronze_fixture import write_bronze
from helpers import MART_KEYS, assert_rows_equal, published_rows
from market_fixture import market_events
from reference_marts import (
    first_copies,
    reference_exposures,
    reference_marketplace_dataset,
    reference_marts,
)

from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import BuildOptions, build, open_published


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> tuple[LakeLayout, list[dict[str, Any]]]:
    layout = LakeLayout(Path(tmp_path_factory.mktemp("market")) / "lake")
    events = market_events()
    half = len(events) // 2
    write_bronze(layout, events[:half], name="part-a")
    write_bronze(layout, events[half:], name="part-b")
    build(layout, BuildOptions(quality_gates=False, with_nrt=True))
    return layout, events


@pytest.mark.parametrize("mart", sorted(MART_KEYS))
def test_gold_mart_matches_independent_reference(
    market: tuple[LakeLayout, list[dict[str, Any]]], mart: str
) -> None:
    layout, events = market
    expected = reference_marts(events)[mart]
    assert expected, "the fixture must exercise every mart"
    assert_rows_equal(published_rows(layout, f"gold.{mart}"), expected, MART_KEYS[mart])


def test_the_marketplace_dataset_matches_independent_reference(
    market: tuple[LakeLayout, list[dict[str, Any]]],
) -> None:
    """Its funnel columns per city too, which no dbt test compares with Gold."""
    layout, events = market
    expected = reference_marketplace_dataset(events)
    assert any(r["profile_view_users"] and r["bookings"] for r in expected)
    assert_rows_equal(
        published_rows(layout, "datasets.ds_kpi_marketplace"), expected, ("dt", "city")
    )


def test_silver_holds_every_event_once(market: tuple[LakeLayout, list[dict[str, Any]]]) -> None:
    layout, events = market
    distinct = {e["event_id"] for e in events}
    assert len(events) > len(distinct), "the fixture must resend some events"
    with open_published(layout) as conn:
        total, unique = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM silver.events_deduped"
        ).fetchone() or (0, 0)
        facts = conn.execute("SELECT count(*) FROM silver.fact_search_impressions").fetchone() or (
            0,
        )
    assert total == unique == len(distinct)
    impressions = [e for e in first_copies(events) if e["event"] == "search.impression"]
    assert facts[0] == len(impressions)


def test_silver_facts_keep_the_first_received_copy(
    market: tuple[LakeLayout, list[dict[str, Any]]],
) -> None:
    layout, events = market
    firsts = {uuid.UUID(e["event_id"]): e["received_at"] for e in first_copies(events)}
    with open_published(layout) as conn:
        rows = conn.execute("SELECT event_id, received_at FROM silver.events_deduped").fetchall()
    # Silver carries event_id as a UUID, not as its 36-character text.
    assert dict(rows) == firsts


def test_nrt_views_agree_with_gold(market: tuple[LakeLayout, list[dict[str, Any]]]) -> None:
    layout, events = market
    backlog = published_rows(layout, "nrt.ops_payout_backlog", exclude=("as_of",))
    assert_rows_equal(backlog, reference_marts(events)["ops_payout_backlog"], ("age_bucket",))
    with open_published(layout) as conn:
        overall = conn.execute(
            "SELECT charges_cents, variance_cents FROM nrt.ops_recon WHERE scope = 'overall'"
        ).fetchone()
        queue = conn.execute("SELECT count(*) FROM nrt.ops_dispute_queue").fetchone()
    recon = reference_marts(events)["ops_recon_daily"]
    charges = sum(r["charges_cents"] for r in recon)
    payouts_refunds_fees = sum(
        r["payouts_cents"] + r["refunds_cents"] + r["fees_cents"] for r in recon
    )
    assert overall == (charges, abs(charges - payouts_refunds_fees))
    opened = {e["payload"]["dispute_id"] for e in events if e["event"] == "dispute.opened"}
    resolved = {e["payload"]["dispute_id"] for e in events if e["event"] == "dispute.resolved"}
    assert queue == (len(opened - resolved),)


def test_dim_exposure_resolves_units_and_flags_crossovers(
    market: tuple[LakeLayout, list[dict[str, Any]]],
) -> None:
    layout, events = market
    expected = reference_exposures(events)
    assert any(r["is_crossover"] for r in expected)
    assert any(r["exposures"] > 1 and not r["is_crossover"] for r in expected)
    columns = (
        "exp_key",
        "resolved_unit_id",
        "first_variant",
        "exposures",
        "variants_seen",
        "is_crossover",
    )
    got = [{c: r[c] for c in columns} for r in published_rows(layout, "silver.dim_exposure")]
    assert_rows_equal(got, expected, ("exp_key", "resolved_unit_id"))


def test_facts_carry_the_common_columns_of_docs_models(
    market: tuple[LakeLayout, list[dict[str, Any]]],
) -> None:
    layout, _ = market
    doc = (Path(__file__).parents[2] / "docs" / "models.md").read_text()
    listed = re.search(r"the common columns\s+`([^`]+)`", doc)
    assert listed is not None
    common = [c.strip() for c in listed.group(1).split(",")]
    with open_published(layout) as conn:
        facts = conn.execute(
            "SELECT table_name FROM duckdb_tables() "
            "WHERE schema_name = 'silver' AND table_name LIKE 'fact_%' "
            "UNION ALL SELECT view_name FROM duckdb_views() "
            "WHERE schema_name = 'silver' AND view_name LIKE 'fact_%' ORDER BY 1"
        ).fetchall()
        models = Path(__file__).parents[2] / "dbt" / "models" / "silver"
        assert len(facts) == len(list(models.glob("fact_*.sql")))
        for (fact,) in facts:
            described = conn.execute(f"DESCRIBE silver.{fact}").fetchall()
            columns = {str(row[0]): str(row[1]) for row in described}
            assert list(columns)[: len(common)] == common, fact
            assert "session_id" not in columns, fact
            assert columns["event_id"] == "UUID", fact


def test_events_deduped_keeps_its_payload_with_zstd(
    market: tuple[LakeLayout, list[dict[str, Any]]],
) -> None:
    layout, _ = market
    with open_published(layout) as conn:
        methods = conn.execute(
            "SELECT DISTINCT column_name, compression "
            "FROM pragma_storage_info('silver.events_deduped') "
            "WHERE column_name IN ('payload', 'event') AND segment_type = 'VARCHAR' ORDER BY 1"
        ).fetchall()
    # The column set to zstd, and one left to DuckDB's choice.
    assert methods == [("event", "DICT_FSST"), ("payload", "ZSTD")]
