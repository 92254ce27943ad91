from hypothesis import given, strategies as st

from xproj_lib.tags import iob1_to_iob2, repair_iob2, spans_to_tags, tags_to_spans
from xproj_lib.types import Span


def test_spans_round_trip():
    spans = [Span(0, 2, "PER"), Span(3, 4, "LOC"), Span(4, 6, "LOC")]
    tags = spans_to_tags(spans, 7)
    assert tags == ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "O"]
    assert tags_to_spans(tags) == spans


def test_orphan_i_opens_span_and_type_change_splits():
    assert tags_to_spans(["I-ORG", "I-ORG", "I-PER"]) == [Span(0, 2, "ORG"), Span(2, 3, "PER")]


def test_repair_counts_each_orphan():
    tags, n = repair_iob2(["O", "I-PER", "I-PER", "B-LOC", "I-ORG", "O", "I-LOC"])
    assert tags == ["O", "B-PER", "I-PER", "B-LOC", "B-ORG", "O", "B-LOC"]
    assert n == 3


def test_iob1_to_iob2():
    # IOB1: B- only separates two adjacent entities of the same type.
    assert iob1_to_iob2(["I-PER", "I-PER", "B-PER", "O", "I-LOC"]) == ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]


tag_lists = st.lists(st.sampled_from(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]), max_size=30)


@given(tag_lists)
def test_repaired_tags_survive_a_round_trip(tags):
    repaired, _ = repair_iob2(tags)
    assert spans_to_tags(tags_to_spans(repaired), len(repaired)) == repaired
