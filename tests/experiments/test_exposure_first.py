"""first_exposures: resolve units through identity links, keep the first, drop crossovers."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pytest

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.exposure import first_exposures


def _t(hour: int) -> datetime:
    return datetime(2026, 6, 1, hour, tzinfo=UTC)


EXPOSURES = pa.table(
    {
        "exp_key": ["A", "A", "A", "A", "A", "A", "A", "A", "B", "B"],
        "variant": [
            "control", "control", "control",  # a_1 and its user u_1
            "treatment", "control",  # a_2 then u_2 in another variant: crossover
            "treatment",  # a_3, never linked
            "treatment", "treatment",  # u_4 twice, out of order
            "treatment",  # a_2 in experiment B: no crossover there
            "control",  # a_5, linked twice; the earliest link wins
        ],
        "unit_id": ["a_1", "a_1", "u_1", "a_2", "u_2", "a_3", "u_4", "u_4", "a_2", "a_5"],
        "unit_type": [
            "anon", "anon", "user", "anon", "user", "anon", "user", "user", "anon", "anon",
        ],
        "occurred_at": [_t(1), _t(3), _t(2), _t(5), _t(4), _t(6), _t(7), _t(2), _t(1), _t(9)],
    }
)  # fmt: skip

LINKS = pa.table(
    {
        "anon_id": ["a_1", "a_2", "a_5", "a_5"],
        "user_id": ["u_1", "u_2", "u_5", "u_6"],
        "linked_at": [_t(0), _t(0), _t(8), _t(7)],
    }
)


def test_first_exposure_per_resolved_unit_and_crossovers() -> None:
    result = first_exposures(EXPOSURES, LINKS)
    rows = result.table.to_pylist()
    assert [(r["exp_key"], r["unit_id"], r["unit_type"], r["variant"]) for r in rows] == [
        ("A", "a_3", "anon", "treatment"),
        ("A", "u_1", "user", "control"),
        ("A", "u_4", "user", "treatment"),
        ("B", "u_2", "user", "treatment"),
        ("B", "u_6", "user", "control"),
    ]
    by_unit = {(r["exp_key"], r["unit_id"]): r for r in rows}
    assert by_unit[("A", "u_1")]["first_exposed_at"] == _t(1)
    assert by_unit[("A", "u_1")]["exposures"] == 3
    assert by_unit[("A", "u_4")]["first_exposed_at"] == _t(2)
    crossovers = result.crossover_units.to_pylist()
    assert crossovers == [
        {"exp_key": "A", "unit_id": "u_2", "variants": ["control", "treatment"], "exposures": 2}
    ]
    assert result.crossover_count() == 1
    assert result.crossover_count("A") == 1
    assert result.crossover_count("B") == 0
    assert result.units("A") == 3


def test_without_links_every_id_is_its_own_unit() -> None:
    result = first_exposures(EXPOSURES)
    units_a = sorted(r["unit_id"] for r in result.table.to_pylist() if r["exp_key"] == "A")
    assert units_a == ["a_1", "a_2", "a_3", "u_1", "u_2", "u_4"]
    assert result.crossover_count() == 0


def test_links_without_a_time_pick_the_smallest_user() -> None:
    links = LINKS.drop_columns(["linked_at"])
    rows = first_exposures(EXPOSURES, links).table.to_pylist()
    assert ("B", "u_5") in {(r["exp_key"], r["unit_id"]) for r in rows}


def test_duckdb_relations_are_accepted() -> None:
    con = duckdb.connect()
    con.register("ex", EXPOSURES)
    con.register("ln", LINKS)
    relation = con.sql("SELECT * FROM ex WHERE exp_key = 'A'")
    result = first_exposures(relation, con.sql("SELECT * FROM ln"))
    assert result.units("A") == 3
    assert result.crossover_count("A") == 1
    con.close()


def test_missing_columns_are_a_coded_error() -> None:
    with pytest.raises(RastupError) as info:
        first_exposures(EXPOSURES.drop_columns(["occurred_at"]))
    assert info.value.code is ErrorCode.EXPERIMENT_INVALID
    assert "occurred_at" in info.value.message


def test_empty_input_gives_empty_tables() -> None:
    result = first_exposures(EXPOSURES.slice(0, 0), LINKS.slice(0, 0))
    assert result.table.num_rows == 0
    assert result.crossover_count() == 0
