"""Candidate extraction: n-grams, NER spans, aligned sub-ranges, aligned runs + merges."""
from __future__ import annotations

import pytest

from xproj_lib.project import (
    AlignedMergeCandidates,
    AlignedSubrangeCandidates,
    Candidates,
    NERSpanCandidates,
    NGramCandidates,
    ProjectionInput,
)
from xproj_lib.types import Span


def _inp(tokens: list[str], entities=(), links=(), ner_spans=None) -> ProjectionInput:
    return ProjectionInput(tokens, list(entities), list(links), ner_spans=ner_spans)


def test_ngrams_are_all_spans_in_start_then_end_order() -> None:
    spans = NGramCandidates()(_inp(["a", "b", "c"])).spans()
    assert spans == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]


def test_ngram_max_len_and_count() -> None:
    tokens = [str(i) for i in range(12)]
    assert len(NGramCandidates()(_inp(tokens))) == 12 * 13 // 2
    bounded = NGramCandidates(max_len=2)(_inp(tokens)).spans()
    assert len(bounded) == 12 + 11 and all(e - s <= 2 for s, e in bounded)


def test_ngrams_skip_spans_with_stop_words_and_stop_words_are_configurable() -> None:
    tokens = ["a", "!", "b", "?"]
    assert NGramCandidates()(_inp(tokens)).spans() == [(0, 1), (2, 3)]
    assert NGramCandidates(stop_words=frozenset({"b"}))(_inp(tokens)).spans() == [(0, 1), (0, 2), (1, 2), (3, 4)]
    assert len(NGramCandidates(stop_words=frozenset())(_inp(tokens))) == 10


def test_ner_span_candidates_use_predicted_spans_without_labels() -> None:
    inp = _inp(["a", "b", "c", "d"], ner_spans=[Span(2, 4, "LOC"), Span(0, 1, "PER")])
    assert NERSpanCandidates()(inp).spans() == [(0, 1), (2, 4)]
    with pytest.raises(ValueError, match="ner_spans"):
        NERSpanCandidates()(_inp(["a"]))


def test_aligned_subranges_cover_each_entity_hull() -> None:
    tokens = list("abcdefgh")
    inp = _inp(tokens, [Span(0, 2, "PER"), Span(2, 3, "LOC")], [(0, 1), (1, 3), (2, 6)])
    spans = AlignedSubrangeCandidates()(inp).spans()
    # entity 0: hull [1, 4) -> 6 spans; entity 1: [6, 7) -> 1 span
    assert spans == [(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4), (6, 7)]
    assert AlignedSubrangeCandidates(max_len=1)(inp).spans() == [(1, 2), (2, 3), (3, 4), (6, 7)]


def test_aligned_subranges_ignore_unaligned_entities_and_stop_words() -> None:
    inp = _inp(["a", "!", "c"], [Span(0, 1, "PER"), Span(1, 2, "ORG")], [(0, 0), (0, 2)])
    assert AlignedSubrangeCandidates()(inp).spans() == [(0, 1), (2, 3)]


def test_aligned_merges_add_runs_and_run_to_later_run_spans() -> None:
    inp = _inp(list("abcdefg"), [Span(0, 2, "PER")], [(0, 0), (0, 1), (1, 3), (1, 5)])
    assert AlignedMergeCandidates()(inp).spans() == [(0, 2), (0, 4), (0, 6), (3, 4), (3, 6), (5, 6)]
    with_sub = AlignedMergeCandidates(subranges=True)(inp).spans()
    assert (0, 1) in with_sub and (1, 2) in with_sub and len(with_sub) == 8


def test_candidates_from_spans_sort_and_deduplicate() -> None:
    cands = Candidates.from_spans([(2, 3), (0, 1), (2, 3)])
    assert cands.spans() == [(0, 1), (2, 3)] and len(cands) == 2
    assert len(Candidates.from_spans([])) == 0
