"""Cross-lingual transfer to MasakhaNER2 through human parallel text (MAFAND-MT), with trained taggers.

Methods (``kind`` in the method file):
- ``model_transfer``: the source NER model (e5-small fine-tuned on English CoNLL-2003) tags the target test set.
- ``supervised``: a tagger trained on the target's gold MasakhaNER2 train split (early stopping on gold dev): the
  ceiling.
- ``projection``: the source model labels the source side of the MAFAND parallel text (English, or French for the
  six French-paired languages — the multilingual source model applied zero-shot to French); the labels are
  projected onto the target side; a target tagger is trained on the projection (early stopping on a held-out
  10% of the *projected* data, so no gold target label is used) and tagged the MasakhaNER2 test split
  (translate-train from parallel text). Transfer pairs whose target side repeats a dev or test sentence of the
  evaluated dataset are left out first (MAFAND shares much of its text with MasakhaNER2: see
  :mod:`xproj_lib.overlap`), and counted in the record. With an ``adversarial`` tagger, the training adds a language
  discriminator behind gradient reversal on the two sides of the transfer text (translate-train + adversarial).
- ``adversarial``: the source model fine-tuned further on source data with the language discriminator on the
  two sides of the transfer text (adversarial alignment only). ``discriminator: false`` in a method file (any
  kind that trains on transfer data) keeps the adversarial tagger's settings and data but drops the
  discriminator: the control (for this kind, continued fine-tuning on the same English sentences) that separates
  the adversarial loss's effect from that of the extra training.
- ``ensemble``: the members' word-level probabilities averaged (e.g. model transfer + translate-train; offline
  there is no translate-test prediction, so this stands in for Ebing & Glavaš's train/test ensemble).
Scores: seqeval micro F1 on the test split with DATE ignored (as the paper). A method file with ``probe: true``
(the adversarial sweep's) also records two checks that use no target label (:func:`label_free_checks`): the
held-out accuracy of a fresh language probe on the frozen model, and its English dev F1.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from dataclasses import dataclass, replace
from typing import Any

from ..cache import cached_json
from ..datasets import get_dataset, load_ner, load_parallel
from ..display import Example
from ..evaluate import evaluate
from ..overlap import overlapping
from ..probe import probe_metrics
from ..project import ProjectionInput
from ..tags import tags_to_spans
from ..ensemble import EnsembleTagger
from ..study import load_method
from ..types import Sentence
from ..words import detokenize, split_words
from .base import CellOutcome, Timer, pick_examples, record_for, to_dataset_labels
from .components import (
    ENGLISH,
    adversarial_settings,
    make_aligner,
    make_projector,
    make_translator,
    source_model_weights,
    source_tagger,
    train_named_tagger,
)

# MAFAND pairs without a train split: their dev+test text is the transfer corpus (not MasakhaNER2 sentences).
TRANSFER_SPLITS = ("train",)
FALLBACK_SPLITS = ("dev", "test")
# Splits of the evaluated dataset that transfer text must not repeat (besides the cell's own split).
HELD_OUT_SPLITS = ("dev", "test")


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


def project_corpus(cell, method: dict[str, Any], text: TransferText,  # noqa: ANN001
                   timer: Timer) -> tuple[list[Sentence], dict, list]:
    """Label (unless gold-labelled), align and project the transfer text; returns projected target sentences,
    stats and examples."""
    cfg = cell.config
    src, tgt = text.src, text.tgt
    with timer("source_ner"):
        src_tags = [s.tags for s in src] if text.labelled else label_source(src, cfg["models"])
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


@dataclass
class TransferText:
    """Parallel source/target sentences to project through; ``labelled`` when the source side has gold tags;
    ``held_out_overlap``: pairs left out because their target side repeats an evaluation sentence."""

    src: list[Sentence]
    tgt: list[Sentence]
    src_lang: str
    labelled: bool
    notes: str
    held_out_overlap: int = 0

    def without(self, held_out: Sequence[Sequence[str]]) -> TransferText:
        """The pairs whose target side neither repeats, contains nor lies inside a ``held_out`` sentence."""
        hit = overlapping([t.tokens for t in self.tgt], held_out)
        keep = [i for i, h in enumerate(hit) if not h]
        return replace(self, src=[self.src[i] for i in keep], tgt=[self.tgt[i] for i in keep],
                       held_out_overlap=self.held_out_overlap + sum(hit))

    def head(self, n: int | None) -> TransferText:
        """The first ``n`` pairs (all when ``None``)."""
        return self if n is None else replace(self, src=self.src[:n], tgt=self.tgt[:n])


def transfer_text(language: dict[str, Any], settings: dict[str, Any], models: dict[str, Any],
                  held_out: Sequence[Sequence[str]] = ()) -> TransferText:
    """The transfer text the profile's ``settings.transfer_text`` names: ``mafand`` (human parallel text, the
    default; its first ``settings.max_transfer_pairs``) or ``mt`` (``settings.translate_train``'s labelled English
    sentences machine-translated), without the pairs whose target side overlaps a ``held_out`` sentence."""
    kind = settings.get("transfer_text", "mafand")
    if kind == "mt":
        return translated_text(language, settings["translate_train"], models).without(held_out)
    if kind != "mafand":
        raise ValueError(f"settings.transfer_text must be 'mafand' or 'mt', not {kind!r}")
    if "mafand" not in language["datasets"]:
        raise ValueError(f"{language['iso639_3']}: no MAFAND-MT parallel text to transfer through")
    src, tgt, splits = transfer_corpus(language, None)
    pair = language["datasets"]["mafand"]
    notes = f"transfer text: MAFAND-MT {pair} {splits}"
    if pair.startswith("fr-"):
        notes += "; French source side labelled by the English-trained multilingual source model (zero-shot)"
    if splits != "train":
        notes += " (no MAFAND train split: dev+test text used)"
    text = TransferText(src, tgt, pair.split("-")[0], False, notes).without(held_out)
    if text.held_out_overlap:
        text.notes += f"; {text.held_out_overlap} pairs left out: their target side overlaps an evaluation sentence"
    return text.head(settings.get("max_transfer_pairs"))


def held_out_sentences(cfg: dict[str, Any]) -> list[list[str]]:
    """The word lists of the evaluated dataset's dev and test splits (and the cell's split), which the transfer
    text must not repeat."""
    splits = dict.fromkeys([*HELD_OUT_SPLITS, cfg["split"]])
    return [s.tokens for split in splits for s in load_ner(cfg["dataset"], cfg["dataset_code"], split)]


def translated_text(language: dict[str, Any], spec: dict[str, Any], models: dict[str, Any]) -> TransferText:
    """Translate-train text: gold-labelled English sentences (e.g. CoNLL-2003 train) and their translation into
    the target language by the profile's ``translator``; pairs with an empty translation are left out (counted)."""
    if spec.get("lang") != "en":
        raise ValueError(f"settings.translate_train must name English data (lang: en), not {spec.get('lang')!r}")
    if not language.get("nllb"):
        raise ValueError(f"{language['iso639_3']}: no NLLB-200 code in its language file, so it cannot be "
                         "machine-translated into")
    src = load_ner(**spec)
    translator, decoding = make_translator(models["translator"])
    texts = translator.translate([detokenize(s.tokens, "whitespace") for s in src], ENGLISH, language["nllb"],
                                 decoding)
    pairs = [(s, split_words(text, language["word_split"])) for s, text in zip(src, texts)]
    kept = [(s, Sentence(words, ["O"] * len(words), s.id)) for s, words in pairs if words]
    notes = (f"transfer text: {spec['dataset']} {spec['split']} (gold English labels) machine-translated by "
             f"{models['translator']['model']}; {len(pairs) - len(kept)} empty translations left out")
    return TransferText([s for s, _ in kept], [t for _, t in kept], "en", True, notes)


