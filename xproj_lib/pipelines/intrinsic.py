"""The intrinsic projection experiment (paper protocol on Europarl NER): gold English entities are projected onto
the gold target sentences, and the projected tags are scored against the gold target tags."""
from __future__ import annotations

from ..datasets import get_dataset, load_ner
from ..display import Example
from ..evaluate import evaluate
from ..project import ProjectionInput
from ..records import ResultRecord
from ..tags import tags_to_spans
from ..types import Sentence
from .base import CellOutcome, Timer, pick_examples, to_dataset_labels
from .components import make_aligner, make_projector

SOURCE_LANGUAGE = "en"


def parallel_sentences(dataset: str, code: str, split: str, limit: int | None) -> tuple[list[Sentence], list[Sentence]]:
    """The English and target sides of a parallel NER dataset; unequal lengths are an error."""
    src = load_ner(dataset, SOURCE_LANGUAGE, split, limit=limit)
    tgt = load_ner(dataset, code, split, limit=limit)
    if len(src) != len(tgt):
        raise ValueError(f"{dataset}: {len(src)} English but {len(tgt)} {code} sentences in {split}: not parallel")
    return src, tgt


def run(cell) -> CellOutcome:  # noqa: ANN001 - a study.Cell
    """Align, project and evaluate one (dataset, target language, method) cell."""
    cfg = cell.config
    method = cfg["method_params"]
    timer = Timer()
    with timer("load"):
        src, tgt = parallel_sentences(cfg["dataset"], cfg["dataset_code"], cfg["split"], cfg["limit"])
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
    record = ResultRecord(dataset=cell.dataset, language=cell.language, method=cell.method, config=cfg,
                          config_hash=cell.hash, metrics=metrics, timings=dict(timer))
    examples = [Example(s.tokens, s.tags, t.tokens, p, t.tags, a.links)
                for s, t, p, a in zip(src, tgt, predicted, alignments)]
    return CellOutcome(record, pick_examples(examples))
