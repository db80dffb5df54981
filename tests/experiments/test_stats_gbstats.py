"""Cross-check against GrowthBook's gbstats, run in its own environment (scripts/gbstats_env.sh).

gbstats pins numpy 1.26 / pandas 1.5, so it runs in a separate interpreter; this test feeds
both engines the same sufficient statistics and compares effects, intervals and p-values.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps

from rastup_data.experiments.stats import (
    AnalysisOptions,
    Arm,
    MetricKind,
    MetricSpec,
    Moments,
    analyze_metric,
    confidence_sequence_halfwidth,
    mean_estimate,
    ratio_estimate,
    sequential_compare,
    welch_compare,
)

ROOT = Path(__file__).parents[2]

DRIVER = r"""
import json, sys
from gbstats.models.statistics import (SampleMeanStatistic, RatioStatistic,
                                       RegressionAdjustedStatistic)
from gbstats.frequentist.tests import (TwoSidedTTest, SequentialTwoSidedTTest,
                                       FrequentistConfig, SequentialConfig)

def stat(kind, s):
    if kind == "mean":
        return SampleMeanStatistic(n=s["n"], sum=s["sum"][0], sum_squares=s["cross"][0][0])
    m = SampleMeanStatistic(n=s["n"], sum=s["sum"][0], sum_squares=s["cross"][0][0])
    d = SampleMeanStatistic(n=s["n"], sum=s["sum"][1], sum_squares=s["cross"][1][1])
    if kind == "ratio":
        return RatioStatistic(n=s["n"], m_statistic=m, d_statistic=d,
                              m_d_sum_of_products=s["cross"][0][1])
    return RegressionAdjustedStatistic(n=s["n"], post_statistic=m, pre_statistic=d,
                                       post_pre_sum_of_products=s["cross"][0][1], theta=0)

out = []
for case in json.load(open(sys.argv[1])):
    a, b = stat(case["kind"], case["a"]), stat(case["kind"], case["b"])
    if case["sequential"]:
        config = SequentialConfig(alpha=case["alpha"], difference_type=case["difference"],
                                  sequential_tuning_parameter=case["tuning"])
        test = SequentialTwoSidedTTest(a, b, config)
    else:
        test = TwoSidedTTest(a, b, FrequentistConfig(alpha=case["alpha"],
                                                     difference_type=case["difference"]))
    r = test.compute_result()
    out.append({"expected": r.expected, "ci": list(r.ci), "p_value": r.p_value,
                "error": r.error_message})
