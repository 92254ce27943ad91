"""The paper's translate-test protocol (method-paper §1) on MasakhaNER2 and PAN-X, one cell per method.

The gold target sentence is detokenised (Treebank; plain concatenation for ``chars``/``jieba``
languages) and translated into English with NLLB; the translation is word-split and labelled by the
English NER model; for ``direction: tgt2tgt`` the English words and entities are back-translated into
the target language with EasyProject markers. The entities are then projected onto the gold target
tokens over a word alignment (source side ↔ gold target tokens), mapped to the dataset's label set
(MISC is kept through projection and dropped here) and scored with seqeval (DATE ignored on
MasakhaNER2). ``kind: model_transfer`` runs the same NER model on the gold target tokens instead;
``kind: ensemble`` averages the two (Ebing & Glavaš 2025): the English word probabilities carried onto the
target words over the alignment, and model transfer's on the target words, decoded by constrained Viterbi.

Projections (a method's ``projection`` block): ``heuristic`` and ``candidates`` (``ngram`` = the
paper's "dummy", ``ner`` = NER-model spans on the target tokens; greedy or ILP) as in
:func:`components.make_projector`, and ``preset`` = a thesis scoring pipeline (alignment, NER and
translation-probability scores and their fusion, :func:`xproj_lib.project.build_preset`).

Every intermediate artefact is cached by content, so the methods of one language share it: translations
and translation probabilities (:mod:`xproj_lib.translate`), English and target NER outputs
(``cached_json("translate-test-ner", …)``) and alignments (the aligner's own cache). Models are loaded
only on a cache miss. Model names resolve through
:func:`components.model_path` (folder or hub id; offline, a missing hub model raises
:class:`xproj_lib.models.ModelUnavailableError`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from functools import lru_cache
from typing import Any

import numpy as np

from ..models import model_fingerprint
from ..cache import cached_json
from ..datasets import get_dataset, load_ner
from ..display import Example
from ..easyproject import EasyProject
from ..ensemble import ensemble_proba, project_proba, viterbi_iob2
from ..human_translation import HumanTranslator, is_human
from ..evaluate import evaluate
from ..ner import TransformersTagger
from ..project import PRESETS, ProjectionInput, WordProbs
from ..tags import spans_to_tags, tags_to_spans
from ..translate import Decoding, nmt_pair_scorer
from ..types import Span
from ..words import detokenize, split_words
from .base import CellOutcome, Timer, pick_examples, record_for, to_dataset_labels
from .components import (ENGLISH, SOURCE_MODEL, Projector, make_aligner, make_projector, make_translator,
                         model_path, source_model_weights, source_tagger)



@lru_cache(maxsize=2)
def _tagger(path: str, batch_size: int, max_length: int) -> TransformersTagger:
    """A token-classification tagger, loaded once per process."""
    return TransformersTagger(path, batch_size=batch_size, max_length=max_length)


def tag(spec: dict[str, Any], sentences: Sequence[Sequence[str]], output: str,
        models: dict[str, Any] | None = None) -> Any:
    """The NER model's ``tags`` (IOB2 per word) or ``proba`` (``{"labels", "probs"}``) for ``sentences``,
    cached by model and words; the model is loaded only on a miss. ``model: source-ner`` is the profile's
    trained source model (``models.source_ner``, the offline English tagger)."""
    if spec["model"] == SOURCE_MODEL:
        if not models or "source_ner" not in models:
            raise ValueError("ner model 'source-ner' needs the profile's source_ner block")
        path = str(source_tagger(models)[1]["model_dir"])
    else:
        path = model_path(spec["model"])
    batch_size, max_length = int(spec.get("batch_size", 32)), int(spec.get("max_length", 512))
    words = [list(s) for s in sentences]

    def compute() -> Any:
        tagger = _tagger(path, batch_size, max_length)
        if output == "tags":
            return tagger.predict(words)
        return {"labels": tagger.labels, "probs": [p.tolist() for p in tagger.predict_proba(words)]}

    if output not in ("tags", "proba"):
        raise ValueError(f"unknown tagger output {output!r}")
    key = {"model": model_fingerprint(path), "max_length": max_length, "output": output, "words": words}
    return cached_json("translate-test-ner", key, compute)


def english_side(cfg: dict[str, Any], tokens: list[list[str]], timer: Timer
                 ) -> tuple[list[list[str]], list[list[Span]], dict[str, Any]]:
    """Forward translation into English, English words and their predicted entities."""
    language, models = cfg["language"], cfg["models"]
    with timer("translate"):
        if is_human(models["translator"]):  # MAFAND's human translations (run() kept the sentences that have one)
            human = HumanTranslator.for_language(language)
            english = human.lookup(tokens)
            if any(e is None for e in english):
                raise ValueError("a sentence without a human translation reached the English side")
            stats = {"forward_translation": {"source": human.source, **human.stats}}
        else:
            translator, decoding = make_translator(models["translator"])
            texts = [detokenize(t, language["word_split"]) for t in tokens]
            english = translator.translate(texts, language["nllb"], ENGLISH, decoding)
            stats = {"forward_translation": asdict(translator.stats)}
        words = [split_words(text, "whitespace") for text in english]
    with timer("source_ner"):
        entities = [tags_to_spans(t) for t in tag(models["ner"], words, "tags", models)]
    return words, entities, stats


def back_translation(cfg: dict[str, Any], words: list[list[str]], entities: list[list[Span]], timer: Timer
                     ) -> tuple[list[list[str]], list[list[Span]], dict[str, Any]]:
    """EasyProject back-translation of the English words and entities into the target language."""
    language, spec = cfg["language"], dict(cfg["models"]["backtranslator"])
    options = {k: spec.pop(k) for k in ("match", "unmatched", "threshold") if k in spec}
    entity_max_length = spec.pop("entity_max_length", Decoding().max_length)
    with timer("backtranslate"):
        translator, decoding = make_translator(spec)
        easy = EasyProject(translator, sentence_decoding=decoding,
                           entity_decoding=Decoding(entity_max_length, decoding.num_beams), **options)
        results, markers = easy.back_translate(words, entities, ENGLISH, language["nllb"], language["word_split"])
    stats = {"back_translation": asdict(translator.stats), "markers": asdict(markers)}
    return [r.words for r in results], [r.entities for r in results], stats


def projector_for(cfg: dict[str, Any], src_code: str) -> tuple[Projector, Any]:
    """The method's projector and, for presets with a translation score, the translator it uses."""
    projection = cfg["method_params"]["projection"]
    if projection["name"] != "preset":
        return make_projector(projection, cfg["language"]["word_split"]), None
    if projection["preset"] not in PRESETS:
        raise ValueError(f"unknown scoring preset {projection['preset']!r}; known: {sorted(PRESETS)}")
    scorer, translator = None, None
    if PRESETS[projection["preset"]].nmt:
        if "nmt_score" not in cfg["models"]:
            raise ValueError(f"preset {projection['preset']!r} needs a translation model (models.nmt_score)")
        translator, _ = make_translator(cfg["models"]["nmt_score"])
        scorer = nmt_pair_scorer(translator, src_code, cfg["language"]["nllb"])
    return make_projector(projection, cfg["language"]["word_split"], scorer), translator


