"""An experiment from the lake: its unit table read through the query gate, its analysis
with the definition's settings, and its report page.

The unit table itself is built in :mod:`rastup_data.experiments.unit_table` (re-exported
here). See ``docs/experiments-lake.md``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from rastup_data.experiments.catalog import MetricCatalog, load_catalog
from rastup_data.experiments.definitions import Experiment, load_experiments
from rastup_data.experiments.home import find_definitions, find_experiments_dir
from rastup_data.experiments.unit_table import (
    CROSSOVER_FLAG_SHARE,
    LakeReader,
    LakeUnitTable,
    QualityFlag,
    build_unit_table,
    invalid_experiment,
)
from rastup_data.lake.layout import LakeLayout

if TYPE_CHECKING:
    from rastup_data.experiments.stats import ExperimentResult

__all__ = [
    "CROSSOVER_FLAG_SHARE",
    "LakeAnalysis",
    "LakeReader",
    "LakeUnitTable",
    "QualityFlag",
    "Readout",
    "analyze_experiment",
    "build_unit_table",
    "experiment_report_html",
    "load_experiment",
    "load_unit_table",
    "render_experiment_page",
]


@dataclass(frozen=True, slots=True)
class LakeAnalysis:
    """An analysed experiment: the engine's result (with lake meta) and its unit table."""

    result: ExperimentResult
    units: LakeUnitTable

    @property
    def title(self) -> str:
        return f"Experiment {self.units.experiment.key}"


def load_experiment(
    key: str,
    experiments_dir: str | Path | None = None,
    catalog: MetricCatalog | str | Path | None = None,
) -> tuple[Experiment, MetricCatalog]:
    """The validated definition of ``key`` and the catalogue it names metrics from.

    The folder and catalogue default as :mod:`rastup_data.experiments.home` says.
    """
    if isinstance(catalog, MetricCatalog):
        folder = find_experiments_dir(experiments_dir)[0]
    else:
        home = find_definitions(experiments_dir, catalog)
        folder, catalog = home.experiments_dir, load_catalog(home.catalog)
    experiments = load_experiments(folder, catalog)
    if key not in experiments:
        known = ", ".join(sorted(e.key for e in experiments)) or "none"
        raise invalid_experiment(
            f"unknown experiment {key!r}: define {folder / (key + '.yaml')} or use one of: "
            f"{known} (or analyse your own unit table with --units FILE)."
        )
    return experiments.get(key), catalog


def load_unit_table(
    layout: LakeLayout,
    key: str,
    *,
    experiments_dir: str | Path | None = None,
    catalog: MetricCatalog | str | Path | None = None,
    reader: LakeReader | None = None,
) -> LakeUnitTable:
    """The unit table of experiment ``key`` from the lake's published build.

    Every query goes through the query gate as a ``report``: as ``reader`` (a
    ``GatedConnection`` of the requesting principal), else as the local admin.
    """
    experiment, metrics = load_experiment(key, experiments_dir, catalog)
    with _reader(layout, reader) as conn:
        return build_unit_table(conn, experiment, metrics)


@contextmanager
def _reader(layout: LakeLayout, reader: LakeReader | None) -> Iterator[LakeReader]:
    if reader is not None:
        yield reader
        return
    from rastup_data.governance import Gate, QueryPath, local_principal

    with Gate.open(layout.root) as gate:
        yield gate.connect(local_principal(), path=QueryPath.REPORT)


@dataclass(frozen=True, slots=True)
class Readout:
    """What a reader of an experiment may choose beyond its definition: the multiple-testing
    ``correction``, the sequential mixture's tuning (None: the default), data-quality flags
    to add to the lake's own, and whether the planned sample is reached (``final``)."""

    correction: str = "holm"
    sequential_tuning: float | None = None
    quality_flags: Sequence[str] = ()
    final: bool = False


