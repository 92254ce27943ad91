"""SimAlign (Jalili Sabet et al. 2020) on any encoder, with the ``simalign`` package's matching.

Sub-word vectors come from :class:`SubwordEncoder` (batched, sub-word limit guarded); the
similarity ``(cos + 1) / 2`` and the three matching methods are the ``simalign==0.4`` package's own
``SentenceAligner`` functions, applied at the sub-word ("bpe") level with distortion 0, as the
paper's configuration. A word pair is linked when any of its sub-word pairs is; its score is the
highest similarity among those sub-word pairs.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from simalign import SentenceAligner

from xproj_lib.align.base import AlignmentResult, links_with_scores
from xproj_lib.align.subword import EncodedSentence, EncoderAligner

# Accepted names → simalign's internal method names.
METHODS = {"argmax": "inter", "inter": "inter", "a": "inter",
           "itermax": "itermax", "i": "itermax",
           "match": "mwmf", "mwmf": "mwmf", "m": "mwmf"}


def simalign_matrix(sim: np.ndarray, method: str) -> np.ndarray:
    """The 0/1 sub-word alignment matrix of one simalign method on a similarity matrix."""
    if method == "inter":
        forward, backward = SentenceAligner.get_alignment_matrix(sim)
        return forward * backward
    if method == "itermax":
        return SentenceAligner.iter_max(sim)
    return SentenceAligner.get_max_weight_match(sim)


@dataclass
class SimAlignAligner(EncoderAligner):
    """SimAlign with ``method`` argmax ("inter"), itermax or match ("mwmf") on ``hidden_states[layer]``."""

    method: str = "itermax"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown SimAlign method {self.method!r}; choose from {sorted(METHODS)}")
        self.method = METHODS[self.method]
        super().__post_init__()

    def config(self) -> dict[str, Any]:
        """Aligner identity for the cache."""
        return {"aligner": "simalign", "package": "simalign==0.4", "method": self.method,
                "encoder": self.encoder.fingerprint()}

    def _align_one(self, src: EncodedSentence, tgt: EncodedSentence) -> AlignmentResult:
        """Word links of one encoded pair."""
        best: dict[tuple[int, int], float] = {}
        if len(src.word_of) and len(tgt.word_of):
            sim = SentenceAligner.get_similarity(src.vectors.numpy(), tgt.vectors.numpy())
            for a, b in zip(*np.nonzero(simalign_matrix(sim, self.method) > 0)):
                link = (int(src.word_of[a]), int(tgt.word_of[b]))
                best[link] = max(best.get(link, 0.0), float(sim[a, b]))
        return replace(links_with_scores(best), dropped_src=src.dropped, dropped_tgt=tgt.dropped)
