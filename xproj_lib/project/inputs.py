"""The per-sentence input of every projection method, validated on construction."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..types import Alignment, Span


@dataclass(frozen=True)
class WordProbs:
    """Per-word class probabilities of a token-classification model on the target words.

    ``probs[i]`` is the softmax over all ``labels`` (IOB2 names such as ``B-PER``, ``I-PER``, ``O``) of the
    first sub-token of target word ``i`` (thesis §4.3.2).
    """

    probs: np.ndarray
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.probs.ndim != 2 or self.probs.shape[1] != len(self.labels):
            raise ValueError(
                f"WordProbs: probs of shape {self.probs.shape} do not match {len(self.labels)} labels"
            )


@dataclass(frozen=True)
class ProjectionInput:
    """One sentence pair to project onto: target words, source entities and their word alignment.

    ``alignment`` holds ``(source word, target word)`` links, in the order the aligner produced them (the
    paper's heuristic is sensitive to that order). ``ner_spans`` (target spans predicted by an NER model;
    labels ignored) and ``ner_probs`` are needed only by the NER candidate extractor and the NER score.
    """

    tgt_tokens: Sequence[str]
    entities: Sequence[Span]
    alignment: Alignment
    src_tokens: Sequence[str] = ()
    ner_spans: Sequence[Span] | None = None
    ner_probs: WordProbs | None = None
    id: str = field(default="")

    def __post_init__(self) -> None:
        check_alignment(len(self.tgt_tokens), self.alignment, len(self.src_tokens) or None, self.id)
        n_src = len(self.src_tokens) or None
        for span in self.entities:
            if span.start < 0 or span.end <= span.start or (n_src is not None and span.end > n_src):
                raise ValueError(f"sentence {self.id!r}: source entity {span} outside {n_src} source words")
        for span in self.ner_spans or ():
            if not 0 <= span.start < span.end <= len(self.tgt_tokens):
                raise ValueError(
                    f"sentence {self.id!r}: NER span {span} outside {len(self.tgt_tokens)} target words"
                )
        if self.ner_probs is not None and self.ner_probs.probs.shape[0] != len(self.tgt_tokens):
            raise ValueError(
                f"sentence {self.id!r}: {self.ner_probs.probs.shape[0]} NER probability rows "
                f"for {len(self.tgt_tokens)} target words"
            )


def check_alignment(n_tgt: int, alignment: Alignment, n_src: int | None = None, where: str = "") -> None:
    """Raise ``ValueError`` if a link points outside the sentences (``n_src=None``: source length unknown)."""
    for src, tgt in alignment:
        if not 0 <= tgt < n_tgt or src < 0 or (n_src is not None and src >= n_src):
            raise ValueError(
                f"sentence {where!r}: alignment link (src={src}, tgt={tgt}) outside "
                f"{n_src if n_src is not None else '?'} source / {n_tgt} target words"
            )