def needs_ner(projection: dict[str, Any]) -> tuple[bool, bool]:
    """Whether a projection needs target NER spans (candidates) and target NER probabilities (scores)."""
    spans = projection.get("candidates") == "ner"
    preset = PRESETS.get(projection.get("preset", "")) if projection["name"] == "preset" else None
    return spans, bool(preset and (preset.ner or preset.ner_spans))


def project(cfg: dict[str, Any], tokens: list[list[str]], timer: Timer
            ) -> tuple[list[list[str]], dict[str, Any], list[Example]]:
    """Translate, label, (back-translate), align and project one language's test sentences."""
    method, models = cfg["method_params"], cfg["models"]
    direction = method.get("direction", "src2tgt")
    if direction not in ("src2tgt", "tgt2tgt"):
        raise ValueError(f"method {cfg['method']!r}: direction must be src2tgt or tgt2tgt, got {direction!r}")
    if direction == "tgt2tgt" and is_human(models["translator"]):
        raise ValueError(f"method {cfg['method']!r} needs an EasyProject machine back-translation of the English "
                         "entities; with human translations there is none")
    src_words, src_entities, stats = english_side(cfg, tokens, timer)
    src_code = ENGLISH
    if direction == "tgt2tgt":
        src_words, src_entities, bt_stats = back_translation(cfg, src_words, src_entities, timer)
        stats.update(bt_stats)
        src_code = cfg["language"]["nllb"]
    alignments = None
    if "aligner" in method:
        with timer("align"):
            alignments = make_aligner(method["aligner"], models).align(list(zip(src_words, tokens)))
        stats["words_past_encoder_limit"] = sum(a.dropped_src + a.dropped_tgt for a in alignments)
    want_spans, want_probs = needs_ner(method["projection"])
    ner_spans: list[list[Span] | None] = [None] * len(tokens)
    ner_probs: list[WordProbs | None] = [None] * len(tokens)
    with timer("target_ner"):
        if want_spans:
            ner_spans = [tags_to_spans(t) for t in tag(models["ner"], tokens, "tags", models)]
        if want_probs:
            proba = tag(models["ner"], tokens, "proba", models)
            labels = tuple(proba["labels"])
            ner_probs = [WordProbs(np.asarray(p, dtype=np.float64).reshape(-1, len(labels)), labels)
                         for p in proba["probs"]]
    links = [a.links for a in alignments] if alignments is not None else [[] for _ in tokens]
    inputs = [ProjectionInput(t, e, al, src_tokens=w, ner_spans=ns, ner_probs=npr)
              for t, e, al, w, ns, npr in zip(tokens, src_entities, links, src_words, ner_spans, ner_probs)]
    with timer("project"):
        projector, scorer_model = projector_for(cfg, src_code)
        projected, stats["matcher_status"] = projector(inputs)
    if scorer_model is not None:
        stats["translation_scores"] = asdict(scorer_model.stats)
    stats["source_entities"] = sum(len(e) for e in src_entities)
    stats["projected_entities"] = sum(t.startswith("B-") for tags in projected for t in tags)
    examples = [Example(list(w), spans_to_tags(e, len(w)), t, p, None, al)
                for w, e, t, p, al in zip(src_words, src_entities, tokens, projected, links)]
    return projected, stats, examples


