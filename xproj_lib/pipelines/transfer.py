"""Cross-lingual transfer to MasakhaNER2 through human parallel text (MAFAND-MT), with trained taggers.

Methods (``kind`` in the method file):
- ``model_transfer``: the source NER model (e5-small fine-tuned on English CoNLL-2003) tags the target test set.
- ``supervised``: a tagger trained on the target's gold MasakhaNER2 train split (early stopping on gold dev): the
  ceiling.
- ``projection``: the source model labels the source side of the MAFAND parallel text (English, or French for the
  six French-paired languages — the multilingual source model applied zero-shot to French); the labels are
  projected onto the target side; a target tagger is trained on the projection (early stopping on a held-out
  10% of the *projected* data, so no gold target label is used) and tagged the MasakhaNER2 test split.
Scores: seqeval micro F1 on the test split with DATE ignored (as the paper).
"""
from __future__ import annotations

import random
from typing import Any

from ..cache import cached_json
from ..datasets import get_dataset, load_ner, load_parallel
from ..display import Example
from ..evaluate import evaluate
from ..project import ProjectionInput
from ..tags import tags_to_spans
from ..types import Sentence
from ..words import split_words
from .base import CellOutcome, Timer, pick_examples, record_for, to_dataset_labels
from .components import make_aligner, make_projector, source_tagger, train_named_tagger

# MAFAND pairs without a train split: their dev+test text is the transfer corpus (not MasakhaNER2 sentences).
TRANSFER_SPLITS = ("train",)
FALLBACK_SPLITS = ("dev", "test")


def transfer_corpus(language: dict[str, Any], max_pairs: int | None) -> tuple[list[Sentence], list[Sentence], str]:
    """Word-split MAFAND source/target sentences (empty segments skipped and counted) and the splits used."""
    pair = language["datasets"]["mafand"]
    src_lang, tgt_lang = pair.split("-")
    available = get_dataset("mafand").codes("train")
    splits = TRANSFER_SPLITS if pair in available else FALLBACK_SPLITS
    pairs = [p for split in splits for p in load_parallel(src_lang, tgt_lang, split)]
    if max_pairs is not None:
        pairs = pairs[:max_pairs]
    src, tgt = [], []
    for p in pairs:
        s_words = split_words(p.src, "whitespace")
        t_words = split_words(p.tgt, language["word_split"])
        src.append(Sentence(s_words, ["O"] * len(s_words), p.id))
        tgt.append(Sentence(t_words, ["O"] * len(t_words), p.id))
    return src, tgt, "+".join(splits)


def label_source(src: list[Sentence], models: dict[str, Any]) -> list[list[str]]:
    """Source-side tags from the profile's source NER model, cached by model and text."""
    tagger, info = source_tagger(models)
    return cached_json("source-ner", {"model": info["model_dir"], "words": [s.tokens for s in src]},
                       lambda: tagger.predict([s.tokens for s in src]))


def project_corpus(cell, src: list[Sentence], tgt: list[Sentence], timer: Timer) -> tuple[list[Sentence], dict, list]:  # noqa: ANN001
    """Label, align and project the transfer corpus; returns projected target sentences, stats and examples."""
    cfg, method = cell.config, cell.config["method_params"]
    with timer("source_ner"):
        src_tags = label_source(src, cfg["models"])
    with timer("align"):
        alignments = make_aligner(method["aligner"], cfg["models"]).align([(s.tokens, t.tokens) for s, t in zip(src, tgt)])
    inputs = [ProjectionInput(t.tokens, tags_to_spans(tags), a.links, src_tokens=s.tokens, id=t.id)
              for s, t, tags, a in zip(src, tgt, src_tags, alignments)]
    with timer("project"):
        projected, statuses = make_projector(method["projection"], cfg["language"]["word_split"])(inputs)
        projected, n_relabelled = to_dataset_labels(cfg["dataset"], projected)
    n_src = sum(len(inp.entities) for inp in inputs)
    n_proj = sum(t.startswith("B-") for tags in projected for t in tags)
    stats = {"transfer_pairs": len(src), "source_entities": n_src, "projected_entities": n_proj,
             "projected_tags_outside_label_set": n_relabelled, "matcher_status": statuses,
             "words_past_encoder_limit": sum(a.dropped_src + a.dropped_tgt for a in alignments)}
    examples = [Example(s.tokens, tags, t.tokens, p, None, a.links)
                for s, t, tags, p, a in zip(src, tgt, src_tags, projected, alignments)]
    return [Sentence(t.tokens, p, t.id) for t, p in zip(tgt, projected)], stats, examples


def holdout(sentences: list[Sentence], fraction: float, seed: int) -> tuple[list[Sentence], list[Sentence]]:
    """Split off a seeded ``fraction`` of sentences as a development set."""
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    n_dev = max(1, int(len(order) * fraction))
    dev = set(order[:n_dev])
    return ([s for i, s in enumerate(sentences) if i not in dev], [s for i, s in enumerate(sentences) if i in dev])


def run(cell) -> CellOutcome:  # noqa: ANN001 - a study.Cell
    """Run one (MasakhaNER2 language, method) cell of the transfer study."""
    cfg, method = cell.config, cell.config["method_params"]
    settings, models = cfg["settings"], cfg["models"]
    timer = Timer()
    code = cfg["dataset_code"]
    with timer("load"):
        test = load_ner(cfg["dataset"], code, cfg["split"])[cfg["skip"]:][:cfg["limit"]]
    stats: dict[str, Any] = {}
    notes = ""
    examples: list[Example] = []
    kind = method["kind"]
    if kind == "model_transfer":
        with timer("source_model"):
            tagger, info = source_tagger(models)
        stats["source_model"] = info
    elif kind == "supervised":
        with timer("train"):
            train = load_ner(cfg["dataset"], code, "train", limit=settings.get("max_train_sentences"))
            dev = load_ner(cfg["dataset"], code, "dev", limit=settings.get("max_dev_sentences"))
            tagger, stats["target_model"] = train_named_tagger(method["tagger"], models, train, dev, cell.seed)
    elif kind == "projection":
        language = cfg["language"]
        if "mafand" not in language["datasets"]:
            raise ValueError(f"{language['iso639_3']}: no MAFAND-MT parallel text to transfer through")
        with timer("load"):
            src, tgt, splits = transfer_corpus(language, settings.get("max_transfer_pairs"))
        notes = f"transfer text: MAFAND-MT {language['datasets']['mafand']} {splits}"
        if language["datasets"]["mafand"].startswith("fr-"):
            notes += "; French source side labelled by the English-trained multilingual source model (zero-shot)"
        if splits != "train":
            notes += " (no MAFAND train split: dev+test text used; these are not MasakhaNER2 sentences)"
        projected, stats, examples = project_corpus(cell, src, tgt, timer)
        train, dev = holdout(projected, settings.get("projected_dev_fraction", 0.1), cell.seed or 0)
        with timer("train"):
            tagger, stats["target_model"] = train_named_tagger(method["tagger"], models, train, dev, cell.seed)
    else:
        raise ValueError(f"the transfer pipeline cannot run methods of kind {kind!r}")
    with timer("predict"):
        predicted, n_relabelled = to_dataset_labels(cfg["dataset"], tagger.predict([s.tokens for s in test]))
    metrics = evaluate([s.tags for s in test], predicted, get_dataset(cfg["dataset"]).ignore_labels)
    metrics.update(stats, predicted_tags_outside_label_set=n_relabelled)
    return CellOutcome(record_for(cell, metrics, timer, notes), pick_examples(examples))
