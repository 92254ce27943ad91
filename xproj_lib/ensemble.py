"""Probability-averaging ensembles of word taggers (e.g. translate-train + translate-test, Ebing & Glavaš 2025),
and the translate-test member: source-word probabilities projected onto the target words over an alignment.

Members may order their labels differently: columns are aligned by name onto the union label set
(``O`` first, then ``B-X``, ``I-X`` per type, types sorted); a label a member lacks has
probability 0 there. The weighted average is renormalised per word.

Decoding is a **constrained Viterbi** search: the IOB2 sequence with the largest product of the
averaged per-word probabilities among the *valid* ones (``I-X`` only after ``B-X`` or ``I-X``).
Argmax followed by :func:`~xproj_lib.tags.repair_iob2` would also give valid tags, but it turns
an improbable orphan ``I-X`` into ``B-X`` whatever the probability of ``B-X`` or ``O``; the
constrained search instead weighs the alternatives. Zero probabilities are floored at
:data:`PROB_FLOOR` so that a valid path always exists.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .ner import WordTagger, check_iob_labels

PROB_FLOOR = 1e-12

Member = tuple[Sequence[str], Sequence[np.ndarray]]  # (labels, per-sentence n_words × len(labels) arrays)


def union_labels(label_sets: Sequence[Sequence[str]]) -> list[str]:
    """``O`` then ``B-X``, ``I-X`` for every entity type in any of the label sets, types sorted."""
    for k, labels in enumerate(label_sets):
        check_iob_labels(list(labels), f"ensemble member {k}")
    types = sorted({lab[2:] for labels in label_sets for lab in labels if lab != "O"})
    return ["O"] + [f"{p}-{t}" for t in types for p in ("B", "I")]


def one_hot_proba(tag_lists: Sequence[Sequence[str]], labels: Sequence[str]) -> list[np.ndarray]:
    """Hard predictions (e.g. translate-test tags projected back) as probability-1 rows over ``labels``."""
    index = {lab: j for j, lab in enumerate(labels)}
    out = []
    for i, tags in enumerate(tag_lists):
        unknown = sorted({t for t in tags if t not in index})
        if unknown:
            raise ValueError(f"sentence {i}: tags {unknown} are not among the labels {list(labels)}")
        probs = np.zeros((len(tags), len(labels)), np.float32)
        probs[np.arange(len(tags)), [index[t] for t in tags]] = 1.0
        out.append(probs)
    return out


def project_proba(src_probs: np.ndarray, links: Sequence[tuple[int, int]], fallback: np.ndarray,
                  labels: Sequence[str]) -> tuple[np.ndarray, int]:
    """Source-word label probabilities carried onto the target words over alignment ``links`` ``(src, tgt)``
    (translate-test's member of Ebing & Glavaš's ensemble): a target word gets the mean of its aligned source
    words' rows; where a source word is also aligned to the previous target word, its entity continues there
    (its ``B-X`` mass moves to ``I-X``). Unaligned target words take their row of ``fallback`` (the other
    member's probabilities, so that member alone decides them). Returns the ``n_tgt × labels`` array and the
    number of unaligned target words."""
    src_probs, out = np.asarray(src_probs, np.float64), np.array(fallback, np.float64)
    if src_probs.ndim != 2 or src_probs.shape[1] != len(labels) or out.shape[1:] != (len(labels),):
        raise ValueError(f"probabilities of shapes {src_probs.shape} and {out.shape} do not fit {len(labels)} labels")
    to_inside = np.arange(len(labels))
    for j, lab in enumerate(labels):
        if lab.startswith("B-") and f"I-{lab[2:]}" in labels:
            to_inside[j] = list(labels).index(f"I-{lab[2:]}")
    aligned: dict[int, list[int]] = {}
    for i, j in links:
        if not (0 <= i < len(src_probs) and 0 <= j < len(out)):
            raise ValueError(f"link {(i, j)} outside {len(src_probs)} source and {len(out)} target words")
        aligned.setdefault(j, []).append(i)
    for j, sources in aligned.items():
        rows = np.zeros(len(labels))
        for i in sources:
            if i in aligned.get(j - 1, ()):  # the same source word on the previous target word: continue it
                np.add.at(rows, to_inside, src_probs[i])
            else:
                rows += src_probs[i]
        out[j] = rows / len(sources)
    return out.astype(np.float32), len(out) - len(aligned)


def _weights(weights: Sequence[float] | None, n: int) -> np.ndarray:
    """Member weights normalised to sum 1 (equal when ``None``)."""
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise ValueError(f"need {n} finite non-negative weights with a positive sum, got {weights}")
    return w / w.sum()


def ensemble_proba(
    members: Sequence[Member], weights: Sequence[float] | None = None,
) -> tuple[list[str], list[np.ndarray]]:
    """Average precomputed word-label probabilities of several members over the union label set.

    Each member is ``(labels, arrays)`` with one ``n_words × len(labels)`` array per sentence, the
    sentences in the same order for all members. Returns the union labels and one renormalised
    ``n_words × len(union)`` array per sentence.
    """
    if not members:
        raise ValueError("an ensemble needs at least one member")
    w = _weights(weights, len(members))
    union = union_labels([labels for labels, _ in members])
    n_sent = len(members[0][1])
    out = [np.zeros((len(p), len(union)), np.float64) for p in members[0][1]]
    for k, (labels, arrays) in enumerate(members):
        if len(set(labels)) != len(labels):
            raise ValueError(f"ensemble member {k}: duplicate labels in {list(labels)}")
        if len(arrays) != n_sent:
            raise ValueError(f"ensemble member {k}: {len(arrays)} sentences, member 0 has {n_sent}")
        columns = [union.index(lab) for lab in labels]
        for i, probs in enumerate(arrays):
            probs = np.asarray(probs)
            if probs.shape != (len(out[i]), len(labels)):
                raise ValueError(f"ensemble member {k}, sentence {i}: probabilities of shape {probs.shape}, "
                                 f"expected {(len(out[i]), len(labels))}")
            if (probs < 0).any() or not np.isfinite(probs).all():
                raise ValueError(f"ensemble member {k}, sentence {i}: negative or non-finite probabilities")
            out[i][:, columns] += w[k] * probs
    for i, probs in enumerate(out):
        sums = probs.sum(axis=1, keepdims=True)
        if (sums <= 0).any():
            raise ValueError(f"sentence {i}: a word with zero probability mass in every member")
        out[i] = (probs / sums).astype(np.float32)
    return union, out


def iob2_transitions(labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Allowed IOB2 moves: ``start[j]`` (label j may open a sentence) and ``allowed[i, j]`` (j may follow i)."""
    prefix = [lab[:2] for lab in labels]
    typ = [lab[2:] for lab in labels]
    start = np.array([p != "I-" for p in prefix])
    allowed = np.array([[prefix[j] != "I-" or (prefix[i] in ("B-", "I-") and typ[i] == typ[j])
                         for j in range(len(labels))] for i in range(len(labels))])
    return start, allowed


def viterbi_iob2(probs: np.ndarray, labels: Sequence[str]) -> list[str]:
    """The valid IOB2 sequence maximising the product of per-word probabilities ``probs`` (n_words × labels)."""
    if len(probs) == 0:
        return []
    start, allowed = iob2_transitions(labels)
    logp = np.log(np.maximum(np.asarray(probs, np.float64), PROB_FLOOR))
    trans = np.where(allowed, 0.0, -np.inf)
    score = np.where(start, logp[0], -np.inf)
    back = np.zeros(logp.shape, dtype=np.int64)
    for t in range(1, len(logp)):
        cand = score[:, None] + trans
        back[t] = cand.argmax(axis=0)
        score = cand.max(axis=0) + logp[t]
    path = [int(score.argmax())]
    for t in range(len(logp) - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return [labels[j] for j in reversed(path)]


class EnsembleTagger:
    """A :class:`~xproj_lib.ner.WordTagger` averaging its members' probabilities (weights optional)."""

    def __init__(self, taggers: Sequence[WordTagger], weights: Sequence[float] | None = None) -> None:
        """Hold the members; :attr:`labels` is the union of theirs."""
        if not taggers:
            raise ValueError("an ensemble needs at least one tagger")
        self.taggers = list(taggers)
        self.weights = _weights(weights, len(self.taggers))
        self.labels = union_labels([t.labels for t in self.taggers])

    def predict_proba(self, batch: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Averaged, renormalised probabilities per word (columns as :attr:`labels`)."""
        members = [(t.labels, t.predict_proba(batch)) for t in self.taggers]
        return ensemble_proba(members, self.weights)[1]

    def predict(self, batch: Sequence[Sequence[str]]) -> list[list[str]]:
        """IOB2 tags: constrained Viterbi over the averaged probabilities."""
        return [viterbi_iob2(probs, self.labels) for probs in self.predict_proba(batch)]
