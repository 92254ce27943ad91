"""A linear-chain CRF word tagger (sklearn-crfsuite): a fast, honest CPU baseline.

Features are language-agnostic (word form, affixes, shape, neighbours); no POS tags, so the same
tagger trains on CoNLL-2003 English and on MasakhaNER languages. Training is L-BFGS, which is
deterministic: there is no seed to set. Trained models live in the content-keyed xproj cache.
"""
from __future__ import annotations

import json
import logging
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import sklearn_crfsuite

from .cache import atomic_write_text, built_folder, cache_dir, content_key
from .tags import repair_iob2
from .types import Sentence, require_tokens

log = logging.getLogger(__name__)

MODEL_FILE = "model.crfsuite"
META_FILE = "meta.json"
# Bump when word_features changes: cached models depend on the feature set.
FEATURES_VERSION = 1

Features = dict[str, str | float | bool]


@dataclass(frozen=True)
class CRFConfig:
    """L-BFGS CRF hyper-parameters (elastic-net regularisation ``c1``/``c2``)."""

    c1: float = 0.1
    c2: float = 0.05
    max_iterations: int = 100
    all_possible_transitions: bool = True


@dataclass
class CRFRecord:
    """What training a CRF cost; ``cached`` is True when the model came from the cache."""

    model_dir: Path
    cached: bool
    train_seconds: float
    n_sentences: int
    labels: list[str]


def _shape(word: str) -> str:
    """Collapsed character shape, e.g. ``Xxx-dd`` → ``Xx-d``."""
    shape = "".join("X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c for c in word)
    return re.sub(r"(.)\1+", r"\1", shape)


def _word_features(word: str, prefix: str) -> Features:
    """Features of one word, keys prefixed by its position relative to the tagged word."""
    return {
        f"{prefix}lower": word.lower(),
        f"{prefix}shape": _shape(word),
        f"{prefix}title": word.istitle(),
        f"{prefix}upper": word.isupper(),
    }


def word_features(words: Sequence[str], i: int) -> Features:
    """Features of word ``i`` of a sentence: form, affixes, shape and a ±2 window."""
    word = words[i]
    feats: Features = {"bias": 1.0, **_word_features(word, "")}
    for k in (1, 2, 3):
        feats[f"pre{k}"] = word[:k]
        feats[f"suf{k}"] = word[-k:]
    feats.update(
        digit=word.isdigit(),
        has_digit=any(c.isdigit() for c in word),
        has_hyphen="-" in word,
        length=min(len(word), 10) / 10.0,
    )
    for offset in (-2, -1, 1, 2):
        j = i + offset
        if 0 <= j < len(words):
            feats.update(_word_features(words[j], f"{offset:+d}:"))
        else:
            feats[f"{offset:+d}:edge"] = True
    return feats


def sentence_features(words: Sequence[str]) -> list[Features]:
    """Features for every word of a sentence."""
    return [word_features(words, i) for i in range(len(words))]


class CRFTagger:
    """A trained CRF behind the :class:`~xproj_lib.ner.WordTagger` protocol."""

    def __init__(self, model_dir: Path) -> None:
        """Open a model folder written by :func:`train_crf` (or :meth:`save`)."""
        self.model_dir = Path(model_dir)
        meta_path = self.model_dir / META_FILE
        if not meta_path.is_file() or not (self.model_dir / MODEL_FILE).is_file():
            raise FileNotFoundError(f"{self.model_dir}: not a CRF model folder (needs {MODEL_FILE} and {META_FILE})")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("features_version") != FEATURES_VERSION:
            raise ValueError(
                f"{meta_path}: features_version {meta.get('features_version')} != {FEATURES_VERSION}; retrain the model"
            )
        self.labels: list[str] = list(meta["labels"])
        self.repaired_tags = 0  # orphan I- tags fixed in predictions so far
        self._crf = sklearn_crfsuite.CRF(model_filename=str(self.model_dir / MODEL_FILE))

    def predict(self, batch: Sequence[Sequence[str]]) -> list[list[str]]:
        """IOB2 tags per word: the Viterbi path, with any orphan ``I-X`` turned into ``B-X`` (counted)."""
        tagger = self._crf.tagger_
        out, repairs = [], 0
        for words in batch:
            tags, fixed = repair_iob2(tagger.tag(sentence_features(words)) if words else [])
            out.append(tags)
            repairs += fixed
        if repairs:
            self.repaired_tags += repairs
            log.info("CRF: %d orphan I- tags in the Viterbi output turned into B- tags", repairs)
        return out

    def predict_proba(self, batch: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Per-word marginal label probabilities (n_words × n_labels, columns as :attr:`labels`)."""
        tagger = self._crf.tagger_
        out = []
        for words in batch:
            probs = np.zeros((len(words), len(self.labels)), dtype=np.float32)
            if words:
                tagger.set(sentence_features(words))
                for j, label in enumerate(self.labels):
                    for i in range(len(words)):
                        probs[i, j] = tagger.marginal(label, i)
            out.append(probs)
        return out

    def save(self, path: Path) -> Path:
        """Copy the model folder to ``path`` (created); return ``path``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name in (MODEL_FILE, META_FILE):
            shutil.copyfile(self.model_dir / name, path / name)
        return path

    @classmethod
    def load(cls, path: Path) -> CRFTagger:
        """Open a saved model folder."""
        return cls(path)


def train_crf(train: Sequence[Sentence], config: CRFConfig = CRFConfig()) -> tuple[CRFTagger, CRFRecord]:
    """Train a CRF on ``train`` (or reuse the cached model for the same data and config).

    The cache key covers the features version, the config and every token and tag, so any change
    retrains. The model folder is built in a temporary folder and renamed into place.
    """
    require_tokens(train, "train_crf")
    key = content_key({
        "kind": "crf",
        "features_version": FEATURES_VERSION,
        "config": asdict(config),
        "train": [[s.tokens, s.tags] for s in train],
    })
    final = cache_dir("models") / f"crf-{key[:32]}"
    built = built_folder(final, lambda folder: _fit_crf(train, config, folder), META_FILE)
    meta = json.loads((final / META_FILE).read_text(encoding="utf-8"))
    if built:
        log.info("CRF trained on %d sentences in %.1f s -> %s", len(train), meta["train_seconds"], final)
    else:
        log.info("CRF model reused from %s", final)
    return CRFTagger(final), CRFRecord(final, not built, meta["train_seconds"], meta["n_sentences"], meta["labels"])


def _fit_crf(train: Sequence[Sentence], config: CRFConfig, folder: Path) -> None:
    """Train the CRF and write its model and metadata files into ``folder``."""
    crf = sklearn_crfsuite.CRF(
        algorithm="lbfgs",
        c1=config.c1,
        c2=config.c2,
        max_iterations=config.max_iterations,
        all_possible_transitions=config.all_possible_transitions,
        model_filename=str(folder / MODEL_FILE),
    )
    start = time.perf_counter()
    crf.fit([sentence_features(s.tokens) for s in train], [list(s.tags) for s in train])
    meta = {
        "features_version": FEATURES_VERSION,
        "config": asdict(config),
        "labels": sorted(crf.classes_, key=lambda t: (t != "O", t[2:], t[:1])),
        "train_seconds": time.perf_counter() - start,
        "n_sentences": len(train),
    }
    atomic_write_text(folder / META_FILE, json.dumps(meta, indent=1))
