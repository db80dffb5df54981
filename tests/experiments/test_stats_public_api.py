"""The statistics engine's public surface and its documentation stay in step."""

from __future__ import annotations

from pathlib import Path

import rastup_data.experiments as experiments
import rastup_data.experiments.stats as stats
from rastup_data.experiments.stats import ResultCode

DOC = Path(__file__).parents[2] / "docs" / "experiments-statistics.md"


def test_public_names_resolve() -> None:
    for name in stats.__all__:
        assert getattr(stats, name) is not None, name
    for name in experiments.__all__:
        assert getattr(experiments, name) is not None, name
    assert {"analyze_units", "ExperimentResult", "render_html"} <= set(experiments.__all__)


def test_every_result_code_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [code.value for code in ResultCode if f"`{code.value}`" not in text]
    assert missing == []


def test_every_json_field_is_documented() -> None:
    import numpy as np

    from rastup_data.experiments.analysis import analyze_units

    text = DOC.read_text(encoding="utf-8")
    data = {"variant": np.array(["c", "t"] * 5), "y": np.arange(10.0)}
    payload = analyze_units(data, "c", ["y"]).to_dict()
    fields = set(payload) | set(payload["results"][0])
    assert sorted(f for f in fields if f"`{f}`" not in text) == []
    variant_fields = ", ".join(payload["variants"][0])
    assert f"`[{{{variant_fields}}}]`" in text


def test_result_rows_hold_members_and_write_names() -> None:
    from rastup_data.experiments.definitions import MetricRole as DefinitionRole
    from rastup_data.experiments.stats import Direction, GuardrailStatus, MetricResult, MetricRole

    # One role enum for definitions and results: a definition's role is a result's role.
    assert DefinitionRole is MetricRole
    row = MetricResult(
        metric="m",
        kind="mean",
        role="guardrail",  # type: ignore[arg-type]  # as read back from JSON
        direction="decrease",  # type: ignore[arg-type]
        variant="b",
        is_control=False,
        n=10,
        mean=1.0,
        adjusted_mean=1.0,
        guardrail="fail",  # type: ignore[arg-type]
    )
    assert row.role is MetricRole.GUARDRAIL
    assert row.direction is Direction.DECREASE
    assert row.guardrail is GuardrailStatus.FAIL
    written = row.to_dict()
    assert (written["role"], written["direction"], written["guardrail"]) == (
        "guardrail",
        "decrease",
        "fail",
    )
    assert type(written["role"]) is str