def ensemble(cfg: dict[str, Any], tokens: list[list[str]], timer: Timer) -> tuple[list[list[str]], dict[str, Any]]:
    """Translate-test + model transfer: the English tagger's probabilities on the translation, projected onto the
    gold target words (:func:`~xproj_lib.ensemble.project_proba`; unaligned words keep model transfer's), averaged
    with the same tagger's probabilities on the target words (``weights``: [translate-test, model transfer])."""
    method, models = cfg["method_params"], cfg["models"]
    src_words, _, stats = english_side(cfg, tokens, timer)
    with timer("source_ner"):
        src = tag(models["ner"], src_words, "proba", models)
    with timer("align"):
        alignments = make_aligner(method["aligner"], models).align(list(zip(src_words, tokens)))
    with timer("target_ner"):
        tgt = tag(models["ner"], tokens, "proba", models)
    labels = list(tgt["labels"])
    if list(src["labels"]) != labels:
        raise ValueError(f"the English and target taggers' labels differ: {src['labels']} vs {labels}")
    with timer("project"):
        shape = (-1, len(labels))
        mt = [np.asarray(p, np.float32).reshape(shape) for p in tgt["probs"]]
        projected, unaligned = zip(*(project_proba(np.asarray(p).reshape(shape), a.links, m, labels)
                                     for p, a, m in zip(src["probs"], alignments, mt)))
        union, averaged = ensemble_proba([(labels, list(projected)), (labels, mt)], method.get("weights"))
        tags = [viterbi_iob2(p, union) for p in averaged]
    stats.update(target_words_unaligned=int(sum(unaligned)),
                 words_past_encoder_limit=sum(a.dropped_src + a.dropped_tgt for a in alignments))
    return tags, stats


