"""Experiments: definitions, assignment and exposure, and the statistics that read them out.

Importing this package is cheap; the analysis entry points load numpy, scipy and pyarrow
only when first used::

    from rastup_data.experiments import analyze_units, ExperimentResult
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rastup_data.experiments.analysis import analyze_units as analyze_units
    from rastup_data.experiments.report import render_html as render_html
    from rastup_data.experiments.stats import ExperimentResult as ExperimentResult
    from rastup_data.experiments.stats import MetricResult as MetricResult
    from rastup_data.experiments.stats import MetricSpec as MetricSpec

__all__ = ["ExperimentResult", "MetricResult", "MetricSpec", "analyze_units", "render_html"]

_LAZY = {
    "analyze_units": "rastup_data.experiments.analysis",
    "render_html": "rastup_data.experiments.report",
    "ExperimentResult": "rastup_data.experiments.stats",
    "MetricResult": "rastup_data.experiments.stats",
    "MetricSpec": "rastup_data.experiments.stats",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
