"""AWESoME softmax extraction (Dou & Neubig 2021) on any ``transformers`` encoder, not fine-tuned.

Dot-product similarity of the sub-word vectors of ``hidden_states[layer]``, a softmax over the
target sub-words and one over the source sub-words; a sub-word pair is aligned iff both
probabilities exceed ``threshold`` (1e-3, the awesome-align default). A word pair is linked when
any of its sub-word pairs is; its score is the highest mean of the two probabilities among those
sub-word pairs (our choice: awesome-align itself outputs no score by default).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from xproj_lib.align.base import AlignmentResult, links_with_scores
from xproj_lib.align.subword import EncodedSentence, EncoderAligner


@dataclass
class AwesomeAligner(EncoderAligner):
    """AWESoME extraction: softmax both ways, ``threshold``, intersection, on ``hidden_states[layer]``."""

    threshold: float = 1e-3

    def config(self) -> dict[str, Any]:
        """Aligner identity for the cache."""
        return {"aligner": "awesome", "extraction": "softmax", "threshold": self.threshold,
                "encoder": self.encoder.fingerprint()}

    def _align_one(self, src: EncodedSentence, tgt: EncodedSentence) -> AlignmentResult:
        """Word links of one encoded pair."""
        best: dict[tuple[int, int], float] = {}
        if len(src.word_of) and len(tgt.word_of):
            dot = src.vectors @ tgt.vectors.T
            to_tgt, to_src = torch.softmax(dot, dim=-1), torch.softmax(dot, dim=-2)
            aligned = (to_tgt > self.threshold) & (to_src > self.threshold)
            score = (to_tgt + to_src) / 2
            for a, b in aligned.nonzero().tolist():
                link = (int(src.word_of[a]), int(tgt.word_of[b]))
                best[link] = max(best.get(link, 0.0), float(score[a, b]))
        return replace(links_with_scores(best), dropped_src=src.dropped, dropped_tgt=tgt.dropped)