def unlabelled_text(text: TransferText, language: dict[str, Any]) -> dict[str, list[list[str]]]:
    """Unlabelled sentences of both languages for the language discriminator: the two sides of the transfer text."""
    return {text.src_lang: [s.tokens for s in text.src], language["iso639_3"]: [t.tokens for t in text.tgt]}


def build_tagger(cell, method: dict[str, Any], timer: Timer) -> tuple[Any, dict[str, Any], list[Example], str]:  # noqa: ANN001
    """The target tagger of a method: (tagger, stats, examples, notes)."""
    cfg = cell.config
    settings, models, language = cfg["settings"], cfg["models"], cfg["language"]
    kind = method["kind"]
    stats: dict[str, Any] = {}
    if kind == "model_transfer":
        with timer("source_model"):
            tagger, stats["source_model"] = source_tagger(models)
        return tagger, stats, [], ""
    if kind == "supervised":
        with timer("train"):
            train = load_ner(cfg["dataset"], cfg["dataset_code"], "train", limit=settings.get("max_train_sentences"))
            dev = load_ner(cfg["dataset"], cfg["dataset_code"], "dev", limit=settings.get("max_dev_sentences"))
            tagger, stats["target_model"] = train_named_tagger(method["tagger"], models, train, dev, cell.seed)
        return tagger, stats, [], ""
    if kind == "ensemble":
        members = [build_tagger(cell, load_method(name), timer) for name in method["members"]]
        stats["members"] = {name: m[1] for name, m in zip(method["members"], members)}
        notes = "; ".join(dict.fromkeys(m[3] for m in members if m[3]))
        return EnsembleTagger([m[0] for m in members]), stats, members[-1][2], notes
    with timer("load"):
        text = transfer_text(language, settings, models, held_out_sentences(cfg))
    stats["transfer_pairs_overlapping_held_out"] = text.held_out_overlap
    discriminator = method.get("discriminator", True)
    if kind == "adversarial":  # the source model, fine-tuned further on source data with the language discriminator
        spec = models["source_ner"]
        with timer("train"):
            train = load_ner(**{**spec["train"], "limit": settings.get("adversarial_source_sentences")})
            dev = load_ner(**spec["dev"])
            tagger, stats["target_model"] = train_named_tagger(method["tagger"], models, train, dev, cell.seed,
                                                               unlabelled_text(text, language), discriminator,
                                                               method.get("adversarial"))
        if not discriminator:
            return tagger, stats, [], f"{len(train)} English sentences, no discriminator (the control)"
        return tagger, stats, [], text.notes + " (unlabelled, for the language discriminator)"
    if kind != "projection":
        raise ValueError(f"the transfer pipeline cannot run methods of kind {kind!r}")
    projected, projection_stats, examples = project_corpus(cell, method, text, timer)
    stats.update(projection_stats)
    train, dev = holdout(projected, settings.get("projected_dev_fraction", 0.1), cell.seed or 0)
    with timer("train"):
        tagger, stats["target_model"] = train_named_tagger(method["tagger"], models, train, dev, cell.seed,
                                                           unlabelled_text(text, language), discriminator,
                                                           method.get("adversarial"))
    return tagger, stats, examples, text.notes


