"""Matching scores: alignment, NER model (α bonus, spans), translation (fake scorer), fusion presets; labels."""
from __future__ import annotations

import numpy as np
import pytest

from xproj_lib.project import (
    PRESETS,
    AlignmentScore,
    Candidates,
    FusedScore,
    NERScore,
    ProjectionInput,
    SymmetricNMTScore,
    TranslationScore,
    WordProbs,
    build_preset,
    restrict_labels,
)
from xproj_lib.project.scores import ner_class_scores
from xproj_lib.types import Span

LABELS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC")


def test_alignment_score_is_two_links_over_lengths() -> None:
    inp = ProjectionInput(list("abcde"), [Span(0, 2, "PER"), Span(2, 3, "LOC")], [(0, 1), (1, 2), (1, 3), (2, 4)])
    cands = Candidates.from_spans([(1, 3), (1, 2), (4, 5), (0, 1)])
    scores = AlignmentScore()(inp, cands)
    # candidates in order (0,1), (1,2), (1,3), (4,5)
    expected = np.array([[0.0, 2 * 1 / 3, 2 * 2 / 4, 0.0], [0.0, 0.0, 0.0, 2 * 1 / 2]])
    np.testing.assert_array_equal(scores, expected)


def test_alignment_score_counts_many_to_many_links() -> None:
    inp = ProjectionInput(list("ab"), [Span(0, 2, "PER")], [(0, 0), (0, 1), (1, 0), (1, 1)])
    assert AlignmentScore()(inp, Candidates.from_spans([(0, 2)]))[0, 0] == 2 * 4 / 4


def _probs(rows: list[list[float]]) -> WordProbs:
    return WordProbs(np.array(rows), LABELS)


def test_ner_score_bonus_only_for_the_argmax_pattern_class() -> None:
    # "Mark Twain": B-PER 0.9, I-PER 0.8 (the thesis example); the full span wins thanks to alpha
    probs = _probs([[0.05, 0.9, 0.0, 0.05, 0.0], [0.1, 0.0, 0.8, 0.0, 0.1]])
    per_class = ner_class_scores(probs, Candidates.from_spans([(0, 1), (0, 2), (1, 2)]))
    np.testing.assert_allclose(per_class["PER"], [0.9, 0.85 * 1.15, 0.0])
    np.testing.assert_allclose(per_class["LOC"], [0.05, 0.075, 0.0])  # no bonus: argmax is not B-LOC I-LOC


def test_ner_score_per_class_spans_and_threshold() -> None:
    probs = _probs([[0.05, 0.9, 0.0, 0.05, 0.0], [0.1, 0.0, 0.8, 0.0, 0.1]])
    inp = ProjectionInput(["Mark", "Twain"], [Span(0, 1, "PER"), Span(1, 2, "LOC"), Span(2, 3, "ORG")], [],
                          ner_probs=probs)
    cands = Candidates.from_spans([(0, 1), (0, 2), (1, 2)])
    per_class = NERScore()(inp, cands)
    np.testing.assert_allclose(per_class[0], [0.9, 0.85 * 1.15, 0.0])
    np.testing.assert_allclose(per_class[1], [0.0, 0.075, 0.0])  # 0.05 is not > 0.05
    np.testing.assert_array_equal(per_class[2], 0.0)  # a class the model lacks scores 0
    spans = NERScore(spans=True)(inp, cands)
    np.testing.assert_allclose(spans, np.tile([0.9, 0.85 * 1.15, 0.0], (3, 1)))
    with pytest.raises(ValueError, match="ner_probs"):
        NERScore()(ProjectionInput(["a"], [Span(0, 1, "PER")], []), cands)


def test_ner_score_aliases_a_missing_b_label_and_ignores_classes() -> None:
    # IOB1 model with no B-PER (like xlm-roberta-large-finetuned-conll03-english)
    probs = WordProbs(np.array([[0.1, 0.9, 0.0], [0.2, 0.7, 0.1]]), ("O", "I-PER", "I-MISC"))
    per_class = ner_class_scores(probs, Candidates.from_spans([(0, 2)]), ignore_classes=("MISC",))
    assert set(per_class) == {"PER"}
    np.testing.assert_allclose(per_class["PER"], [0.8 * 1.15])


