"""EasyProject marker insertion, marker parsing (best vs the paper's last match, unmatched markers) and a
full back-translation pass through an echoing translator."""
from __future__ import annotations

from collections.abc import Sequence

import pytest

from xproj_lib.easyproject import EasyProject, parse_markers, similarity, surround_entities
from xproj_lib.translate import Decoding
from xproj_lib.types import Span
from xproj_lib.words import split_words


def split(text: str) -> list[str]:
    return split_words(text, "whitespace")


def test_markers_wrap_entities_and_glue_to_their_words() -> None:
    words = ["Angela", "Merkel", "visited", "New", "York", "."]
    assert surround_entities(words, [Span(3, 5, "LOC"), Span(0, 2, "PER")]) == "[Angela Merkel] visited [New York]."
    assert surround_entities(words, []) == "Angela Merkel visited New York."
    with pytest.raises(ValueError, match="overlapping"):
        surround_entities(words, [Span(0, 2, "PER"), Span(1, 3, "LOC")])


def test_best_match_is_the_default_and_last_reproduces_the_paper_bug() -> None:
    # both entity translations qualify (ratio > 0.5); the first is the better match
    pool = ["Mjini New York", "New York"]
    assert similarity("[Mjini New York]", pool[0]) > similarity("[Mjini New York]", pool[1]) > 0.5
    text = "Jana [Mjini New York] leo"
    best = parse_markers(text, pool, ["LOC", "ORG"], split)
    last = parse_markers(text, pool, ["LOC", "ORG"], split, match="last")
    assert best.words == last.words == ["Jana", "Mjini", "New", "York", "leo"]
    assert best.entities == [Span(1, 4, "LOC")]
    assert last.entities == [Span(1, 4, "ORG")]
    assert best.dropped_entities == last.dropped_entities == 1


def test_matching_is_one_to_one_in_left_to_right_order() -> None:
    result = parse_markers("[Kano] da [Kano] .", ["Kano"], ["LOC"], split)
    assert result.entities == [Span(0, 1, "LOC")]
    assert result.markers == 2 and result.unmatched_markers == 1 and result.dropped_entities == 0


@pytest.mark.parametrize(("mode", "words"), [
    ("strip", ["Ya", "ce", "wani", "abu", "a", "Kano"]),
    ("literal", ["Ya", "ce", "[", "wani", "abu", "]", "a", "Kano"]),
])
def test_unmatched_markers_are_stripped_or_kept_literally(mode: str, words: list[str]) -> None:
    result = parse_markers("Ya ce [wani abu] a [Kano]", ["Kano", "Angela Merkel"], ["LOC", "PER"], split,
                           unmatched=mode)  # type: ignore[arg-type]
    assert result.words == words
    assert result.entities == [Span(len(words) - 1, len(words), "LOC")]
    assert (result.markers, result.unmatched_markers, result.dropped_entities) == (2, 1, 1)


def test_a_marker_with_no_words_is_counted_and_dropped() -> None:
    result = parse_markers("a [] b", ["[]"], ["PER"], split)
    assert result.words == ["a", "b"] and result.entities == []
    assert (result.empty_markers, result.dropped_entities) == (1, 1)


def test_bad_options_are_rejected() -> None:
    with pytest.raises(ValueError, match="best|last"):
        parse_markers("a", [], [], split, match="first")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2 entity translations but 1 labels"):
        parse_markers("a", ["x", "y"], ["PER"], split)


class EchoTranslator:
    """A translator that returns its input and records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], Decoding]] = []

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str, decoding: Decoding) -> list[str]:
        self.calls.append((list(texts), decoding))
        return list(texts)


def test_back_translation_round_trip_through_an_echoing_translator() -> None:
    echo = EchoTranslator()
    easy = EasyProject(echo, sentence_decoding=Decoding(max_length=400), entity_decoding=Decoding(max_length=200))
    words = [["Angela", "Merkel", "visited", "New", "York", "."], ["Nothing", "here", "."]]
    entities = [[Span(3, 5, "LOC"), Span(0, 2, "PER")], []]
    results, stats = easy.back_translate(words, entities, "eng_Latn", "hau_Latn", "whitespace")
    assert echo.calls[0] == (["[Angela Merkel] visited [New York].", "Nothing here."], Decoding(max_length=400))
    assert echo.calls[1] == (["Angela Merkel", "New York"], Decoding(max_length=200))
    assert results[0].words == words[0] and results[0].entities == [Span(0, 2, "PER"), Span(3, 5, "LOC")]
    assert results[1].words == words[1] and results[1].entities == []
    assert (stats.sentences, stats.source_entities, stats.matched, stats.dropped_entities) == (2, 2, 2, 0)
