"""Batched sub-word embeddings of pre-split sentences from any ``transformers`` encoder.

Each word is tokenised on its own (as SimAlign and AWESoME do), the ids are concatenated and
wrapped with the tokenizer's special tokens, and the hidden states of one layer are returned per
sub-word together with the word each sub-word belongs to. Sentences longer than the encoder's
sub-word limit are cut at a word boundary: the words past the limit get no vectors, and are
counted (and reported with a warning) so that they are never dropped silently.
"""
from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedTokenizerBase

from xproj_lib.align.base import AlignmentResult, Aligner, WordPair
from xproj_lib.models import model_fingerprint, resolve_model

LOG = logging.getLogger(__name__)
_ROBERTA_LIKE = {"roberta", "xlm-roberta", "camembert"}  # positions start after the pad id
_POOLED = {"bert", *_ROBERTA_LIKE}


@dataclass
class EncodedSentence:
    """Sub-word vectors ``(n_sub, hidden)`` of one sentence, ``word_of[k]`` the word of sub-word ``k``."""

    vectors: torch.Tensor
    word_of: np.ndarray
    dropped: int


def special_affixes(tokenizer: PreTrainedTokenizerBase) -> tuple[list[int], list[int]]:
    """The special-token ids the tokenizer puts before and after a single sequence."""
    plain = tokenizer("a", add_special_tokens=False)["input_ids"]
    wrapped = tokenizer("a")["input_ids"]
    for start in range(len(wrapped) - len(plain) + 1):
        if wrapped[start:start + len(plain)] == plain:
            return wrapped[:start], wrapped[start + len(plain):]
    raise ValueError(f"cannot locate the special tokens of {type(tokenizer).__name__}: {wrapped} vs {plain}")


class SubwordEncoder:
    """Embeds word lists with ``hidden_states[layer]`` of an encoder, in padded batches."""

    def __init__(self, model: str, *, layer: int, max_subwords: int = 510, batch_size: int = 32,
                 threads: int = 1) -> None:
        self.path = resolve_model(model)
        torch.set_num_threads(threads)
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        model_type = AutoConfig.from_pretrained(self.path).model_type
        # The pooler is never used here (and the converted e5 folder has none).
        extra = {"add_pooling_layer": False} if model_type in _POOLED else {}
        encoder = AutoModel.from_pretrained(self.path, **extra)
        n_layers = encoder.config.num_hidden_layers
        if not 0 <= layer <= n_layers:
            raise ValueError(f"layer {layer} is out of range for {model!r}: it has layers 0..{n_layers}")
        self.layer = layer
        layers = getattr(getattr(encoder, "encoder", None), "layer", None)
        if isinstance(layers, torch.nn.ModuleList) and max(layer, 1) < len(layers):
            # layers above `layer` cannot change hidden_states[layer]; keep one so hidden states are produced
            encoder.encoder.layer = layers[:max(layer, 1)]
        # the GPU when there is one (a paper-profile run); one CPU thread otherwise
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = encoder.to(self.device).eval()
        positions = encoder.config.max_position_embeddings
        if encoder.config.model_type in _ROBERTA_LIKE:
            positions -= encoder.config.pad_token_id + 1
        self.prefix, self.suffix = special_affixes(self.tokenizer)
        self.max_subwords = min(max_subwords, positions - len(self.prefix) - len(self.suffix))
        self.batch_size = batch_size

    def fingerprint(self) -> dict[str, Any]:
        """What determines the vectors: model identity, layer and sub-word limit."""
        return {"model": model_fingerprint(self.path), "layer": self.layer, "max_subwords": self.max_subwords}

    def _word_ids(self, sentences: Sequence[list[str]]) -> dict[str, list[int]]:
        """Sub-word ids of every distinct word, each tokenised on its own."""
        vocab = sorted({w for words in sentences for w in words})
        if not vocab:
            return {}
        ids = self.tokenizer(vocab, add_special_tokens=False)["input_ids"]
        return dict(zip(vocab, ids))

    def encode(self, sentences: Sequence[list[str]]) -> list[EncodedSentence]:
        """Encode each sentence (list of words); see the module docstring for the sub-word limit."""
        word_ids = self._word_ids(sentences)
        ids_per_sentence: list[list[int]] = []
        word_of: list[np.ndarray] = []
        dropped: list[int] = []
        for words in sentences:
            lengths = np.array([len(word_ids[w]) for w in words], dtype=int)
            kept = int(np.searchsorted(np.cumsum(lengths), self.max_subwords, side="right"))
            ids_per_sentence.append([i for w in words[:kept] for i in word_ids[w]])
            word_of.append(np.repeat(np.arange(kept), lengths[:kept]))
            dropped.append(len(words) - kept)
        if sum(dropped):
            LOG.warning("%d words in %d sentences lie past the %d-subword limit of %s and get no links",
                        sum(dropped), sum(1 for d in dropped if d), self.max_subwords, self.path)
        vectors = self._forward(ids_per_sentence)
        return [EncodedSentence(v, w, d) for v, w, d in zip(vectors, word_of, dropped)]

    @torch.no_grad()
    def _forward(self, ids_per_sentence: list[list[int]]) -> list[torch.Tensor]:
        """``hidden_states[layer]`` of every sub-word (specials removed), batched by length."""
        out: list[torch.Tensor] = [torch.empty(0)] * len(ids_per_sentence)
        order = sorted(range(len(ids_per_sentence)), key=lambda k: len(ids_per_sentence[k]))
        pad = self.tokenizer.pad_token_id
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            inputs = [self.prefix + ids_per_sentence[k] + self.suffix for k in batch]
            width = max(len(x) for x in inputs)
            input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, x in enumerate(inputs):
                input_ids[row, :len(x)] = torch.tensor(x)
                mask[row, :len(x)] = 1
            hidden = self.model(input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device),
                                output_hidden_states=True).hidden_states[self.layer].float().cpu()
            for row, k in enumerate(batch):
                start_k = len(self.prefix)
                out[k] = hidden[row, start_k:start_k + len(ids_per_sentence[k])].clone()
        return out


@dataclass
class EncoderAligner(Aligner):
    """An aligner that reads links off the sub-word vectors of ``hidden_states[layer]`` (SimAlign, AWESoME)."""

    model: str
    layer: int = 8
    batch_size: int = 32
    max_subwords: int = 510
    encoder: SubwordEncoder = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.encoder = SubwordEncoder(self.model, layer=self.layer, max_subwords=self.max_subwords,
                                      batch_size=self.batch_size)

    def _align(self, pairs: list[WordPair]) -> list[AlignmentResult]:
        encoded = self.encoder.encode([words for pair in pairs for words in pair])
        return [self._align_one(encoded[2 * n], encoded[2 * n + 1]) for n in range(len(pairs))]

    @abstractmethod
    def _align_one(self, src: EncodedSentence, tgt: EncodedSentence) -> AlignmentResult:
        """Word links of one encoded pair."""
