"""The catalog: what schema.yml declares becomes checks; misdeclarations are config errors.

A tiny in-memory project stands in for the manifest here (the shape the transform
package's reader hands over); the real project's catalog is tested in test_suite.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.quality import CheckKind, QualityCatalog, default_suite


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataTest:
    kind: str
    columns: tuple[str, ...]
    severity: str = "error"


@dataclass(frozen=True)
class Model:
    name: str
    schema: str = "silver"
    resource_type: str = "model"
    tags: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    tests: tuple[DataTest, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    source_freshness: Mapping[str, Any] = field(default_factory=dict)

    @property
    def alias(self) -> str:
        return self.name


@dataclass(frozen=True)
class Project:
    models: Mapping[str, Model]


def _catalog(*models: Model) -> QualityCatalog:
    return QualityCatalog.from_project(Project({m.name: m for m in models}))


MONEY = (Column("id"), Column("amount_cents", tags=("financial", "pii")), Column("refund_cents"))


def test_money_comes_from_the_financial_tag_and_signed_opts_out():
    plain = _catalog(Model("fact_x", columns=MONEY))
    (spec,) = default_suite(plain)
    assert spec.name == "silver.fact_x.money_non_negative"
    assert spec.params["columns"] == ("amount_cents",)  # refund_cents has no tag
    signed = _catalog(
        Model("fact_x", columns=MONEY, meta={"quality": {"signed": ["amount_cents"]}})
    )
    assert default_suite(signed) == ()


def test_a_declared_key_is_checked_unless_dbt_tests_it():
    key = {"quality": {"key": ["id"]}}
    bare = _catalog(Model("dim_x", columns=(Column("id"),), meta=key))
    assert [s.kind for s in default_suite(bare)] == [CheckKind.UNIQUENESS, CheckKind.NOT_NULL]
    tested = _catalog(
        Model("dim_x", columns=(Column("id"),), meta=key, tests=(DataTest("primary_key", ("id",)),))
    )
    assert default_suite(tested) == ()
    warned = _catalog(
        Model(
            "dim_x",
            columns=(Column("id"),),
            meta=key,
            tests=(DataTest("primary_key", ("id",), severity="warn"),),
        )
    )
    assert len(default_suite(warned)) == 2  # a warn-only dbt test does not guard the key


def test_gold_marts_with_a_day_are_watched_by_default_and_may_opt_out():
    day = (Column("dt", "date"), Column("n", "bigint"))
    (volume, freshness) = default_suite(_catalog(Model("kpi_x", schema="gold", columns=day)))
    assert volume.kind is CheckKind.VOLUME
    assert freshness.kind is CheckKind.FRESHNESS
    assert freshness.params["time_columns"] == ("dt",)
    off = {"quality": {"volume": False, "freshness": False}}
    assert default_suite(_catalog(Model("kpi_x", schema="gold", columns=day, meta=off))) == ()


def test_nrt_models_are_left_to_their_own_snapshot():
    nrt = Model("nrt_x", schema="main", tags=("nrt",), columns=MONEY)
    assert _catalog(nrt).models == ()


def test_checks_records_are_named_after_their_model():
    meta = {
        "quality": {
            "checks": [
                {
                    "name": "few",
                    "kind": "custom_sql",
                    "severity": "warn",
                    "params": {"sql": "SELECT 1"},
                    "alert": "too_few",
                }
            ]
        }
    }
    (spec,) = default_suite(_catalog(Model("fact_x", meta=meta)))
    assert spec.name == "silver.fact_x.few"
    assert spec.table == "silver.fact_x"
    assert spec.alert == "too_few"


@pytest.mark.parametrize(
    ("quality", "fragment"),
    [
        ({"volumes": True}, "unknown key(s) volumes"),
        ({"volume": "yes"}, "meta.quality.volume must be true, false or a mapping"),
        ({"volume": {"severity": "fatal"}}, "severity must be warn or error"),
        ({"rates": [1]}, "meta.quality.rates must be a list of column names"),
        ({"checks": {"name": "x"}}, "meta.quality.checks must be a list"),
    ],
)
def test_misdeclarations_are_config_errors_naming_the_model(quality, fragment):
    with pytest.raises(RastupError) as info:
        default_suite(_catalog(Model("fact_x", meta={"quality": quality})))
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert info.value.message.startswith("silver.fact_x: ")
    assert fragment in info.value.message
