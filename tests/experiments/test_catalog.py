"""The metrics catalogue: the shipped metrics, and coded errors for every mistake."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.catalog import Direction, MetricKind, load_catalog

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "metrics" / "catalog.yaml"


def test_shipped_catalogue_has_the_required_metrics() -> None:
    catalog = load_catalog(SHIPPED)
    expected = {
        "booking_conversion": MetricKind.PROPORTION,
        "bookings_per_user": MetricKind.MEAN,
        "gmv_per_user": MetricKind.MEAN,
        "checkout_starts": MetricKind.MEAN,
        "search_ctr": MetricKind.RATIO,
        "refund_rate": MetricKind.RATIO,
    }
    for name, kind in expected.items():
        assert catalog.get(name).kind is kind
    assert catalog.get("gmv_per_user").unit == "cents"
    refund = catalog.get("refund_rate")
    assert refund.direction is Direction.DECREASE
    assert "guardrail" in refund.tags
    ctr = catalog.get("search_ctr")
    assert ctr.numerator is not None
    assert ctr.denominator is not None
    assert (ctr.numerator.fact, ctr.denominator.fact) == (
        "fact_search_clicks",
        "fact_search_impressions",
    )
    assert all(m.window_days > 0 for m in catalog)


def test_every_source_expression_is_valid_per_unit_sql() -> None:
    """Each value is a per-unit aggregate: it must run grouped by the unit column."""
    catalog = load_catalog(SHIPPED)
    con = duckdb.connect()
    columns = (
        "person_id VARCHAR, occurred_at TIMESTAMPTZ, booking_id VARCHAR, checkout_id VARCHAR, "
        "amount_cents BIGINT, payment_type VARCHAR"
    )
    for metric in catalog:
        for source in metric.sources:
            con.execute(f"CREATE OR REPLACE TABLE {source.fact} ({columns})")
            con.execute(
                f"INSERT INTO {source.fact} VALUES "
                "('u_1', now(), 'bk_1', 'co_1', 500, 'refund'), "
                "('u_1', now(), 'bk_2', 'co_2', 700, 'refund')"
            )
            where = f"WHERE {source.filter}" if source.filter else ""
            rows = con.execute(
                f"SELECT {source.unit_column}, {source.value} FROM {source.fact} {where} "
                f"GROUP BY {source.unit_column}"
            ).fetchall()
            assert len(rows) == 1, metric.name
            assert rows[0][1] in (True, 2, 1200), (metric.name, rows)
    con.close()


BASE: dict[str, Any] = {
    "version": 1,
    "metrics": [
        {
            "name": "m_mean",
            "description": "a mean",
            "kind": "mean",
            "direction": "increase",
            "window_days": 7,
            "source": {"fact": "fact_x", "value": "count(*)"},
        },
        {
            "name": "m_ratio",
            "description": "a ratio",
            "kind": "ratio",
            "direction": "decrease",
            "window_days": 7,
            "numerator": {"fact": "fact_x", "value": "count(*)"},
            "denominator": {"fact": "fact_y", "value": "count(*)"},
        },
    ],
}


def _mutated(index: int, key: str, value: Any) -> dict[str, Any]:
    spec = copy.deepcopy(BASE)
    if value is None:
        del spec["metrics"][index][key]
    else:
        spec["metrics"][index][key] = value
    return spec


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (_mutated(0, "kind", "median"), "metrics[0].kind"),
        (_mutated(0, "direction", "sideways"), "metrics[0].direction"),
        (_mutated(0, "window_days", 0), "metrics[0].window_days"),
        (_mutated(0, "description", None), "metrics[0].description"),
        (_mutated(0, "name", "Bad Name"), "metrics[0].name"),
        (_mutated(0, "numerator", {"fact": "f", "value": "1"}), "metrics[0].numerator"),
        (_mutated(0, "source", {"fact": "fact x", "value": "1"}), "metrics[0].source.fact"),
        (_mutated(0, "source", {"fact": "f", "value": "1; drop"}), "metrics[0].source.value"),
        (_mutated(0, "source", {"fact": "f"}), "metrics[0].source.value"),
        (_mutated(1, "source", {"fact": "f", "value": "1"}), "metrics[1].source"),
        (_mutated(1, "denominator", None), "metrics[1].denominator"),
        (_mutated(1, "name", "m_mean"), "metrics[1].name"),
        (_mutated(1, "owner", "someone"), "metrics[1].owner"),
        ({"version": 2, "metrics": BASE["metrics"]}, "version"),
        ({"version": 1, "metrics": []}, "metrics"),
    ],
)
def test_catalogue_mistakes_are_coded(tmp_path: Path, spec: dict[str, Any], field: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(RastupError) as info:
        load_catalog(path)
    assert info.value.code is ErrorCode.EXPERIMENT_INVALID
    assert f"{path}: field {field}:" in info.value.message


def test_missing_catalogue_and_unknown_metric_are_coded(tmp_path: Path) -> None:
    with pytest.raises(RastupError) as missing:
        load_catalog(tmp_path / "nope.yaml")
    assert missing.value.code is ErrorCode.EXPERIMENT_INVALID
    with pytest.raises(RastupError) as unknown:
        load_catalog(SHIPPED).get("no_such_metric")
    assert unknown.value.code is ErrorCode.EXPERIMENT_INVALID
    assert "booking_conversion" in unknown.value.message
