"""Entity × candidate matching scores (thesis §4.3) and their weighted fusion.

Every scorer is called as ``scorer(inp, candidates)`` and returns a dense float64 array of shape
``(len(inp.entities), len(candidates))``; entries at or below the scorer's threshold are 0.

* ``AlignmentScore``: 2·A/(|entity| + |candidate|), A = number of links between entity and candidate words
  (each link of the list counts; aligners give sets). Kept where A > 0. Computed for all candidates at once
  from prefix sums of the per-entity link counts over target positions (O(|entities|·|candidates|)).
* ``NERScore``: mean of P(B-l | first word), P(I-l | next words), multiplied by α^(len−1) only for the class
  whose argmax pattern over the candidate reads exactly B-l I-l … I-l; per-class (the entity's class) or
  "spans" (max over classes, same for every entity); kept where > 0.05.
* ``TranslationScore``: a ``PairScorer`` (NMTScore-style, see ``SymmetricNMTScore``) on the detokenized
  entity and candidate phrases; kept where > 0.1.
* ``FusedScore``: Σ weight·component, each component thresholded on its own (thesis §4.3.4); ``PRESETS``
  holds the thesis pipelines (align, ner, nmt, align_ner, align_ner_spans, align_nmt, ner_spans_nmt,
  all_fusion) with their weights and candidate sets.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from .candidates import AlignedSubrangeCandidates, Candidates, NGramCandidates
from .inputs import ProjectionInput, WordProbs


class Scorer(Protocol):
    """Anything that scores every (entity, candidate) pair of a sentence."""

    def __call__(self, inp: ProjectionInput, cands: Candidates) -> np.ndarray: ...


@dataclass(frozen=True)
class AlignmentScore:
    """The alignment score 2·A/(|p|+|t|) (thesis §4.3.1; the only score of the paper)."""

    def __call__(self, inp: ProjectionInput, cands: Candidates) -> np.ndarray:
        n_tgt, n_ent = len(inp.tgt_tokens), len(inp.entities)
        if n_ent == 0 or len(cands) == 0:
            return np.zeros((n_ent, len(cands)))
        starts = np.array([e.start for e in inp.entities])
        ends = np.array([e.end for e in inp.entities])
        links = np.asarray(inp.alignment, dtype=np.int64).reshape(-1, 2)
        counts = np.zeros((n_ent, n_tgt + 1), dtype=np.int64)
        # entity p counts link (k, l) when start_p <= k < end_p
        inside = (links[None, :, 0] >= starts[:, None]) & (links[None, :, 0] < ends[:, None])
        ent_idx, link_idx = np.nonzero(inside)
        np.add.at(counts, (ent_idx, links[link_idx, 1] + 1), 1)
        prefix = np.cumsum(counts, axis=1)
        linked = prefix[:, cands.ends] - prefix[:, cands.starts]
        lengths = (ends - starts)[:, None] + (cands.ends - cands.starts)[None, :]
        return (2 * linked) / lengths  # true division of exact integers: 0 where A = 0, as in the paper


def _class_indices(labels: Sequence[str], ignore: frozenset[str]) -> dict[str, tuple[int, int]]:
    """Class -> (index of B-class, index of I-class); a missing B- or I- label is aliased to the other."""
    b_idx = {lab[2:]: i for i, lab in enumerate(labels) if lab.startswith("B-")}
    i_idx = {lab[2:]: i for i, lab in enumerate(labels) if lab.startswith("I-")}
    classes = [c for c in dict.fromkeys([*b_idx, *i_idx]) if c not in ignore]
    return {c: (b_idx.get(c, i_idx.get(c)), i_idx.get(c, b_idx.get(c))) for c in classes}


def ner_class_scores(
    word_probs: WordProbs, cands: Candidates, *, alpha: float = 1.15, ignore_classes: Sequence[str] = ()
) -> dict[str, np.ndarray]:
    """Per class, the NER-model score of every candidate (before thresholding), thesis §4.3.2."""
    probs = np.asarray(word_probs.probs, dtype=np.float64)
    argmax = probs.argmax(axis=1)
    lengths = cands.ends - cands.starts
    out: dict[str, np.ndarray] = {}
    for cls, (b, i) in _class_indices(word_probs.labels, frozenset(ignore_classes)).items():
        i_prefix = np.concatenate(([0.0], np.cumsum(probs[:, i])))
        is_i = np.concatenate(([0], np.cumsum(argmax == i)))
        rest = cands.starts + 1
        mean = (probs[cands.starts, b] + i_prefix[cands.ends] - i_prefix[rest]) / lengths
        pattern = (argmax[cands.starts] == b) & (is_i[cands.ends] - is_i[rest] == lengths - 1)
        out[cls] = np.where(pattern, mean * alpha ** (lengths - 1.0), mean)
    return out


@dataclass(frozen=True)
class NERScore:
    """NER-model score: per-class (``spans=False``, the entity's class) or class-agnostic ``spans`` (max)."""

    spans: bool = False
    alpha: float = 1.15
    threshold: float = 0.05
    ignore_classes: tuple[str, ...] = ()

    def __call__(self, inp: ProjectionInput, cands: Candidates) -> np.ndarray:
        if inp.ner_probs is None:
            raise ValueError(f"sentence {inp.id!r}: the NER score needs ner_probs, which are missing")
        n_ent = len(inp.entities)
        scores = np.zeros((n_ent, len(cands)))
        if n_ent == 0 or len(cands) == 0:
            return scores
        per_class = ner_class_scores(inp.ner_probs, cands, alpha=self.alpha, ignore_classes=self.ignore_classes)
        if self.spans:
            if per_class:
                scores[:] = np.max(np.stack(list(per_class.values())), axis=0)
        else:
            for row, entity in enumerate(inp.entities):
                if entity.label in per_class:  # a class the model cannot predict scores 0
                    scores[row] = per_class[entity.label]
        return np.where(scores > self.threshold, scores, 0.0)


class PairScorer(Protocol):
    """Scores aligned lists of (source phrase, target phrase) pairs; returns one similarity per pair."""

    def __call__(self, src_phrases: Sequence[str], tgt_phrases: Sequence[str]) -> np.ndarray: ...


class DirectProbability(Protocol):
    """P(hypothesis | source) of a translation model, e.g. NMTScore's 2^(−mean token NLL) with NLLB.

    ``source_side``/``target_side`` name the languages ("src" = the entity side, English; "tgt" = the
    target sentence language), so ``("tgt", "src")`` asks for P(English phrase | target phrase).
    """

    def __call__(
        self,
        sources: Sequence[str],
        hypotheses: Sequence[str],
        source_side: Literal["src", "tgt"],
        target_side: Literal["src", "tgt"],
    ) -> np.ndarray: ...


@dataclass(frozen=True)
class SymmetricNMTScore:
    """NMTScore "direct", normalised, both directions (thesis §4.3.3):

    sim(A, B) = ½·[P(A | B)/P(A | A) + P(B | A)/P(B | B)], A = source phrase, B = target phrase.
    """

    direct: DirectProbability

    def __call__(self, src_phrases: Sequence[str], tgt_phrases: Sequence[str]) -> np.ndarray:
        a, b = list(src_phrases), list(tgt_phrases)
        p_a_b = np.asarray(self.direct(b, a, "tgt", "src"), dtype=np.float64)
        p_a_a = np.asarray(self.direct(a, a, "src", "src"), dtype=np.float64)
        p_b_a = np.asarray(self.direct(a, b, "src", "tgt"), dtype=np.float64)
        p_b_b = np.asarray(self.direct(b, b, "tgt", "tgt"), dtype=np.float64)
        return 0.5 * (p_a_b / p_a_a + p_b_a / p_b_b)


def treebank_detokenize(words: Sequence[str]) -> str:
    """Join words as the thesis does for NMTScore phrases (NLTK's Treebank detokenizer)."""
    from nltk.tokenize.treebank import TreebankWordDetokenizer

    return TreebankWordDetokenizer().detokenize(list(words))


@dataclass(frozen=True)
class TranslationScore:
    """Translation-probability score of every (entity phrase, candidate phrase) pair, batched in one call."""

    pair_scorer: PairScorer
    threshold: float = 0.1
    detokenize: Callable[[Sequence[str]], str] = field(default=treebank_detokenize)  # English entity words
    target_detokenize: Callable[[Sequence[str]], str] = field(default=treebank_detokenize)  # candidate words

    def __call__(self, inp: ProjectionInput, cands: Candidates) -> np.ndarray:
        n_ent, n_cand = len(inp.entities), len(cands)
        if n_ent == 0 or n_cand == 0:
            return np.zeros((n_ent, n_cand))
        if not inp.src_tokens:
            raise ValueError(f"sentence {inp.id!r}: the translation score needs src_tokens, which are missing")
        src = [self.detokenize(inp.src_tokens[e.start : e.end]) for e in inp.entities]
        tgt = [self.target_detokenize(inp.tgt_tokens[s:e]) for s, e in cands.spans()]
        flat = np.asarray(self.pair_scorer([a for a in src for _ in tgt], tgt * n_ent), dtype=np.float64)
        if flat.shape != (n_ent * n_cand,):
            raise ValueError(f"pair scorer returned {flat.shape} scores for {n_ent * n_cand} pairs")
        scores = flat.reshape(n_ent, n_cand)
        return np.where(scores > self.threshold, scores, 0.0)


@dataclass(frozen=True)
class FusedScore:
    """Weighted sum of individually thresholded scores."""

    components: tuple[tuple[Scorer, float], ...]

    def __call__(self, inp: ProjectionInput, cands: Candidates) -> np.ndarray:
        total = np.zeros((len(inp.entities), len(cands)))
        for scorer, weight in self.components:
            total += weight * scorer(inp, cands)
        return total


@dataclass(frozen=True)
class Preset:
    """A thesis scoring pipeline: fusion weights and the candidate set it runs on (thesis table §4.3.4)."""

    align: float = 0.0
    ner: float = 0.0
    ner_spans: float = 0.0
    nmt: float = 0.0
    candidates: Literal["ngrams", "aligned_subranges"] = "ngrams"


PRESETS: dict[str, Preset] = {
    "align": Preset(align=1.0, candidates="aligned_subranges"),
    "ner": Preset(ner=1.0),
    "nmt": Preset(nmt=1.0),
    "align_ner": Preset(align=0.5, ner=0.5),
    "align_ner_spans": Preset(align=0.5, ner_spans=0.5),
    "align_nmt": Preset(align=0.5, nmt=1.0),
    "ner_spans_nmt": Preset(ner_spans=0.5, nmt=1.0),
    "all_fusion": Preset(align=0.5, ner_spans=0.5, nmt=1.0),
}


def build_preset(
    name: str,
    *,
    pair_scorer: PairScorer | None = None,
    max_len: int | None = 10,
    ignore_classes: tuple[str, ...] = (),
    target_detokenize: Callable[[Sequence[str]], str] = treebank_detokenize,
) -> tuple[AlignedSubrangeCandidates | NGramCandidates, Scorer]:
    """The (candidate extractor, scorer) of a thesis pipeline; M = ``max_len`` words (thesis: 10).

    ``target_detokenize`` joins candidate words for the translation score (plain concatenation for languages
    written without spaces)."""
    if name not in PRESETS:
        raise ValueError(f"unknown scoring preset {name!r}; known: {sorted(PRESETS)}")
    preset = PRESETS[name]
    parts: list[tuple[Scorer, float]] = []
    if preset.align:
        parts.append((AlignmentScore(), preset.align))
    if preset.ner:
        parts.append((NERScore(spans=False, ignore_classes=ignore_classes), preset.ner))
    if preset.ner_spans:
        parts.append((NERScore(spans=True, ignore_classes=ignore_classes), preset.ner_spans))
    if preset.nmt:
        if pair_scorer is None:
            raise ValueError(f"preset {name!r} needs a translation pair_scorer")
        parts.append((TranslationScore(pair_scorer, target_detokenize=target_detokenize), preset.nmt))
    extractor: AlignedSubrangeCandidates | NGramCandidates
    if preset.candidates == "aligned_subranges":
        extractor = AlignedSubrangeCandidates(max_len=max_len)
    else:
        extractor = NGramCandidates(max_len=max_len)
    scorer: Scorer = parts[0][0] if len(parts) == 1 and parts[0][1] == 1.0 else FusedScore(tuple(parts))
    return extractor, scorer
