"""``rastup-data experiments``: analyse a unit table (bring your own data) and plan sample sizes.

A thin shell over ``analysis.analyze_units``, ``report.render_html`` and ``stats.power``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import click
import orjson
import pyarrow as pa

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.stats import CORRECTIONS, DEFAULT_TUNING, ExperimentResult
from rastup_data.lake.options import lake_option

__all__ = ["experiments", "parse_covariates", "parse_weights", "read_units", "render_table"]

_FORMATS = ("table", "json", "html")


def _invalid(message: str) -> RastupError:
    return RastupError(ErrorCode.EXPERIMENT_INVALID, message)


def read_units(path: Path, text_columns: Sequence[str] = ("variant",)) -> pa.Table:
    """A unit table from Parquet or CSV (``text_columns`` are read as strings in CSV)."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    if not path.is_file():
        raise _invalid(f"units file {str(path)!r} does not exist; pass a Parquet or CSV file.")
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pq.read_table(path)
        if name.endswith((".csv", ".csv.gz", ".tsv")):
            header = pa_csv.open_csv(path).schema.names
            options = pa_csv.ConvertOptions(
                column_types={c: pa.string() for c in text_columns if c in header},
                strings_can_be_null=False,
            )
            parse = pa_csv.ParseOptions(delimiter="\t" if name.endswith(".tsv") else ",")
            return pa_csv.read_csv(path, parse_options=parse, convert_options=options)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _invalid(f"cannot read units file {str(path)!r}: {exc}") from exc
    raise _invalid(f"units file {str(path)!r} must end in .parquet, .pq, .csv, .csv.gz or .tsv.")


def parse_weights(text: str | None) -> dict[str, float] | None:
    """``control=1,treatment=1`` -> {"control": 1.0, "treatment": 1.0}."""
    if not text:
        return None
    weights: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name = name.strip()
        try:
            weight = float(value)
        except ValueError:
            weight = math.nan
        if not sep or not name or not math.isfinite(weight) or weight <= 0 or name in weights:
            raise _invalid(
                f"cannot read weights {text!r}: write NAME=WEIGHT,NAME=WEIGHT with "
                "positive weights and each variant once, e.g. control=1,treatment=1."
            )
        weights[name] = weight
    return weights


def parse_covariates(pairs: Sequence[str]) -> dict[str, list[str]]:
    """``METRIC=COL`` pairs (repeatable per metric) -> {"METRIC": ["COL", ...]}."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        metric, sep, column = pair.partition("=")
        if not sep or not metric.strip() or not column.strip():
            raise _invalid(f"cannot read covariate {pair!r}: write METRIC=COLUMN.")
        out.setdefault(metric.strip(), []).append(column.strip())
    return out


def _default_metrics(table: pa.Table, exclude: set[str]) -> list[str]:
    numeric = [
        f.name
        for f in table.schema
        if f.name not in exclude
        and (
            pa.types.is_integer(f.type)
            or pa.types.is_floating(f.type)
            or pa.types.is_boolean(f.type)
        )
    ]
    if not numeric:
        raise _invalid("the units file has no numeric metric columns; pass --metric COL.")
    return numeric


def _num(value: float, digits: int = 4) -> str:
    return "–" if not math.isfinite(value) else f"{value:.{digits}g}"


def _pct(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value * 100:+.2f}%"


def render_table(result: ExperimentResult, file: IO[str] | None = None) -> None:
    """Print the analysis as rich tables (to ``file``, or stdout); unwrapped unless on a
    terminal."""
    from rich.table import Table

    from rastup_data.terminal import output_console

    console = output_console(file=file)
    style = {
        "ship": "bold green",
        "stop": "bold red",
        "continue": "bold yellow",
        "invalid": "bold magenta",
    }[result.recommendation]
    winner = f" ({result.winner})" if result.winner else ""
    console.print(f"recommendation: [{style}]{result.recommendation.upper()}{winner}[/]")
    for reason in result.reasons:
        console.print(f"  - {reason}")
    flag = "MISMATCH" if result.srm_flag else "ok"
    counts = ", ".join(f"{v.variant}={v.n}" for v in result.variants)
    console.print(f"SRM p-value {_num(result.srm_p_value, 3)} ({flag}); units: {counts}")
    console.print(f"codes: {', '.join(result.codes) or 'none'}")
    table = Table(show_lines=False)
    for column in (
        "metric",
        "variant",
        "n",
        "mean",
        "effect",
        "relative",
        "relative CI",
        "p",
        "p adj",
        "notes",
        "codes",
    ):
        table.add_column(column, justify="left" if column in ("metric", "variant") else "right")
    for r in result.results:
        notes = [n for n, on in (("control", r.is_control), ("cuped", r.cuped)) if on]
        if r.sequential and not r.is_control:
            notes.append("sequential")
        if r.guardrail:
            notes.append(f"guardrail {r.guardrail}")
        if r.significant:
            notes.append("significant")
        table.add_row(
            r.metric,
            r.variant,
            f"{r.n:,}",
            _num(r.mean),
            _num(r.effect),
            "" if r.is_control else _pct(r.relative_effect),
            "" if r.is_control else f"[{_pct(r.relative_ci_low)}, {_pct(r.relative_ci_high)}]",
            _num(r.p_value, 3),
            _num(r.p_value_adjusted, 3),
            " ".join(notes),
            " ".join(r.codes),
        )
    console.print(table)


class _ExperimentsGroup(click.Group):
    """The group's own commands plus the assignment commands, imported on first use."""

    def _assignment_commands(self) -> dict[str, click.Command]:
        from rastup_data.experiments.assign_cli import ASSIGN_COMMANDS

        return {c.name: c for c in ASSIGN_COMMANDS if c.name and c.name not in self.commands}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*self.commands, *self._assignment_commands()])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        return self._assignment_commands().get(cmd_name)