def analyze_experiment(
    layout: LakeLayout,
    key: str,
    *,
    experiments_dir: str | Path | None = None,
    catalog: MetricCatalog | str | Path | None = None,
    readout: Readout = Readout(),
    reader: LakeReader | None = None,
) -> LakeAnalysis:
    """Analyse experiment ``key`` from the lake with its definition's settings.

    Weights, alpha, sequential mode, roles, guardrail margins and CUPED covariates come from
    the definition; the ``readout`` adds the reader's choices.
    """
    units = load_unit_table(
        layout, key, experiments_dir=experiments_dir, catalog=catalog, reader=reader
    )
    # The statistics stack loads slowly: only once the experiment and its data exist (an
    # unknown key answers at once, e.g. a 404 from the collector's report page).
    from rastup_data.experiments.analysis import AnalysisPlan, analyze_units
    from rastup_data.experiments.stats import DEFAULT_TUNING, AnalysisOptions

    experiment = units.experiment
    extra = [f for f in readout.quality_flags if f not in units.quality_flags]
    flags = list(units.quality_flags) + extra
    plan = AnalysisPlan(
        weights={v.name: float(v.weight) for v in experiment.variants},
        variant_column="variant",
        unit_column="unit_id",
        quality_flags=flags,
    )
    options = AnalysisOptions(
        alpha=experiment.alpha,
        sequential=experiment.sequential,
        tuning=DEFAULT_TUNING if readout.sequential_tuning is None else readout.sequential_tuning,
        correction=readout.correction,
        final=readout.final,
    )
    result = analyze_units(
        units.table, experiment.control, list(units.specs), plan=plan, options=options
    )
    meta = {**result.meta, **units.meta()}
    return LakeAnalysis(replace(result, meta=meta), units)


def experiment_report_html(
    layout: LakeLayout,
    key: str,
    *,
    experiments_dir: str | Path | None = None,
    catalog: MetricCatalog | str | Path | None = None,
    reader: LakeReader | None = None,
) -> str:
    """The HTML report page of experiment ``key`` (served at ``GET /experiments/{key}``)."""
    analysis = analyze_experiment(
        layout, key, experiments_dir=experiments_dir, catalog=catalog, reader=reader
    )
    return render_experiment_page(analysis)


def render_experiment_page(analysis: LakeAnalysis) -> str:
    """The engine's HTML report with a section on the experiment and its unit table."""
    from rastup_data.experiments.report import render_html

    page = render_html(analysis.result, analysis.title)
    section = _lake_section(analysis.units)
    if "</h1>" in page:
        return page.replace("</h1>", "</h1>" + section, 1)
    return page.replace("<body>", "<body>" + section, 1)


def _lake_section(units: LakeUnitTable) -> str:
    experiment = units.experiment
    meta = units.meta()
    pre = meta["pre_period"]
    rows = [
        ("owner", experiment.owner),
        ("unit", experiment.unit.value),
        ("variants", ", ".join(f"{v.name} ({v.weight})" for v in experiment.variants)),
        ("exposed units", f"{units.exposed_units:,}"),
        ("analysed units", f"{units.units:,}"),
        ("crossover units (excluded)", f"{units.crossover_units:,}"),
        ("units with an unknown variant (excluded)", f"{units.unknown_variant_units:,}"),
        ("units exposed outside the run", f"{units.outside_run_units:,}"),
        ("units whose window is not over yet", f"{units.incomplete_window_units:,}"),
        ("analysis start", meta["analysis_start"] or "–"),
        ("CUPED pre-period", f"{pre['start']} to {pre['end']}" if pre else "none"),
        ("data up to", meta["as_of"] or "–"),
    ]
    table = "".join(f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in rows)
    flags = ", ".join(units.quality_flags) or "none"
    return (
        f"<p class='muted'>{escape(experiment.description)}</p>"
        "<h2>Units from the lake</h2>"
        f"<table class='lake'>{table}</table>"
        f"<p>Lake quality flags: {escape(flags)}</p>"
    )
