"""Word-level NER inference: the ``WordTagger`` protocol and a transformers token-classification tagger.

Words arrive pre-split. A word's label is the argmax of the softmax of its **first** sub-token
(the paper's ``aggregation_strategy="first"``), and the tags are read as IOB1 and written as IOB2,
so IOB1 models such as ``FacebookAI/xlm-roberta-large-finetuned-conll03-english`` (consecutive
``I-X`` words form one entity) and IOB2 models both give valid IOB2. Words beyond the model's input
limit are tagged ``O`` and counted in :attr:`TransformersTagger.stats` and the log. MISC is kept:
callers erase it where a dataset lacks it (:func:`xproj_lib.tags.restrict_labels`).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import torch
from transformers import (
    AutoModelForTokenClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from .cache import cached_arrays
from .models import resolve_model
from .tags import iob1_to_iob2, tags_to_spans
from .types import Span

log = logging.getLogger(__name__)

# Architectures whose position ids start after the padding index (max tokens = positions - pad - 1).
_OFFSET_POSITIONS = {"roberta", "xlm-roberta", "camembert", "xlm-roberta-xl"}


@runtime_checkable
class WordTagger(Protocol):
    """Anything that tags pre-split sentences with IOB2 tags, one per word."""

    labels: list[str]

    def predict(self, batch: Sequence[Sequence[str]]) -> list[list[str]]:
        """IOB2 tags per word for every sentence."""
        ...

    def predict_proba(self, batch: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Per-word label probabilities (n_words × len(labels)) for every sentence."""
        ...


def spans(tagger: WordTagger, batch: Sequence[Sequence[str]]) -> list[list[Span]]:
    """Predicted entity spans per sentence (e.g. NER candidates on target sentences)."""
    return [tags_to_spans(tags) for tags in tagger.predict(batch)]


def check_iob_labels(labels: Sequence[str], where: str) -> None:
    """Raise a clear error unless every label is ``O``, ``B-X`` or ``I-X``."""
    bad = [lab for lab in labels if lab != "O" and not (lab[:2] in ("B-", "I-") and len(lab) > 2)]
    if bad or "O" not in labels:
        raise ValueError(f"{where}: labels must be O / B-X / I-X (with O present); got {list(labels)}")