def score(tagger: Any, test: list[Sentence], dataset: str) -> tuple[dict[str, Any], int]:
    """The tagger's metrics on ``test`` in the dataset's label set, and how many predicted tags were relabelled."""
    predicted, n_relabelled = to_dataset_labels(dataset, tagger.predict([s.tokens for s in test]))
    return evaluate([s.tags for s in test], predicted, get_dataset(dataset).ignore_labels), n_relabelled


# English dev F1 over the classes every tagger here predicts (CoNLL's MISC and MasakhaNER2's DATE left out)
ENGLISH_DEV_IGNORE = ("MISC", "DATE")


def label_free_checks(cell, tagger: Any, stats: dict[str, Any]) -> dict[str, Any]:  # noqa: ANN001
    """What a sweep setting is selected by, none of it from target labels: the held-out accuracy of a fresh
    language probe on the frozen model (:mod:`xproj_lib.probe`, the two sides of the cell's transfer text), and
    the model's F1 on the source model's English dev sentences (PER, ORG, LOC)."""
    cfg = cell.config
    models = cfg["models"]
    if isinstance(tagger, EnsembleTagger):
        raise ValueError("probe: true needs a method with one model, not an ensemble")
    model_dir = stats.get("target_model", stats.get("source_model", {})).get("model_dir")
    if not model_dir or not Path(model_dir, "config.json").is_file():
        raise ValueError(f"probe: true needs a transformers model, and {cfg['method']!r} has none ({model_dir})")
    text = transfer_text(cfg["language"], cfg["settings"], models, held_out_sentences(cfg))
    adversarial = adversarial_settings(models, cfg["method_params"])
    probe = probe_metrics(model_dir, [s.tokens for s in text.src], [t.tokens for t in text.tgt],
                          layer=adversarial.layer if adversarial else None)
    dev = load_ner(**models["source_ner"]["dev"])
    english = evaluate([s.tags for s in dev], tagger.predict([s.tokens for s in dev]), ENGLISH_DEV_IGNORE)
    return {"language_probe": probe, "english_dev_f1": english["f1"],
            "english_dev": {k: english[k] for k in ("precision", "recall", "f1", "n_sentences")}}


def run(cell) -> CellOutcome:  # noqa: ANN001 - a study.Cell
    """Run one (language, method) cell of the transfer study and score it on the target test split."""
    cfg = cell.config
    timer = Timer()
    with timer("load"):
        test = load_ner(cfg["dataset"], cfg["dataset_code"], cfg["split"])[cfg["skip"]:][:cfg["limit"]]
    tagger, stats, examples, notes = build_tagger(cell, cfg["method_params"], timer)
    with timer("predict"):
        metrics, n_relabelled = score(tagger, test, cfg["dataset"])
        if isinstance(tagger, EnsembleTagger):  # each member's own score (its probabilities are cached), so the
            for name, member in zip(cfg["method_params"]["members"], tagger.taggers):  # report pairs the ensemble
                own = score(member, test, cfg["dataset"])[0]  # with the very models it averaged
                stats["members"][name]["test"] = {k: own[k] for k in ("precision", "recall", "f1")}
    if cfg["method_params"].get("probe"):
        with timer("probe"):
            stats.update(label_free_checks(cell, tagger, stats))
    metrics.update(stats, predicted_tags_outside_label_set=n_relabelled)
    if cfg["method_params"]["kind"] != "supervised":  # every other method starts from, or labels with, the source model
        metrics["source_model_weights"] = source_model_weights(cfg["models"])
    return CellOutcome(record_for(cell, metrics, timer, notes), pick_examples(examples))