def run(cell) -> CellOutcome:  # noqa: ANN001 - a study.Cell
    """Run one (dataset, language, method) cell of the translate-test protocol."""
    cfg = cell.config
    language, method = cfg["language"], cfg["method_params"]
    human = is_human(cfg["models"].get("translator"))
    if language["nllb"] is None and not human:
        raise ValueError(f"{language['iso639_3']}: NLLB-200 has no code for this language (field 'nllb' of its "
                         "language file is null), so it cannot be translated")
    timer = Timer()
    with timer("load"):
        gold = load_ner(cfg["dataset"], cfg["dataset_code"], cfg["split"], limit=cfg["limit"])
    coverage: dict[str, Any] = {}
    if human:  # every method, model transfer included, is scored on the sentences with a human translation
        gold, coverage = with_human_translation(language, gold)
    tokens = [s.tokens for s in gold]
    if method["kind"] == "model_transfer":
        with timer("target_ner"):
            raw = tag(cfg["models"]["ner"], tokens, "tags", cfg["models"])
        stats: dict[str, Any] = {}
        examples: list[Example] = []
    elif method["kind"] == "projection":
        raw, stats, examples = project(cfg, tokens, timer)
    elif method["kind"] == "ensemble":
        (raw, stats), examples = ensemble(cfg, tokens, timer), []
    else:
        raise ValueError(f"the translate_test pipeline cannot run methods of kind {method['kind']!r}")
    predicted, n_relabelled = to_dataset_labels(cfg["dataset"], raw)
    metrics = evaluate([s.tags for s in gold], predicted, get_dataset(cfg["dataset"]).ignore_labels)
    metrics.update(stats, tags_outside_label_set=n_relabelled, **coverage)
    if cfg["models"]["ner"]["model"] == SOURCE_MODEL:  # the English tagger is the profile's trained source model
        metrics["source_model_weights"] = source_model_weights(cfg["models"])
    for ex, pred, sentence in zip(examples, predicted, gold):
        ex.pred_tags, ex.gold_tags = pred, sentence.tags
    notes = ("translate-test: gold target → " + ("MAFAND human translation" if human else "NLLB") + " → English NER"
             + (" → EasyProject back-translation" if method.get("direction") == "tgt2tgt" else "")
             + ("; averaged with model transfer's word probabilities on the target sentence"
                if method["kind"] == "ensemble" else "")
             + "; classes outside the dataset's label set (MISC) are dropped after projection"
             + (f"; scored on the {coverage['test_sentences_translated']} of {coverage['test_sentences_total']} "
                f"test sentences with a human translation ({coverage['test_sentences_without_translation']} "
                "without one are left out)" if human else ""))
    return CellOutcome(record_for(cell, metrics, timer, notes), pick_examples(examples))


def with_human_translation(language: dict[str, Any], gold: list) -> tuple[list, dict[str, Any]]:  # noqa: ANN001
    """The gold sentences that have a MAFAND human translation, and the counts (with the ids of those left out)
    that the record keeps: no sentence is dropped without being counted."""
    human = HumanTranslator.for_language(language)
    found = human.lookup([s.tokens for s in gold])
    kept = [s for s, e in zip(gold, found) if e is not None]
    missing = [s.id or str(i) for i, (s, e) in enumerate(zip(gold, found)) if e is None]
    coverage = {"translation_source": human.source, "test_sentences_total": len(gold),
                "test_sentences_translated": len(kept), "test_sentences_without_translation": len(missing),
                "test_sentences_without_translation_ids": missing}
    if not kept:
        raise ValueError(f"{language['iso639_3']}: none of the {len(gold)} test sentences has a human translation "
                         f"in {human.source}")
    return kept, coverage