@click.group("experiments", cls=_ExperimentsGroup)
def experiments() -> None:
    """Assign and analyse experiments."""


@experiments.command("analyze")
@click.argument("key", required=False)
@click.option(
    "--units",
    "units_path",
    type=click.Path(path_type=Path),
    help="Unit table (Parquet or CSV): one row per unit with a variant column.",
)
@click.option("--control", default="control", show_default=True, help="Control variant.")
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    help="Metric column (repeatable); NAME=NUM/DEN for a ratio. Default: every "
    "numeric column that is not a covariate, guardrail or id.",
)
@click.option(
    "--guardrail",
    "guardrails",
    multiple=True,
    help="Guardrail (repeatable): COL>=-1% (must not drop > 1 %), COL<=+50 (must not rise > 50).",
)
@click.option(
    "--covariate",
    "covariates",
    multiple=True,
    help="CUPED pre-period covariate, METRIC=COL (repeatable).",
)
@click.option("--sequential", is_flag=True, help="Always-valid (anytime) inference.")
@click.option(
    "--tuning",
    type=float,
    default=DEFAULT_TUNING,
    show_default=True,
    help="Sequential tuning: total units where the sequence is tightest.",
)
@click.option("--alpha", type=float, default=0.05, show_default=True)
@click.option("--weights", help="Configured traffic weights: NAME=W,NAME=W (default: equal).")
@click.option(
    "--correction",
    type=click.Choice(CORRECTIONS),
    default="holm",
    show_default=True,
    help="Multiple-testing correction across primary metrics x variants.",
)
@click.option("--variant-column", default="variant", show_default=True)
@click.option("--unit-column", default=None, help="Unit id column; duplicates are flagged.")
@click.option(
    "--quality-flag",
    "quality_flags",
    multiple=True,
    help="Upstream data-quality flag (repeatable); blocks a ship recommendation.",
)
@click.option("--final", is_flag=True, help="The planned sample is reached (no winner -> stop).")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="table", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the output to this file instead of stdout.",
)
@lake_option(help_text="Lake root for KEY (default: $RASTUP_LAKE, else ./lake).")
@click.option(
    "--experiments-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of experiment YAML files (for KEY) [default: $RASTUP_EXPERIMENTS_DIR, "
    "else ./experiments, else the examples shipped with rastup-data].",
)
@click.option(
    "--catalog",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Metrics catalogue for KEY [default: $RASTUP_METRICS_CATALOG, else "
    "metrics/catalog.yaml beside the experiments folder].",
)
@click.option(
    "--token",
    default=None,
    help="Query-gate token for KEY (default: $RASTUP_TOKEN; none: the local admin).",
)
def analyze(
    *,
    key: str | None,
    units_path: Path | None,
    control: str,
    metrics: tuple[str, ...],
    guardrails: tuple[str, ...],
    covariates: tuple[str, ...],
    sequential: bool,
    tuning: float,
    alpha: float,
    weights: str | None,
    correction: str,
    variant_column: str,
    unit_column: str | None,
    quality_flags: tuple[str, ...],
    final: bool,
    fmt: str,
    out: Path | None,
    lake: str | None,
    experiments_dir: Path | None,
    catalog: Path | None,
    token: str | None,
) -> None:
    """Analyse an experiment: per-variant metrics, CUPED, sequential, SRM, guardrails.

    KEY analyses experiment KEY from the lake's published build with the settings of its
    definition (experiments/KEY.yaml); crossover units are excluded and counted. Give
    --units FILE instead to analyse your own unit table (KEY is then only its title).
    """
    from rastup_data.experiments.analysis import AnalysisPlan, analyze_units
    from rastup_data.experiments.stats import AnalysisOptions, parse_guardrail

    if units_path is None:
        if key is None:
            raise _invalid("nothing to analyse: give an experiment KEY, or --units FILE.")
        _analyze_from_lake(
            key,
            lake=lake,
            experiments_dir=experiments_dir,
            catalog=catalog,
            correction=correction,
            tuning=tuning,
            quality_flags=quality_flags,
            final=final,
            fmt=fmt,
            out=out,
            token=token,
        )
        return
    text_columns = [variant_column] + ([unit_column] if unit_column else [])
    table = read_units(units_path, text_columns)
    cov = parse_covariates(covariates)
    guard_specs = [parse_guardrail(g) for g in guardrails]
    if not metrics:
        used = {
            variant_column,
            *(c for cols in cov.values() for c in cols),
            *(g.column for g in guard_specs),
        }
        if unit_column:
            used.add(unit_column)
        metrics = tuple(_default_metrics(table, used))
    plan = AnalysisPlan(
        guardrails=guard_specs,
        covariates=cov,
        weights=parse_weights(weights),
        variant_column=variant_column,
        unit_column=unit_column,
        quality_flags=quality_flags,
    )
    options = AnalysisOptions(
        alpha=alpha, sequential=sequential, tuning=tuning, correction=correction, final=final
    )
    result = analyze_units(table, control, list(metrics), plan=plan, options=options)
    title = f"Experiment {key}" if key else f"Experiment analysis: {units_path.name}"
    if fmt == "html":
        from rastup_data.experiments.report import render_html

        _write_output(render_html(result, title), out)
    else:
        _emit(result, fmt, out)


#: Options of ``analyze`` that a definition sets when the experiment comes from the lake.
_DEFINITION_OPTIONS = (
    "control",
    "metrics",
    "guardrails",
    "covariates",
    "sequential",
    "alpha",
    "weights",
    "variant_column",
    "unit_column",
)


def _analyze_from_lake(
    key: str,
    *,
    lake: str | None,
    experiments_dir: Path | None,
    catalog: Path | None,
    correction: str,
    tuning: float,
    quality_flags: Sequence[str],
    final: bool,
    fmt: str,
    out: Path | None,
    token: str | None,
) -> None:
    from click.core import ParameterSource

    from rastup_data.experiments.lake import Readout, analyze_experiment, render_experiment_page
    from rastup_data.governance import QueryPath
    from rastup_data.governance.cli import caller, open_gate
    from rastup_data.lake.existing import existing_lake

    ctx = click.get_current_context()
    given = [
        name
        for name in _DEFINITION_OPTIONS
        if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)
    ]
    if given:
        flags = {p.name: p.opts[0] for p in ctx.command.params if p.opts}
        options = ", ".join(flags.get(name, name) for name in given)
        raise _invalid(
            f"{options}: experiment {key!r} takes these from its definition; edit "
            f"experiments/{key}.yaml, or export a unit table and pass --units FILE."
        )
    with open_gate(lake) as gate:
        reader = gate.connect(caller(gate, token), path=QueryPath.REPORT)
        analysis = analyze_experiment(
            existing_lake(lake),
            key,
            experiments_dir=experiments_dir,
            catalog=catalog,
            readout=Readout(
                correction=correction,
                sequential_tuning=tuning,
                quality_flags=quality_flags,
                final=final,
            ),
            reader=reader,
        )
    if fmt == "html":
        _write_output(render_experiment_page(analysis), out)
        return
    units = analysis.units
    summary = (
        f"experiment {key}: {units.units:,} units analysed of {units.exposed_units:,} exposed; "
        f"{units.crossover_units:,} crossover unit(s) excluded; lake quality flags: "
        f"{', '.join(units.quality_flags) or 'none'}"
    )
    _emit(analysis.result, fmt, out, summary)


