"""`rastup-data experiments analyze|power` through the real CLI on CSV and Parquet files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from rastup_data.cli import cli


def _table(
    n: int = 3000, seed: int = 0, labels: tuple[str, str] = ("control", "treatment")
) -> pa.Table:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    pre = rng.gamma(2.0, 3.0, n)
    return pa.table(
        {
            "unit_id": [f"u{i}" for i in range(n)],
            "variant": np.array(labels)[arm],
            "orders": 1.0 + 0.8 * pre + rng.normal(0, 1.0, n) + 0.4 * arm,
            "orders_pre": pre,
            "converted": (rng.random(n) < 0.3).astype(np.int64),
            "sessions": rng.poisson(3.0, n) + 1,
        }
    )


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "units.csv"
    pa_csv.write_csv(_table(), path)
    return path


@pytest.fixture
def parquet_file(tmp_path: Path) -> Path:
    path = tmp_path / "units.parquet"
    pq.write_table(_table(seed=1), path)
    return path


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["experiments", *args], catch_exceptions=False)


def test_json_output_from_csv(csv_file: Path) -> None:
    result = _run(
        "analyze",
        "--units",
        str(csv_file),
        "--metric",
        "orders",
        "--metric",
        "converted",
        "--metric",
        "ops=orders/sessions",
        "--covariate",
        "orders=orders_pre",
        "--guardrail",
        "sessions>=-10%",
        "--format",
        "json",
        "--unit-column",
        "unit_id",
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["control"] == "control"
    assert {"srm_p_value", "srm_flag", "recommendation", "codes", "results"} <= set(payload)
    rows = {(r["metric"], r["variant"]): r for r in payload["results"]}
    assert set(rows) == {
        (m, v) for m in ("orders", "converted", "ops", "sessions") for v in ("control", "treatment")
    }
    table = pa_csv.read_csv(csv_file)
    treated = np.asarray(table["variant"].to_pylist()) == "treatment"
    assert rows[("orders", "treatment")]["n"] == int(treated.sum())
    assert rows[("orders", "treatment")]["cuped"] is True
    assert rows[("converted", "treatment")]["kind"] == "proportion"
    assert rows[("ops", "treatment")]["kind"] == "ratio"
    assert rows[("sessions", "treatment")]["guardrail"] in {"pass", "fail", "inconclusive"}
    assert rows[("orders", "treatment")]["p_value"] < 0.001


def test_parquet_json_to_file_with_weights_and_sequential(
    parquet_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "result.json"
    result = _run(
        "analyze",
        "--units",
        str(parquet_file),
        "--metric",
        "orders",
        "--sequential",
        "--alpha",
        "0.1",
        "--weights",
        "control=1,treatment=1",
        "--format",
        "json",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["sequential"] is True
    assert payload["alpha"] == 0.1
    assert all(r["sequential"] for r in payload["results"])
    assert [v["weight"] for v in payload["variants"]] == [0.5, 0.5]


def test_numeric_variant_labels_in_csv_are_labels(tmp_path: Path) -> None:
    path = tmp_path / "numeric.csv"
    pa_csv.write_csv(_table(labels=("0", "1")), path)
    result = _run(
        "analyze", "--units", str(path), "--control", "0", "--metric", "orders", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    assert {r["variant"] for r in json.loads(result.stdout)["results"]} == {"0", "1"}


def test_default_metrics_are_the_numeric_columns(csv_file: Path) -> None:
    result = _run(
        "analyze", "--units", str(csv_file), "--covariate", "orders=orders_pre", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    metrics = {r["metric"] for r in json.loads(result.stdout)["results"]}
    assert metrics == {"orders", "converted", "sessions"}


def test_html_report_is_written_and_self_contained(parquet_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = _run(
        "analyze",
        "exp_checkout",
        "--units",
        str(parquet_file),
        "--metric",
        "orders",
        "--covariate",
        "orders=orders_pre",
        "--format",
        "html",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "Experiment exp_checkout" in html
    assert "<svg" in html
    assert "<style>" in html
    for external in ("<script", "<link", "src=", "@import", "https://"):
        assert external not in html


def test_table_output(csv_file: Path) -> None:
    result = _run("analyze", "--units", str(csv_file), "--metric", "orders")
    assert result.exit_code == 0, result.output
    assert "recommendation:" in result.stdout
    assert "treatment" in result.stdout
    assert "SRM p-value" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--metric", "missing_col"], "no metric column 'missing_col'"),
        (["--control", "nobody"], "unknown control 'nobody'"),
        (["--weights", "control=1"], "do not list"),
        (["--weights", "control=1,treatment=abc"], "cannot read weights"),
        (["--weights", "control=1,treatment=-1"], "cannot read weights"),
        (["--covariate", "orders"], "cannot read covariate"),
        (["--covariate", "orders=nope"], "no covariate column 'nope'"),
        (["--guardrail", "sessions>1%"], "cannot read guardrail"),
        (["--alpha", "2"], "alpha"),
        (["--metric", "unit_id"], "must be numeric"),
    ],
)
def test_input_errors_are_coded(csv_file: Path, args: list[str], fragment: str) -> None:
    result = _run("analyze", "--units", str(csv_file), *args)
    assert result.exit_code == 2
    assert "EXPERIMENT_INVALID" in result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.output


def test_key_without_a_lake_and_bad_files_are_coded(tmp_path: Path) -> None:
    # A KEY alone is read from the lake's exposures: a lake that is not there says so.
    result = _run("analyze", "exp_checkout", "--lake", str(tmp_path / "no-lake"))
    assert result.exit_code == 2
    assert "LAKE_NOT_FOUND" in result.stderr
    assert str(tmp_path / "no-lake") in result.stderr
    assert not (tmp_path / "no-lake").exists()
    assert "EXPERIMENT_INVALID" in _run("analyze").stderr
    assert "does not exist" in _run("analyze", "--units", str(tmp_path / "x.csv")).stderr
    bad = tmp_path / "units.json"
    bad.write_text("{}")
    assert "must end in" in _run("analyze", "--units", str(bad)).stderr
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    assert "cannot read units file" in _run("analyze", "--units", str(broken)).stderr


def test_power_command() -> None:
    result = _run("power", "--baseline-rate", "0.1", "--mde", "0.05", "--relative")
    assert result.exit_code == 0, result.output
    n = json.loads(result.stdout)["n_per_variant"]
    # (z_.975 + z_.8)^2 * 2 * 0.09 / 0.005^2
    assert n == int(np.ceil((1.959963985 + 0.841621234) ** 2 * 2 * 0.09 / 0.005**2))
    back = _run("power", "--baseline-rate", "0.1", "--n", str(n), "--relative")
    assert json.loads(back.stdout)["mde"] == pytest.approx(0.05, rel=1e-3)
    missing = _run("power", "--mde", "0.1")
    assert missing.exit_code == 2
    assert "EXPERIMENT_INVALID" in missing.stderr


def test_html_report_renders_degenerate_results() -> None:
    from rastup_data.experiments.analysis import AnalysisPlan, analyze_units
    from rastup_data.experiments.report import render_html

    data = {"variant": np.array(["c", "c", "t"]), "y": np.array([1.0, 1.0, 5.0])}
    result = analyze_units(
        data, "c", ["y"], plan=AnalysisPlan(weights={"c": 1.0, "t": 1.0, "u": 1.0})
    )
    html = render_html(result, "Degenerate <test>")
    assert "Degenerate &lt;test&gt;" in html
    assert "EMPTY_VARIANT" in html
    assert "TOO_FEW_UNITS" in html
    assert "CONTINUE" in html  # too few units for SRM to flag; the empty variant blocks
    assert "nan" not in html.lower().replace("nanoseconds", "")