def pick_device(device: str | torch.device | None) -> torch.device:
    """The requested device, or CUDA when available, else CPU."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def input_limit(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, max_length: int) -> int:
    """The largest number of sub-tokens (specials included) the model accepts, capped at ``max_length``."""
    limit = max_length
    positions = getattr(model.config, "max_position_embeddings", None)
    if positions:
        if model.config.model_type in _OFFSET_POSITIONS:
            positions -= (model.config.pad_token_id or 0) + 1
        limit = min(limit, positions)
    if tokenizer.model_max_length and tokenizer.model_max_length < 1_000_000:
        limit = min(limit, tokenizer.model_max_length)
    return limit


def first_subtoken_index(word_ids: Sequence[int | None], n_words: int) -> np.ndarray:
    """For each word, the position of its first sub-token, or -1 if it has none (truncated/empty)."""
    first = np.full(n_words, -1, dtype=np.int64)
    for pos, word in enumerate(word_ids):
        if word is not None and first[word] < 0:
            first[word] = pos
    return first


@dataclass
class TaggerStats:
    """Running counts of what the tagger had to work around (never silent)."""

    sentences: int = 0
    words: int = 0
    truncated_words: int = 0  # past the input limit: tagged O
    empty_words: int = 0  # no sub-token at all (e.g. only control characters): tagged O
    converted_tags: int = 0  # I-X opening an entity, rewritten to B-X (IOB1 → IOB2)


class TransformersTagger:
    """A Hugging Face token-classification model as a :class:`WordTagger`.

    ``predict_proba`` columns follow the model's own labels (:attr:`labels`); ``predict`` returns
    IOB2. On CUDA the model runs in bf16 (fp16 where bf16 is unsupported); on CPU in fp32 with
    ``cpu_threads`` torch threads. With ``cache_as`` (an identity of the model's content, such as
    its content-keyed cache folder's name) the probabilities of a batch are cached on disk by that
    identity, the input settings and the words, so a model tags a test set once, e.g. for
    translate-train and again as an ensemble member; the sub-token counts of :attr:`stats` and
    their warnings then come only from the call that computed them.
    """

    def __init__(
        self,
        model: str | Path,
        *,
        batch_size: int = 32,
        device: str | torch.device | None = None,
        max_length: int = 512,
        cpu_threads: int = 1,
        cache_as: str | None = None,
    ) -> None:
        """Load ``model`` (hub id or local folder, resolved offline-safely by :func:`resolve_model`)."""
        path = resolve_model(str(model))
        dev = pick_device(device)
        dtype = torch.float32
        if dev.type == "cuda":
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        tokenizer = AutoTokenizer.from_pretrained(path)
        net = AutoModelForTokenClassification.from_pretrained(path, dtype=dtype)
        self._setup(net, tokenizer, str(model), batch_size, dev, max_length, cpu_threads)
        self.cache_as = cache_as

    @classmethod
    def from_components(
        cls,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        batch_size: int = 32,
        max_length: int = 512,
        cpu_threads: int = 1,
    ) -> TransformersTagger:
        """Wrap an already loaded model (left on its device and dtype), e.g. during training."""
        self = cls.__new__(cls)
        self._setup(model, tokenizer, model.name_or_path, batch_size, model.device, max_length, cpu_threads)
        return self

    def _setup(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        name: str,
        batch_size: int,
        device: torch.device,
        max_length: int,
        cpu_threads: int,
    ) -> None:
        """Shared initialisation of the two constructors."""
        if not tokenizer.is_fast:
            raise ValueError(f"{name}: a fast tokenizer is needed for word alignment of sub-tokens")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.name = name
        self.labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        check_iob_labels(self.labels, name)
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        self.batch_size = batch_size
        self.max_length = input_limit(model, tokenizer, max_length)
        self.stats = TaggerStats()
        self._o = self.labels.index("O")
        self.cache_as: str | None = None
        if device.type == "cpu":
            torch.set_num_threads(cpu_threads)

    def predict_proba(self, batch: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Softmax of each word's first sub-token; words without one get probability 1 for ``O``."""
        if self.cache_as is None:
            return self._proba(batch)
        key = {"model": self.cache_as, "device": self.device.type, "max_length": self.max_length,
               "batch_size": self.batch_size, "words": [list(words) for words in batch]}
        return cached_arrays("ner-proba", key, lambda: self._proba(batch))

    def _proba(self, batch: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """:meth:`predict_proba` computed by the model."""
        out: list[np.ndarray] = [np.zeros((0, len(self.labels)), np.float32)] * len(batch)
        order = sorted(range(len(batch)), key=lambda i: -len(batch[i]))
        order = [i for i in order if len(batch[i]) > 0]
        truncated = empty = 0
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            words = [list(batch[i]) for i in chunk]
            enc = self.tokenizer(words, is_split_into_words=True, truncation=True, max_length=self.max_length,
                                 padding=True, return_tensors="pt")
            with torch.inference_mode():
                logits = self.model(**enc.to(self.device)).logits
            probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
            for row, i in enumerate(chunk):
                first = first_subtoken_index(enc.word_ids(row), len(words[row]))
                found = first >= 0
                res = np.zeros((len(first), len(self.labels)), np.float32)
                res[~found, self._o] = 1.0
                res[found] = probs[row, first[found]]
                out[i] = res
                if not found.all():
                    last = int(np.flatnonzero(found).max()) if found.any() else -1
                    tail = int((~found[last + 1:]).sum())
                    hit_limit = int(enc["attention_mask"][row].sum()) >= self.max_length
                    truncated += tail if hit_limit else 0
                    empty += int((~found).sum()) - (tail if hit_limit else 0)
        self.stats.sentences += len(batch)
        self.stats.words += sum(len(w) for w in batch)
        self.stats.truncated_words += truncated
        self.stats.empty_words += empty
        if truncated:
            log.warning("%s: %d words beyond the %d sub-token input limit were tagged O",
                        self.name, truncated, self.max_length)
        if empty:
            log.warning("%s: %d words produced no sub-token and were tagged O", self.name, empty)
        return out

    def predict(self, batch: Sequence[Sequence[str]]) -> list[list[str]]:
        """IOB2 tags per word: first-sub-token argmax, read as IOB1 and converted."""
        result = []
        for probs in self.predict_proba(batch):
            raw = [self.labels[j] for j in probs.argmax(axis=1)] if len(probs) else []
            tags = iob1_to_iob2(raw)
            self.stats.converted_tags += sum(a != b for a, b in zip(raw, tags))
            result.append(tags)
        return result
