"""Property tests: any small unit table gives a well-formed result, never an exception."""

from __future__ import annotations

import json
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rastup_data.experiments.analysis import AnalysisPlan, analyze_units
from rastup_data.experiments.stats import (
    AnalysisOptions,
    Arm,
    Estimate,
    Sequential,
    non_inferiority,
    welch_compare,
)

RECOMMENDATIONS = {"ship", "stop", "continue", "invalid"}

values = st.one_of(
    st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1.0, 2.5]),
)


@st.composite
def unit_tables(draw: st.DrawFn) -> dict[str, np.ndarray]:
    n_c = draw(st.integers(0, 6))
    n_t = draw(st.integers(0, 6))
    n = n_c + n_t
    constant = draw(st.booleans())
    column = st.lists(values, min_size=n, max_size=n)
    y = [draw(values)] * n if constant else draw(column)
    return {
        "variant": np.array(["c"] * n_c + ["t"] * n_t, dtype=str),
        "y": np.array(y, dtype=float),
        "x": np.array(draw(column), dtype=float),
        "den": np.array(
            draw(st.lists(st.sampled_from([0.0, 1.0, 3.0]), min_size=n, max_size=n)), dtype=float
        ),
        "flag": np.array(
            draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n)), dtype=np.int64
        ),
    }


@settings(max_examples=150, deadline=None)
@given(table=unit_tables(), sequential=st.booleans())
def test_degenerate_tables_give_codes_not_exceptions(
    table: dict[str, np.ndarray], sequential: bool
) -> None:
    result = analyze_units(
        table,
        "c",
        ["y", "flag", "r=y/den"],
        plan=AnalysisPlan(
            covariates={"y": "x"}, weights={"c": 1.0, "t": 1.0}, guardrails=["x>=-5%"]
        ),
        options=AnalysisOptions(sequential=sequential),
    )
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert payload["recommendation"] in RECOMMENDATIONS
    assert 0.0 <= payload["srm_p_value"] <= 1.0
    for row in payload["results"]:
        codes = set(row["codes"])
        if row["n"] == 0:
            assert "EMPTY_VARIANT" in codes
        elif row["n"] == 1:
            assert "TOO_FEW_UNITS" in codes
        if row["is_control"]:
            continue
        for key in ("p_value", "p_value_holm", "p_value_bh", "guardrail_p_value"):
            assert row[key] is None or 0.0 <= row[key] <= 1.0
        if row["ci_low"] is not None:
            assert row["ci_low"] <= row["effect"] <= row["ci_high"]
        if row["relative_ci_low"] is not None:
            assert row["relative_ci_low"] <= row["relative_effect"] <= row["relative_ci_high"]
        if row["p_value"] is None:
            # An undefined test always says why.
            assert codes & {"EMPTY_VARIANT", "TOO_FEW_UNITS", "ZERO_VARIANCE", "ZERO_DENOMINATOR"}


@settings(max_examples=300, deadline=None)
@given(
    mean_c=st.floats(-1e6, 1e6),
    mean_t=st.floats(-1e6, 1e6),
    var_c=st.floats(0, 1e6),
    var_t=st.floats(0, 1e6),
    n_c=st.integers(0, 10**6),
    n_t=st.integers(0, 10**6),
    alpha=st.floats(0.001, 0.5),
)
def test_welch_interval_contains_estimate_and_p_in_unit_interval(
    mean_c: float, mean_t: float, var_c: float, var_t: float, n_c: int, n_t: int, alpha: float
) -> None:
    cmp = welch_compare(Arm(mean_c, var_c, n_c), Arm(mean_t, var_t, n_t), alpha)
    p = float(cmp.p_value)
    assert math.isnan(p) or 0.0 <= p <= 1.0
    low, high, effect = float(cmp.ci_low), float(cmp.ci_high), float(cmp.effect)
    if not math.isnan(low):
        assert low <= effect <= high


@settings(max_examples=200, deadline=None)
@given(
    effect=st.floats(-10, 10),
    se=st.floats(0, 10),
    margin=st.floats(0, 5),
    sequential_n=st.one_of(st.none(), st.integers(2, 10**6)),
)
def test_guardrail_p_value_in_unit_interval(
    effect: float, se: float, margin: float, sequential_n: int | None
) -> None:
    sequential = None if sequential_n is None else Sequential(sequential_n)
    result = non_inferiority(Estimate(effect, se, 100.0), margin, sequential=sequential)
    assert math.isnan(result.p_value) or 0.0 <= result.p_value <= 1.0
    assert result.status.value in {"pass", "fail", "inconclusive", "undefined"}
