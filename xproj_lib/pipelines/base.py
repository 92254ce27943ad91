"""What every pipeline returns, and the small helpers they share (timing, output labels, examples)."""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..datasets import get_dataset
from ..display import Example
from ..tags import restrict_labels
from ..records import ResultRecord


@dataclass
class CellOutcome:
    """A cell's result record and a few examples for the notebook to show."""

    record: ResultRecord
    examples: list[Example] = field(default_factory=list)


class Timer(dict):
    """Wall-clock seconds per named stage: ``with timer("align"): ...``."""

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self[stage] = self.get(stage, 0.0) + time.perf_counter() - start


def record_for(cell, metrics: dict, timings: dict[str, float], notes: str = "") -> ResultRecord:  # noqa: ANN001
    """The ``ok`` result record of a study cell."""
    return ResultRecord(dataset=cell.dataset, language=cell.language, method=cell.method, config=cell.config,
                        config_hash=cell.hash, seed=cell.seed, metrics=metrics, timings=dict(timings), notes=notes)


def to_dataset_labels(dataset: str, tags: Sequence[Sequence[str]]) -> tuple[list[list[str]], int]:
    """Map predicted classes the dataset does not annotate (e.g. MISC on MasakhaNER2) to O; count the tags changed."""
    labels = set(get_dataset(dataset).labels)
    out, changed = [], 0
    for sentence in tags:
        kept, n = restrict_labels(sentence, output_labels=labels)
        out.append(kept)
        changed += n
    return out, changed


def pick_examples(candidates: Sequence[Example], n: int = 4) -> list[Example]:
    """The first ``n`` examples that have an entity on either side and at most 30 words."""
    chosen = [ex for ex in candidates
              if len(ex.tgt_tokens) <= 30 and any(t != "O" for t in ex.src_tags + ex.pred_tags)]
    return chosen[:n]
