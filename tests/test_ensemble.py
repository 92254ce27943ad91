"""Probability-averaging tagger ensembles: label alignment, averaging, constrained IOB2 decoding."""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from xproj_lib.ensemble import (
    EnsembleTagger,
    ensemble_proba,
    iob2_transitions,
    one_hot_proba,
    project_proba,
    union_labels,
    viterbi_iob2,
)
from xproj_lib.ner import TransformersTagger, WordTagger
from xproj_lib.tags import repair_iob2

WORDS = [["Angela", "Merkel", "visited", "Paris", "."], ["Shugaba", "Buhari", "ya", "ziyarci", "Kano", "."]]


class FixedTagger:
    """A tagger with given probabilities per sentence (keyed by its words)."""

    def __init__(self, labels: Sequence[str], table: dict[tuple[str, ...], np.ndarray]) -> None:
        self.labels = list(labels)
        self.table = table

    def predict_proba(self, batch: Sequence[Sequence[str]]) -> list[np.ndarray]:
        return [self.table[tuple(words)] for words in batch]

    def predict(self, batch: Sequence[Sequence[str]]) -> list[list[str]]:
        return [repair_iob2([self.labels[j] for j in p.argmax(1)])[0] for p in self.predict_proba(batch)]


def _random_tagger(labels: Sequence[str], seed: int) -> FixedTagger:
    rng = np.random.default_rng(seed)
    return FixedTagger(labels, {tuple(w): rng.dirichlet(np.ones(len(labels)), size=len(w)) for w in WORDS})