print(json.dumps(out))
"""


def _gbstats_python() -> str:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "gbstats_env.sh")],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.stdout.strip().splitlines()[-1]


def _sums(m: Moments) -> dict[str, Any]:
    return {"n": m.n, "sum": m.sums.tolist(), "cross": m.cross_products.tolist()}


def _cases() -> list[dict[str, Any]]:
    rng = np.random.default_rng(2024)
    cases = []
    for i in range(12):
        kind = ("mean", "ratio", "cuped")[i % 3]
        n_a, n_b = int(rng.integers(500, 5000)), int(rng.integers(500, 5000))
        if kind == "ratio":
            cols = [
                np.column_stack([rng.gamma(2, 3, n) * (1 + 0.05 * j), rng.poisson(3, n) + 1.0])
                for j, n in enumerate((n_a, n_b))
            ]
        else:
            cols = []
            for j, n in enumerate((n_a, n_b)):
                pre = rng.gamma(2, 3, n)
                cols.append(np.column_stack([5 + 0.6 * pre + rng.normal(0, 2, n) + 0.2 * j, pre]))
                if kind == "mean":
                    cols[-1] = cols[-1][:, :1]
        moments = [Moments.from_columns(c) for c in cols]
        cases.append(
            {
                "kind": kind,
                "a": _sums(moments[0]),
                "b": _sums(moments[1]),
                "sequential": bool(i % 2),
                "tuning": float(rng.choice([1000, 5000])),
                "alpha": float(rng.choice([0.05, 0.1])),
                "difference": "relative" if i % 4 < 2 else "absolute",
                "moments": moments,
            }
        )
    return cases


def _ours(case: dict[str, Any]) -> tuple[float, tuple[float, float], float]:
    a, b = case["moments"]
    relative = case["difference"] == "relative"
    if case["kind"] == "cuped":
        spec = MetricSpec("y", "y", MetricKind.MEAN, covariates=("x",))
        row = analyze_metric(
            spec,
            MetricKind.MEAN,
            {"a": a, "b": b},
            "a",
            options=AnalysisOptions(
                alpha=case["alpha"], sequential=case["sequential"], tuning=case["tuning"]
            ),
        )[1]
        if relative:
            n_total = int(a.n + b.n)  # type: ignore[attr-defined]
            bounds = _linear_relative(case, row.relative_effect, row.relative_se, row.df, n_total)
            return row.relative_effect, bounds, row.p_value
        return row.effect, (row.ci_low, row.ci_high), row.p_value
    estimate = mean_estimate if case["kind"] == "mean" else ratio_estimate
    ea, eb = estimate(a), estimate(b)
    cmp = welch_compare(
        Arm(ea.adjusted_mean, ea.variance_of_mean, ea.n),
        Arm(eb.adjusted_mean, eb.variance_of_mean, eb.n),
        case["alpha"],
    )
    if case["sequential"]:
        cmp = sequential_compare(cmp, ea.n + eb.n, case["alpha"], case["tuning"])
    if relative:
        rel = float(cmp.relative)
        bounds = _linear_relative(case, rel, float(cmp.relative_se), float(cmp.df), ea.n + eb.n)
        return rel, bounds, float(cmp.p_value)
    return float(cmp.effect), (float(cmp.ci_low), float(cmp.ci_high)), float(cmp.p_value)


def _linear_relative(
    case: dict[str, Any], relative: float, relative_se: float, df: float, n_total: int
) -> tuple[float, float]:
    """The linear delta-method interval L ± q·SE_L that gbstats reports, from our SE_L.

    Our reported relative interval is on the log scale (docs/experiments-statistics.md);
    gbstats pins the lift and its delta-method SE, which guardrails with relative margins
    still use.
    """
    if case["sequential"]:
        half = float(
            confidence_sequence_halfwidth(relative_se, n_total, case["alpha"], case["tuning"])
        )
    else:
        half = float(sps.t.ppf(1.0 - case["alpha"] / 2.0, df)) * relative_se
    return relative - half, relative + half


@pytest.mark.slow
def test_engine_agrees_with_gbstats(tmp_path: Path) -> None:
    python = _gbstats_python()
    cases = _cases()
    (tmp_path / "cases.json").write_text(
        json.dumps([{k: v for k, v in c.items() if k != "moments"} for c in cases])
    )
    (tmp_path / "driver.py").write_text(DRIVER)
    done = subprocess.run(
        [python, str(tmp_path / "driver.py"), str(tmp_path / "cases.json")],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    references = json.loads(done.stdout)
    assert len(references) == len(cases)
    for case, ref in zip(cases, references, strict=True):
        assert ref["error"] is None
        effect, (low, high), p_value = _ours(case)
        label = f"{case['kind']} seq={case['sequential']} {case['difference']}"
        if case["kind"] == "cuped":
            # gbstats' CUPED pools theta over both arms without centring each arm and divides
            # relative lifts by the unadjusted control mean: agree within 1 % of the width.
            width = ref["ci"][1] - ref["ci"][0]
            for ours, theirs in (
                (effect, ref["expected"]),
                (low, ref["ci"][0]),
                (high, ref["ci"][1]),
            ):
                assert abs(ours - theirs) <= 0.01 * width, label
            continue
        assert effect == pytest.approx(ref["expected"], rel=1e-9, abs=1e-12), label
        assert low == pytest.approx(ref["ci"][0], rel=1e-8), label
        assert high == pytest.approx(ref["ci"][1], rel=1e-8), label
        if case["difference"] == "absolute":
            # Our p-value always tests the absolute difference (Welch); gbstats tests the
            # lift on the scale asked for, so only absolute p-values are comparable.
            assert p_value == pytest.approx(ref["p_value"], rel=1e-6), label


def test_driver_is_valid_python() -> None:
    compile(DRIVER, "driver.py", "exec")
