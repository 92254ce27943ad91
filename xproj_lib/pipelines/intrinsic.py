"""The intrinsic projection experiment (paper protocol on Europarl NER): gold English entities are projected onto
the gold target sentences, and the projected tags are scored against the gold target tags."""
from __future__ import annotations

from ..datasets import get_dataset, load_parallel_ner
from ..display import Example
from ..evaluate import evaluate
from ..project import ProjectionInput
from ..tags import tags_to_spans
from .base import CellOutcome, Timer, pick_examples, record_for, to_dataset_labels
from .components import make_aligner, make_projector

SOURCE_LANGUAGE = "en"


def run(cell) -> CellOutcome:  # noqa: ANN001 - a study.Cell
    """Align, project and evaluate one (dataset, target language, method) cell."""
    cfg = cell.config
    method = cfg["method_params"]
    timer = Timer()
    with timer("load"):
        pairs = load_parallel_ner(cfg["dataset"], SOURCE_LANGUAGE, cfg["dataset_code"], cfg["split"])
        pairs = pairs[cfg["skip"]:][:cfg["limit"]]
        src, tgt = [s for s, _ in pairs], [t for _, t in pairs]
        entities = [tags_to_spans(s.tags) for s in src]
    with timer("align"):
        aligner = make_aligner(method["aligner"], cfg["models"])
        alignments = aligner.align([(s.tokens, t.tokens) for s, t in zip(src, tgt)])
    inputs = [ProjectionInput(t.tokens, ents, a.links, src_tokens=s.tokens, id=t.id)
              for s, t, ents, a in zip(src, tgt, entities, alignments)]
    with timer("project"):
        projected, statuses = make_projector(method["projection"], cfg["language"]["word_split"])(inputs)
        predicted, n_relabelled = to_dataset_labels(cfg["dataset"], projected)
    metrics = evaluate([t.tags for t in tgt], predicted, get_dataset(cfg["dataset"]).ignore_labels)
    metrics["matcher_status"] = statuses
    metrics["tags_outside_label_set"] = n_relabelled
    metrics["words_past_encoder_limit"] = sum(a.dropped_src + a.dropped_tgt for a in alignments)
    record = record_for(cell, metrics, timer)
    examples = [Example(s.tokens, s.tags, t.tokens, p, t.tags, a.links)
                for s, t, p, a in zip(src, tgt, predicted, alignments)]
    return CellOutcome(record, pick_examples(examples))
