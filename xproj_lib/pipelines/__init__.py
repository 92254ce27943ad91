"""Pipelines: one function per study protocol that runs a cell and returns its record and examples."""
from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from .base import CellOutcome

# protocol name (a profile's ``datasets.<name>.pipeline``) -> module with ``run(cell) -> CellOutcome``
PIPELINES = {
    "intrinsic": "xproj_lib.pipelines.intrinsic",
    "transfer": "xproj_lib.pipelines.transfer",
    "translate_test": "xproj_lib.pipelines.translate_test",
}

# pipelines that read the profile's source NER model (``models.source_ner``) and its ``settings``; the other
# pipelines' cells leave both out of their configuration, so changing them does not rerun those cells
TRANSFER_PIPELINES = frozenset({"transfer"})


def run_cell(cell) -> CellOutcome:  # noqa: ANN001 - a study.Cell
    """Run a study cell with the pipeline its dataset plan names."""
    name = cell.config["pipeline"]
    if name not in PIPELINES:
        raise ValueError(f"unknown pipeline {name!r} (known: {sorted(PIPELINES)})")
    runner: Callable[..., CellOutcome] = import_module(PIPELINES[name]).run
    return runner(cell)
