"""The analysis notebooks run against a simulated lake, and are committed without outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"
NAMES = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


def _texts(notebook: Any) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output["text"])
            elif "data" in output:
                parts.append(output["data"].get("text/plain", ""))
    return "\n".join(parts)


def test_there_are_the_three_analyses() -> None:
    assert {"experiment_readout", "funnel_by_city", "payout_reconciliation"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebooks_carry_no_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: strip the outputs before committing"
            assert cell.execution_count is None, name
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: one cell tagged `parameters` holds LAKE"
    assert "LAKE = None" in tagged[0].source


EXPECTED = {
    "experiment_readout": ("narrower with CUPED", "always_valid_low"),
    "funnel_by_city": ("the recount equals gold.kpi_funnel_daily", "highest impression-to-booking"),
    "payout_reconciliation": ("0 that do not balance", "money not attached to any booking: 0"),
}


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_against_the_simulated_lake(name: str, built_lake: Any) -> None:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    at = next(i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", []))
    notebook.cells.insert(at + 1, new_code_cell(f"LAKE = {str(built_lake.root)!r}"))
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError, with the cell, on any failing cell
    text = _texts(notebook)
    for phrase in EXPECTED.get(name, ()):
        assert phrase in text, (name, phrase)