def test_union_labels_order_and_checks() -> None:
    assert union_labels([["O", "B-PER", "I-PER"], ["I-LOC", "O", "B-LOC", "B-PER", "I-PER"]]) == [
        "O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    with pytest.raises(ValueError, match="member 1"):
        union_labels([["O", "B-PER", "I-PER"], ["O", "PER"]])


def test_columns_aligned_by_name_and_averaged() -> None:
    a_labels = ["O", "B-PER", "I-PER"]
    b_labels = ["B-LOC", "I-PER", "O", "B-PER", "I-LOC"]
    a = [np.array([[0.2, 0.8, 0.0], [0.1, 0.1, 0.8]])]
    b = [np.array([[0.0, 0.0, 0.6, 0.4, 0.0], [0.5, 0.3, 0.2, 0.0, 0.0]])]
    labels, (avg,) = ensemble_proba([(a_labels, a), (b_labels, b)])
    assert labels == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    expected = np.array([[0.4, 0.0, 0.0, 0.6, 0.0],  # (0.2+0.6)/2, B-PER (0.8+0.4)/2
                         [0.15, 0.25, 0.0, 0.05, 0.55]])  # B-LOC only in member b: 0.5/2
    np.testing.assert_allclose(avg, expected, atol=1e-7)
    _, (weighted,) = ensemble_proba([(a_labels, a), (b_labels, b)], weights=[3, 1])
    np.testing.assert_allclose(weighted[1], [0.125, 0.125, 0.0, 0.075, 0.675], atol=1e-7)


def test_rows_are_renormalised() -> None:
    labels, (probs,) = ensemble_proba([(["O", "B-PER", "I-PER"], [np.array([[2.0, 1.0, 1.0]])])])
    np.testing.assert_allclose(probs, [[0.5, 0.25, 0.25]])


def test_bad_members_are_rejected() -> None:
    ok = (["O", "B-PER", "I-PER"], [np.full((2, 3), 1 / 3)])
    with pytest.raises(ValueError, match="member 1: 2 sentences"):
        ensemble_proba([ok, (ok[0], ok[1] * 2)])
    with pytest.raises(ValueError, match=r"member 1, sentence 0: probabilities of shape \(3, 3\)"):
        ensemble_proba([ok, (ok[0], [np.full((3, 3), 1 / 3)])])
    with pytest.raises(ValueError, match="weights"):
        ensemble_proba([ok, ok], weights=[1.0])
    with pytest.raises(ValueError, match="weights"):
        ensemble_proba([ok, ok], weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="negative"):
        ensemble_proba([(ok[0], [-ok[1][0]])])
    with pytest.raises(ValueError, match="zero probability mass"):
        ensemble_proba([(ok[0], [np.zeros((2, 3))])])


def test_one_hot_proba() -> None:
    (probs,) = one_hot_proba([["B-PER", "I-PER", "O"]], ["O", "B-PER", "I-PER"])
    np.testing.assert_array_equal(probs, np.eye(3)[[1, 2, 0]])
    with pytest.raises(ValueError, match=r"sentence 0: tags \['B-LOC'\]"):
        one_hot_proba([["B-LOC"]], ["O", "B-PER", "I-PER"])


def test_project_proba_carries_source_rows_over_the_alignment() -> None:
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    # English "Buhari visited Kano" -> target "Shugaba Buhari ya ziyarci Kano ." (links are (src, tgt))
    src = np.array([[0.1, 0.8, 0.1, 0.0, 0.0], [0.9, 0.0, 0.0, 0.1, 0.0], [0.2, 0.0, 0.0, 0.6, 0.2]])
    fallback = np.full((6, 5), 0.2)
    links = [(0, 0), (0, 1), (1, 3), (2, 4), (1, 2)]
    out, unaligned = project_proba(src, links, fallback, labels)
    assert unaligned == 1  # "." keeps the fallback row
    np.testing.assert_allclose(out[5], fallback[5])
    np.testing.assert_allclose(out[0], src[0])  # the entity opens on the first aligned target word ...
    np.testing.assert_allclose(out[1], [0.1, 0.0, 0.9, 0.0, 0.0])  # ... and continues on the next: B -> I
    np.testing.assert_allclose(out[2], src[1])  # "ya": source word 1, not on the previous target word
    np.testing.assert_allclose(out[3], [0.9, 0.0, 0.0, 0.0, 0.1])  # ... "ziyarci" after it: continued, B-LOC -> I
    np.testing.assert_allclose(out[4], src[2])
    assert viterbi_iob2(out, labels)[:2] == ["B-PER", "I-PER"]
    two, _ = project_proba(src, [(0, 0), (2, 0)], fallback[:1], labels)  # two source words: their mean
    np.testing.assert_allclose(two[0], (src[0] + src[2]) / 2)
    with pytest.raises(ValueError, match=r"link \(3, 0\) outside 3 source and 6 target words"):
        project_proba(src, [(3, 0)], fallback, labels)
    with pytest.raises(ValueError, match="do not fit 5 labels"):
        project_proba(src[:, :3], links, fallback, labels)


def test_transitions() -> None:
    start, allowed = iob2_transitions(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])
    assert start.tolist() == [True, True, False, True, False]
    assert allowed[:, 2].tolist() == [False, True, True, False, False]  # I-PER after B-PER / I-PER only
    assert allowed[:, [0, 1, 3]].all()


def test_viterbi_weighs_alternatives_to_an_orphan() -> None:
    labels = ["O", "B-PER", "I-PER"]
    probs = np.array([[0.5, 0.45, 0.05], [0.1, 0.1, 0.8]])
    # argmax O, I-PER would be repaired to O, B-PER (0.5·0.1); the best valid path is B-PER, I-PER (0.45·0.8)
    assert viterbi_iob2(probs, labels) == ["B-PER", "I-PER"]
    assert viterbi_iob2(np.array([[0.1, 0.1, 0.8]]), labels) in (["O"], ["B-PER"])
    assert viterbi_iob2(np.zeros((0, 3)), labels) == []