class FakeDirect:
    """P(hyp | src) = 1 / (1 + |len(src) - len(hyp)|), identical strings 1; records the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, sources, hypotheses, source_side, target_side):
        self.calls.append((source_side, target_side))
        return np.array([1.0 if a == b else 0.5 / (1 + abs(len(a) - len(b))) for a, b in zip(sources, hypotheses)])


def test_symmetric_nmt_score_normalises_both_directions() -> None:
    direct = FakeDirect()
    sim = SymmetricNMTScore(direct)(["Berlin", "EU"], ["Berlin", "Union"])
    np.testing.assert_allclose(sim, [1.0, 0.5 * (0.125 / 1 + 0.125 / 1)])
    assert sorted(direct.calls) == [("src", "src"), ("src", "tgt"), ("tgt", "src"), ("tgt", "tgt")]


def test_translation_score_batches_all_pairs_and_thresholds() -> None:
    seen: list[tuple[list[str], list[str]]] = []

    def pair_scorer(src, tgt):
        seen.append((list(src), list(tgt)))
        return np.array([1.0 if a.lower() == b.lower() else 0.1 for a, b in zip(src, tgt)])

    inp = ProjectionInput(["in", "new", "york"], [Span(0, 2, "LOC")], [], src_tokens=["New", "York"])
    cands = Candidates.from_spans([(1, 3), (0, 1)])
    scores = TranslationScore(pair_scorer)(inp, cands)
    np.testing.assert_array_equal(scores, [[0.0, 1.0]])  # 0.1 is not > 0.1
    assert seen == [(["New York", "New York"], ["in", "new york"])]


def test_fusion_weights_and_presets() -> None:
    assert set(PRESETS) == {"align", "ner", "nmt", "align_ner", "align_ner_spans", "align_nmt",
                            "ner_spans_nmt", "all_fusion"}
    assert (PRESETS["all_fusion"].align, PRESETS["all_fusion"].ner_spans, PRESETS["all_fusion"].nmt) == (0.5, 0.5, 1.0)
    probs = _probs([[0.05, 0.9, 0.0, 0.05, 0.0], [0.1, 0.0, 0.8, 0.0, 0.1]])
    inp = ProjectionInput(["Mark", "Twain"], [Span(0, 2, "PER")], [(0, 0), (1, 1)], src_tokens=["Mark", "Twain"],
                          ner_probs=probs)
    cands = Candidates.from_spans([(0, 1), (0, 2)])
    extractor, scorer = build_preset("align_ner")
    assert isinstance(scorer, FusedScore)
    np.testing.assert_allclose(scorer(inp, cands), 0.5 * AlignmentScore()(inp, cands) + 0.5 * NERScore()(inp, cands))
    assert extractor(inp).spans() == [(0, 1), (0, 2), (1, 2)]
    align_extractor, align_scorer = build_preset("align")
    assert isinstance(align_scorer, AlignmentScore) and type(align_extractor).__name__ == "AlignedSubrangeCandidates"
    with pytest.raises(ValueError, match="pair_scorer"):
        build_preset("nmt")
    with pytest.raises(ValueError, match="unknown"):
        build_preset("nope")


def test_restrict_labels_drops_classes_and_counts() -> None:
    tags = ["B-PER", "I-PER", "B-MISC", "I-MISC", "B-DATE", "O"]
    assert restrict_labels(tags, output_labels={"PER", "LOC", "ORG", "DATE"}) == (
        ["B-PER", "I-PER", "O", "O", "B-DATE", "O"], 2)
    assert restrict_labels(tags, drop_labels={"DATE", "MISC"}) == (["B-PER", "I-PER", "O", "O", "O", "O"], 3)
    assert restrict_labels(tags) == (tags, 0)
