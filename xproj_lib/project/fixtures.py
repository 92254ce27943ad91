"""Readers for the projection conformance fixtures (``reference/projection_conformance``).

Workload sentences store alignment pairs as ``[tgt_idx, src_idx]``; they become xproj ``(src, tgt)``
links here, in the same list order (the paper's heuristic depends on it).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..types import Span
from .inputs import ProjectionInput


def _load(path: Path, fmt: str) -> dict[str, Any]:
    """Read a fixture JSON file and check its format tag."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: cannot read fixture: {err}") from err
    if data.get("format") != fmt:
        raise ValueError(f"{path}: format {data.get('format')!r}, expected {fmt!r}")
    return data


def load_workload(path: Path) -> list[ProjectionInput]:
    """The sentences of a ``ref_projection_workload/v1`` file as ``ProjectionInput``s."""
    data = _load(path, "ref_projection_workload/v1")
    inputs = []
    for i, sent in enumerate(data["sentences"]):
        try:
            inputs.append(
                ProjectionInput(
                    tgt_tokens=list(sent["tgt_tokens"]),
                    src_tokens=list(sent["src_tokens"]),
                    entities=[Span(e["start_idx"], e["end_idx"], e["label"]) for e in sent["src_entities"]],
                    alignment=[(int(src), int(tgt)) for tgt, src in sent["alignments"]],
                    id=str(sent["id"]),
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{path}: sentence #{i}: {err!r}") from err
    return inputs


def load_reference(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Per method (``heuristic``, ``ngram_argmax``), the official per-sentence outputs of a
    ``ref_projection_outputs/v1`` file."""
    data = _load(path, "ref_projection_outputs/v1")
    return {name: method["sentences"] for name, method in data["methods"].items()}
