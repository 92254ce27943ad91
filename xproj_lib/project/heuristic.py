"""Word-alignment heuristic projection (García-Ferrero et al. 2022, as reimplemented by the thesis and the paper).

Two variants share the parameters (merge distance ``d``, ``top_k``, ``only_i``, length-ratio threshold ``thr``):

* ``"paper"`` (default; the NoDaLiDa code, method-paper §1.2): entities in the given (NER, left-to-right)
  order; aligned runs built incrementally in alignment-list order (an index touching a run's edge extends
  it, possibly extending two runs that then overlap); when merging, the previous run's end is *set* to the
  next run's end; every kept run is tagged and later entities overwrite earlier tags, which can leave an
  ``I-X`` with no ``B-X`` before it.
* ``"thesis"`` (method-thesis §3.3): entities shortest first; runs are the maximal runs of marked target
  words; a run touching an already tagged word is skipped.

``top_k`` keeps the *shortest* k runs (the thesis code; its text says longest); ``only_i`` refuses to merge a
run whose first word is aligned to the entity's first source word.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..types import Alignment, Span
from .inputs import ProjectionInput, check_alignment


@dataclass(frozen=True)
class HeuristicConfig:
    """Heuristic parameters; the defaults are the paper's (d=1, thr=0.8 strict, k=None, only_i=False)."""

    merge_distance: int = 1
    length_ratio_threshold: float | None = 0.8
    top_k: int | None = None
    only_i: bool = False
    variant: Literal["paper", "thesis"] = "paper"

    def __post_init__(self) -> None:
        if self.variant not in ("paper", "thesis"):
            raise ValueError(f"unknown heuristic variant {self.variant!r}")
        if self.merge_distance < 0 or (self.top_k is not None and self.top_k < 1):
            raise ValueError(f"invalid heuristic config {self}")


def _incremental_runs(tgt_of_src: list[list[int]], entity: Span) -> list[list[int]]:
    """The paper's run construction: walk the entity's aligned target indices in order, growing runs."""
    runs: list[list[int]] = []
    for k in range(entity.start, entity.end):
        for idx in tgt_of_src[k] if k < len(tgt_of_src) else ():
            new_run = True
            for run in runs:
                if run[0] <= idx < run[1]:
                    new_run = False
                elif idx == run[1]:
                    run[1] += 1
                    new_run = False
                elif idx == run[0] - 1:
                    run[0] -= 1
                    new_run = False
            if new_run:
                runs.append([idx, idx + 1])
    return runs


def _maximal_runs(tgt_of_src: list[list[int]], entity: Span, n_tgt: int) -> list[list[int]]:
    """The thesis's run construction: maximal runs of target words aligned to any entity word."""
    marked = [False] * (n_tgt + 1)
    for k in range(entity.start, min(entity.end, len(tgt_of_src))):
        for idx in tgt_of_src[k]:
            marked[idx] = True
    runs: list[list[int]] = []
    for i in range(n_tgt):
        if marked[i] and (i == 0 or not marked[i - 1]):
            runs.append([i, i])
        if marked[i]:
            runs[-1][1] = i + 1
    return runs


def _merge(runs: list[list[int]], distance: int, refuse_starts: set[int]) -> list[list[int]]:
    """Merge each run into the previous kept one when at most ``distance`` words lie between them."""
    ordered = sorted(runs, key=lambda run: run[0])
    merged = [list(ordered[0])]
    for run in ordered[1:]:
        if run[0] - merged[-1][1] > distance or run[0] in refuse_starts:
            merged.append(list(run))
        else:
            merged[-1][1] = run[1]
    return merged


def project_heuristic(
    n_tgt: int,
    entities: Sequence[Span],
    alignment: Alignment,
    *,
    config: HeuristicConfig = HeuristicConfig(),
) -> list[str]:
    """Project source ``entities`` onto ``n_tgt`` target words through ``(src, tgt)`` links; return IOB2 tags."""
    check_alignment(n_tgt, alignment)
    n_src = max([s for s, _ in alignment] + [e.end for e in entities], default=0) + 1
    tgt_of_src: list[list[int]] = [[] for _ in range(n_src)]
    for src, tgt in alignment:
        tgt_of_src[src].append(tgt)

    paper = config.variant == "paper"
    order = list(entities) if paper else sorted(entities, key=len)
    tags = ["O"] * n_tgt
    for entity in order:
        if paper:
            runs = _incremental_runs(tgt_of_src, entity)
        else:
            runs = _maximal_runs(tgt_of_src, entity, n_tgt)
        if config.merge_distance > 0 and runs:
            refuse = set(tgt_of_src[entity.start]) if config.only_i else set()
            runs = _merge(runs, config.merge_distance, refuse)
        if config.length_ratio_threshold is not None:
            runs = [r for r in runs if (r[1] - r[0]) / len(entity) > config.length_ratio_threshold]
        if config.top_k is not None:
            runs = sorted(runs, key=lambda r: r[1] - r[0])[: config.top_k]
        for start, end in runs:
            if not paper and any(tag != "O" for tag in tags[start:end]):
                continue
            tags[start] = f"B-{entity.label}"
            for i in range(start + 1, end):
                tags[i] = f"I-{entity.label}"
    return tags


def project_heuristic_batch(
    inputs: Sequence[ProjectionInput], *, config: HeuristicConfig = HeuristicConfig()
) -> list[list[str]]:
    """``project_heuristic`` over a list of sentences."""
    return [
        project_heuristic(len(inp.tgt_tokens), inp.entities, inp.alignment, config=config) for inp in inputs
    ]