def _emit(result: ExperimentResult, fmt: str, out: Path | None, summary: str = "") -> None:
    if fmt == "json":
        text = orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"
        _write_output(text, out)
        return
    if out is None:
        if summary:
            click.echo(summary)
        render_table(result)
        return
    with out.open("w", encoding="utf-8") as fh:
        if summary:
            fh.write(summary + "\n")
        render_table(result, fh)
    click.echo(f"wrote {out}", err=True)


def _write_output(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@experiments.command("power")
@click.option("--mde", type=float, help="Effect to detect (absolute, or relative with --relative).")
@click.option("--n", "n_per_variant", type=int, help="Units per variant (gives the MDE).")
@click.option("--std-dev", type=float, help="Unit standard deviation of the metric.")
@click.option("--baseline-rate", type=float, help="Baseline rate of a 0/1 metric (sets std-dev).")
@click.option("--baseline-mean", type=float, help="Baseline mean (for relative MDEs).")
@click.option("--relative", is_flag=True, help="The MDE is relative to the baseline mean.")
@click.option("--alpha", type=float, default=0.05, show_default=True)
@click.option("--power", "power_", type=float, default=0.8, show_default=True)
@click.option(
    "--variance-reduction",
    type=float,
    default=0.0,
    show_default=True,
    help="Fraction of variance CUPED removes (rho^2 for one covariate).",
)
def power(
    *,
    mde: float | None,
    n_per_variant: int | None,
    std_dev: float | None,
    baseline_rate: float | None,
    baseline_mean: float | None,
    relative: bool,
    alpha: float,
    power_: float,
    variance_reduction: float,
) -> None:
    """Units per variant for an MDE (--mde), or the MDE for a sample size (--n)."""
    from rastup_data.experiments.stats import (
        PowerTarget,
        minimum_detectable_effect,
        proportion_std_dev,
        sample_size_per_variant,
    )

    if baseline_rate is not None:
        std_dev = proportion_std_dev(baseline_rate)
        baseline_mean = baseline_rate if baseline_mean is None else baseline_mean
    if std_dev is None:
        raise _invalid("give --std-dev (or --baseline-rate for a 0/1 metric).")
    if (mde is None) == (n_per_variant is None):
        raise _invalid("give exactly one of --mde (to get n) or --n (to get the MDE).")
    target = PowerTarget(alpha=alpha, power=power_, variance_reduction=variance_reduction)
    if mde is not None:
        n = sample_size_per_variant(
            mde,
            std_dev,
            target=target,
            relative=relative,
            baseline_mean=baseline_mean,
        )
        payload: dict[str, object] = {"mde": mde, "relative": relative, "n_per_variant": n}
    else:
        assert n_per_variant is not None
        found = minimum_detectable_effect(
            n_per_variant,
            std_dev,
            target=target,
            relative=relative,
            baseline_mean=baseline_mean,
        )
        payload = {"n_per_variant": n_per_variant, "relative": relative, "mde": found}
    payload.update(
        {
            "std_dev": std_dev,
            "alpha": alpha,
            "power": power_,
            "variance_reduction": variance_reduction,
        }
    )
    click.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