def test_viterbi_matches_brute_force() -> None:
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    start, allowed = iob2_transitions(labels)
    rng = np.random.default_rng(0)
    for trial in range(30):
        n = 1 + trial % 4
        probs = rng.dirichlet(np.full(len(labels), 0.5), size=n)
        valid = [seq for seq in itertools.product(range(len(labels)), repeat=n)
                 if start[seq[0]] and all(allowed[a, b] for a, b in zip(seq, seq[1:]))]
        best = max(valid, key=lambda seq: np.prod(probs[np.arange(n), seq]))
        assert viterbi_iob2(probs, labels) == [labels[j] for j in best]


def test_ensemble_tagger_averages_members_with_different_label_orders() -> None:
    a = _random_tagger(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"], 1)
    b = _random_tagger(["I-LOC", "B-LOC", "O", "I-ORG", "B-ORG"], 2)
    ens = EnsembleTagger([a, b], weights=[2, 1])
    assert isinstance(ens, WordTagger)
    assert ens.labels == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    for words, probs in zip(WORDS, ens.predict_proba(WORDS)):
        pa, pb = a.table[tuple(words)], b.table[tuple(words)]
        for j, lab in enumerate(ens.labels):
            ca = pa[:, a.labels.index(lab)] if lab in a.labels else 0.0
            cb = pb[:, b.labels.index(lab)] if lab in b.labels else 0.0
            np.testing.assert_allclose(probs[:, j], (2 * ca + cb) / 3, atol=1e-6)
    for words, tags in zip(WORDS, ens.predict(WORDS)):
        assert len(tags) == len(words) and repair_iob2(tags)[1] == 0


def test_same_tagger_twice_is_identity() -> None:
    # probabilities whose argmax is already valid IOB2: decoding them gives the member's own tags
    labels = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]  # already in the union order
    table = {tuple(WORDS[0]): np.eye(5)[[3, 4, 0, 1, 0]] * 0.6 + 0.08,
             tuple(WORDS[1]): np.eye(5)[[0, 3, 0, 0, 1, 0]] * 0.6 + 0.08}
    member = FixedTagger(labels, table)
    ens = EnsembleTagger([member, member])
    for got, want in zip(ens.predict_proba(WORDS), member.predict_proba(WORDS)):
        np.testing.assert_allclose(got, want, atol=1e-6)
    assert ens.predict(WORDS) == member.predict(WORDS) == [["B-PER", "I-PER", "O", "B-LOC", "O"],
                                                           ["O", "B-PER", "O", "O", "B-LOC", "O"]]


def test_transformers_members(tmp_path: Path) -> None:
    """Two tiny token-classification models with different label orders, and one model with itself."""
    from xproj_lib.tiny import CONLL_LABELS, build_tiny_encoder

    first = TransformersTagger(build_tiny_encoder(tmp_path / "a", labels=CONLL_LABELS, seed=1))
    shuffled = list(reversed(CONLL_LABELS))
    second = TransformersTagger(build_tiny_encoder(tmp_path / "b", labels=shuffled, seed=2))
    ens = EnsembleTagger([first, second])
    assert ens.labels == union_labels([CONLL_LABELS])
    pa, pb = first.predict_proba(WORDS), second.predict_proba(WORDS)
    reorder = [shuffled.index(lab) for lab in first.labels]
    for got, a, b in zip(ens.predict_proba(WORDS), pa, pb):
        np.testing.assert_allclose(got[:, [ens.labels.index(lab) for lab in first.labels]],
                                   (a + b[:, reorder]) / 2, atol=1e-6)
    for tags, words in zip(ens.predict(WORDS), WORDS):
        assert len(tags) == len(words) and repair_iob2(tags)[1] == 0

    alone = EnsembleTagger([first, first])
    cols = [alone.labels.index(lab) for lab in first.labels]
    for got, a in zip(alone.predict_proba(WORDS), pa):
        np.testing.assert_allclose(got[:, cols], a, atol=1e-6)
    assert alone.predict(WORDS) == [viterbi_iob2(p[:, [first.labels.index(lab) for lab in alone.labels]],
                                                 alone.labels) for p in pa]
