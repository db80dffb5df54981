"""analyze_units: JSON shape, degenerate data as codes, coded errors, recommendation rules."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from statsmodels.stats.multitest import multipletests

from rastup_data.errors import RastupError
from rastup_data.experiments.analysis import AnalysisPlan, analyze_units
from rastup_data.experiments.stats import AnalysisOptions, MetricKind, MetricRole, MetricSpec

TOP_LEVEL = {
    "srm_p_value",
    "srm_flag",
    "recommendation",
    "codes",
    "results",
    "winner",
    "reasons",
    "variants",
    "control",
    "alpha",
    "sequential",
    "correction",
}
ROW_FIELDS = {
    "metric",
    "variant",
    "n",
    "mean",
    "effect",
    "relative_effect",
    "ci_low",
    "ci_high",
    "p_value",
    "cuped",
    "sequential",
    "codes",
    "p_value_holm",
    "p_value_bh",
    "p_value_adjusted",
    "relative_ci_low",
    "relative_ci_high",
    "is_control",
}


def _units(
    n: int = 4000,
    lift: float = 0.0,
    seed: int = 0,
    arms: tuple[str, ...] = ("c", "t"),
    conv_lift: float = 0.0,
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, len(arms), n)
    pre = rng.gamma(3.0, 2.0, n)
    treated = arm > 0
    return {
        "variant": np.array(arms)[arm],
        "revenue": 2.0 + 0.9 * pre + rng.normal(0.0, 1.0, n) + lift * treated,
        "revenue_pre": pre,
        "converted": (rng.random(n) < 0.2 + conv_lift * treated).astype(np.int64),
        "sessions": rng.poisson(2.0, n) + 1.0,
        "unit": np.arange(n),
    }


def test_json_has_the_documented_fields_and_no_nan() -> None:
    result = analyze_units(
        _units(lift=0.3),
        "c",
        ["revenue", "converted", "rps=revenue/sessions"],
        plan=AnalysisPlan(covariates={"revenue": "revenue_pre"}),
    )
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert set(payload) >= TOP_LEVEL
    assert len(payload["results"]) == 6
    for row in payload["results"]:
        assert set(row) >= ROW_FIELDS
        assert isinstance(row["codes"], list)
    kinds = {r["metric"]: r["kind"] for r in payload["results"]}
    assert kinds == {"revenue": "mean", "converted": "proportion", "rps": "ratio"}
    treated = [r for r in payload["results"] if not r["is_control"]]
    assert all(r["ci_low"] <= r["effect"] <= r["ci_high"] for r in treated)
    assert [r["cuped"] for r in treated] == [True, False, False]


def test_arrow_table_and_numpy_mapping_agree() -> None:
    data = _units(lift=0.1, seed=3)
    from_numpy = analyze_units(
        data,
        "c",
        ["revenue", "converted"],
        plan=AnalysisPlan(covariates={"revenue": "revenue_pre"}),
    )
    from_arrow = analyze_units(
        pa.table(data),
        "c",
        ["revenue", "converted"],
        plan=AnalysisPlan(covariates={"revenue": "revenue_pre"}),
    )
    assert from_numpy.to_dict() == from_arrow.to_dict()


def test_means_and_counts_match_direct_computation() -> None:
    data = _units(seed=4)
    result = analyze_units(data, "c", ["converted"])
    for variant in ("c", "t"):
        mask = data["variant"] == variant
        row = result.row("converted", variant)
        assert row.n == int(mask.sum())
        assert row.mean == pytest.approx(data["converted"][mask].mean(), rel=1e-12)


def test_three_variants_each_compared_with_control_and_corrected() -> None:
    data = _units(n=9000, lift=0.25, seed=5, arms=("c", "t1", "t2"))
    result = analyze_units(data, "c", ["revenue", "converted"])
    family = [r for r in result.results if not r.is_control]
    assert [(r.metric, r.variant) for r in family] == [
        ("revenue", "t1"),
        ("revenue", "t2"),
        ("converted", "t1"),
        ("converted", "t2"),
    ]
    raw = [r.p_value for r in family]
    np.testing.assert_allclose(
        [r.p_value_holm for r in family], multipletests(raw, method="holm")[1]
    )
    np.testing.assert_allclose(
        [r.p_value_bh for r in family], multipletests(raw, method="fdr_bh")[1]
    )
    assert [r.p_value_adjusted for r in family] == [r.p_value_holm for r in family]


def test_sequential_intervals_are_wider_and_flagged() -> None:
    data = _units(lift=0.2, seed=6)
    fixed = analyze_units(data, "c", ["revenue"]).row("revenue", "t")
    seq = analyze_units(data, "c", ["revenue"], options=AnalysisOptions(sequential=True)).row(
        "revenue", "t"
    )
    assert seq.sequential
    assert not fixed.sequential
    assert seq.effect == fixed.effect
    assert seq.ci_high - seq.ci_low > fixed.ci_high - fixed.ci_low
    assert seq.p_value > fixed.p_value


# Degenerate data: result codes, never exceptions.


def _codes(result: Any, metric: str, variant: str) -> tuple[str, ...]:
    return tuple(result.row(metric, variant).codes)


def test_empty_configured_variant() -> None:
    data = _units(n=200, seed=7)
    result = analyze_units(
        data, "c", ["revenue"], plan=AnalysisPlan(weights={"c": 1, "t": 1, "t2": 1})
    )
    row = result.row("revenue", "t2")
    assert row.n == 0
    assert "EMPTY_VARIANT" in row.codes
    assert row.to_dict()["p_value"] is None
    assert result.srm_flag
    assert result.recommendation == "invalid"
    assert "SRM_DETECTED" in result.codes


def test_too_few_units_and_zero_variance() -> None:
    data = {
        "variant": np.array(["c", "c", "c", "t"]),
        "y": np.array([1.0, 2.0, 3.0, 4.0]),
        "flat": np.array([2.0, 2.0, 2.0, 2.0]),
    }
    result = analyze_units(data, "c", ["y"])
    assert "TOO_FEW_UNITS" in _codes(result, "y", "t")
    assert result.row("y", "t").to_dict()["p_value"] is None
    data = {"variant": np.array(["c", "c", "t", "t"]), "flat": np.array([2.0, 2.0, 2.0, 2.0])}
    result = analyze_units(data, "c", ["flat"])
    assert "ZERO_VARIANCE" in _codes(result, "flat", "t")
    row = result.row("flat", "t").to_dict()
    assert row["p_value"] is None
    assert row["effect"] == 0.0


def test_zero_denominator_and_zero_control_mean() -> None:
    data = {
        "variant": np.array(["c"] * 3 + ["t"] * 3),
        "num": np.array([0.0, 0.0, 0.0, 1.0, 2.0, 3.0]),
        "den": np.array([0.0, 0.0, 0.0, 1.0, 1.0, 2.0]),
    }
    result = analyze_units(data, "c", ["r=num/den", "num"])
    assert "ZERO_DENOMINATOR" in _codes(result, "r", "c")
    assert "ZERO_DENOMINATOR" in _codes(result, "r", "t")
    assert "ZERO_CONTROL_MEAN" in _codes(result, "num", "t")
    assert result.row("num", "t").to_dict()["relative_effect"] is None


def test_missing_values_are_dropped_per_metric_with_a_code() -> None:
    data = _units(n=100, seed=8)
    revenue = data["revenue"].copy()
    revenue[:10] = np.nan
    data["revenue"] = revenue
    result = analyze_units(data, "c", ["revenue", "converted"])
    assert sum(r.n for r in result.rows("revenue")) == 90
    assert sum(r.n for r in result.rows("converted")) == 100
    assert "MISSING_VALUES" in _codes(result, "revenue", "t")
    assert "MISSING_VALUES" not in _codes(result, "converted", "t")
    pa_result = analyze_units(
        pa.table({**data, "revenue": pa.array([None if np.isnan(v) else v for v in revenue])}),
        "c",
        ["revenue"],
    )
    assert sum(r.n for r in pa_result.rows("revenue")) == 90


def test_cuped_fallbacks_are_coded() -> None:
    data = _units(n=500, seed=9)
    data["constant"] = np.full(500, 3.0)
    result = analyze_units(
        data,
        "c",
        ["revenue", "r=revenue/sessions"],
        plan=AnalysisPlan(covariates={"revenue": "constant", "r": "revenue_pre"}),
    )
    plain = analyze_units(data, "c", ["revenue"]).row("revenue", "t")
    row = result.row("revenue", "t")
    assert "CUPED_SINGULAR" in row.codes
    assert not row.cuped
    assert row.effect_se == plain.effect_se
    assert "CUPED_UNSUPPORTED" in _codes(result, "r", "t")
    assert not result.row("r", "t").cuped


def test_duplicate_units_block_shipping() -> None:
    data = _units(lift=0.5, seed=10)
    data["unit"] = data["unit"] % 3000
    result = analyze_units(data, "c", ["revenue"], plan=AnalysisPlan(unit_column="unit"))
    assert "DUPLICATE_UNITS" in result.codes
    assert result.recommendation == "continue"


# Coded errors for misuse.


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"metrics": ["nope"]}, "no metric column 'nope'"),
        ({"control": "zzz"}, "unknown control 'zzz'"),
        ({"plan": AnalysisPlan(weights={"c": 1.0})}, "do not list"),
        ({"plan": AnalysisPlan(weights={"c": 1.0, "t": 0.0})}, "positive"),
        ({"metrics": ["label"]}, "must be numeric"),
        ({"metrics": [MetricSpec("rev", "revenue", MetricKind.PROPORTION)]}, "other than 0 and 1"),
        ({"options": AnalysisOptions(alpha=1.5)}, "alpha"),
        ({"plan": AnalysisPlan(covariates={"other": "revenue_pre"})}, "unknown metric 'other'"),
        ({"metrics": ["revenue", "revenue"]}, "given twice"),
        ({"metrics": []}, "at least one metric"),
        ({"options": AnalysisOptions(correction="bonferroni")}, "unknown correction"),
        ({"metrics": ["a=b"]}, "cannot read metric"),
        ({"plan": AnalysisPlan(variant_column="arm")}, "no variant column 'arm'"),
    ],
)
def test_misuse_raises_experiment_invalid(kwargs: dict[str, Any], fragment: str) -> None:
    data = _units(n=50)
    data["label"] = np.array(["x"] * 50)
    args: dict[str, Any] = {"control": "c", "metrics": ["revenue"], **kwargs}
    with pytest.raises(RastupError) as info:
        analyze_units(data, **args)
    assert info.value.code.value == "EXPERIMENT_INVALID"
    assert fragment in info.value.message


def test_single_variant_and_null_variants_are_errors() -> None:
    with pytest.raises(RastupError, match="at least two variants"):
        analyze_units({"variant": np.array(["c", "c"]), "y": np.array([1.0, 2.0])}, "c", ["y"])
    table = pa.table({"variant": ["c", None, "t"], "y": [1.0, 2.0, 3.0]})
    with pytest.raises(RastupError, match="no value in 'variant'"):
        analyze_units(table, "c", ["y"])


# Recommendation rules.


def test_clear_winner_ships() -> None:
    result = analyze_units(
        _units(n=20_000, lift=0.3, seed=11),
        "c",
        ["revenue"],
        plan=AnalysisPlan(covariates={"revenue": "revenue_pre"}, guardrails=["sessions>=-5%"]),
    )
    assert result.recommendation == "ship"
    assert result.winner == "t"
    assert result.row("sessions", "t").guardrail == "pass"


def test_failing_guardrail_stops() -> None:
    data = _units(n=20_000, lift=0.3, seed=12)
    data["sessions"] = data["sessions"] - 0.5 * (data["variant"] == "t")
    result = analyze_units(data, "c", ["revenue"], plan=AnalysisPlan(guardrails=["sessions>=-1%"]))
    assert result.row("sessions", "t").guardrail == "fail"
    assert "GUARDRAIL_FAILED" in result.codes
    assert result.recommendation == "stop"


def test_inconclusive_guardrail_keeps_running() -> None:
    data = _units(n=2_000, lift=0.5, seed=13)
    result = analyze_units(
        data,
        "c",
        ["revenue"],
        plan=AnalysisPlan(covariates={"revenue": "revenue_pre"}, guardrails=["converted>=-0.1%"]),
    )
    assert result.row("revenue", "t").significant
    assert result.row("converted", "t").guardrail == "inconclusive"
    assert result.recommendation == "continue"


def test_significantly_worse_primary_stops() -> None:
    result = analyze_units(_units(n=20_000, lift=-0.3, seed=14), "c", ["revenue"])
    assert result.recommendation == "stop"
    lower_is_better = MetricSpec("revenue", "revenue", direction="decrease")
    assert (
        analyze_units(_units(n=20_000, lift=-0.3, seed=14), "c", [lower_is_better]).recommendation
        == "ship"
    )


def test_sample_ratio_mismatch_invalidates() -> None:
    data = _units(n=10_000, lift=0.3, seed=15)
    keep = (data["variant"] == "c") | (np.arange(10_000) % 10 != 0)
    result = analyze_units(
        {k: v[keep] for k, v in data.items()},
        "c",
        ["revenue"],
        plan=AnalysisPlan(weights={"c": 1, "t": 1}),
    )
    assert result.srm_flag
    assert result.srm_p_value < 0.001
    assert result.recommendation == "invalid"
    # The same counts match 10:9 weights.
    assert not analyze_units(
        {k: v[keep] for k, v in data.items()},
        "c",
        ["revenue"],
        plan=AnalysisPlan(weights={"c": 10, "t": 9}),
    ).srm_flag


def test_quality_flags_block_shipping() -> None:
    result = analyze_units(
        _units(n=20_000, lift=0.3, seed=16),
        "c",
        ["revenue"],
        plan=AnalysisPlan(quality_flags=["crossover_units"]),
    )
    assert result.recommendation == "continue"
    assert "DATA_QUALITY" in result.codes


def test_no_effect_continues_until_final() -> None:
    data = _units(n=2_000, seed=17)
    assert analyze_units(data, "c", ["revenue"]).recommendation == "continue"
    assert (
        analyze_units(data, "c", ["revenue"], options=AnalysisOptions(final=True)).recommendation
        == "stop"
    )


def test_secondary_metrics_do_not_decide() -> None:
    spec = MetricSpec("revenue", "revenue", role=MetricRole.SECONDARY)
    result = analyze_units(_units(n=20_000, lift=0.3, seed=18), "c", [spec])
    assert result.row("revenue", "t").significant
    assert result.row("revenue", "t").to_dict()["p_value_adjusted"] is None
    assert result.recommendation == "continue"
