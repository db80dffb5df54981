"""The stats package loads its modules on first use: definitions do not pull in scipy."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rastup_data.experiments import stats


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "statement",
    [
        "import rastup_data.experiments.definitions",
        "import rastup_data.registry_site.lake_site",
        "from rastup_data.experiments.stats import MetricRole, Direction",
    ],
)
def test_reading_definitions_does_not_import_scipy_or_numpy(statement: str) -> None:
    loaded = _modules_after(statement)
    assert "scipy" not in loaded
    assert "numpy" not in loaded


def test_every_public_name_resolves_to_its_modules_object() -> None:
    from rastup_data.experiments.stats import guardrails, spec

    for name in stats.__all__:
        assert getattr(stats, name) is not None
    assert stats.Direction is guardrails.Direction
    assert stats.MetricRole is spec.MetricRole
    # Asking for the analysis loads what it needs.
    assert "scipy" in _modules_after("from rastup_data.experiments.stats import analyze_metric")
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = stats.nope  # type: ignore[attr-defined]
