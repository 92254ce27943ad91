"""The word-alignment heuristic: paper (NoDaLiDa code) and thesis variants on hand-checked sentences."""
from __future__ import annotations

import pytest

from xproj_lib.project import HeuristicConfig, ProjectionInput, project_heuristic, project_heuristic_batch
from xproj_lib.tags import tags_to_spans
from xproj_lib.types import Span

THESIS = HeuristicConfig(variant="thesis")


def test_one_to_one_projection() -> None:
    tags = project_heuristic(5, [Span(0, 2, "PER")], [(0, 2), (1, 3)])
    assert tags == ["O", "O", "B-PER", "I-PER", "O"]


def test_merge_distance_fills_one_word_gap_but_not_two() -> None:
    # entity of 2 words aligned to target 1 and 3 -> merged over the gap word 2 with d=1
    assert project_heuristic(6, [Span(0, 2, "ORG")], [(0, 1), (1, 3)]) == ["O", "B-ORG", "I-ORG", "I-ORG", "O", "O"]
    # a two-word gap is not merged, and each 1-word run fails the ratio 1/2 > 0.8
    assert project_heuristic(6, [Span(0, 2, "ORG")], [(0, 1), (1, 4)]) == ["O"] * 6
    # d=0 disables merging
    no_merge = HeuristicConfig(merge_distance=0, length_ratio_threshold=None)
    assert project_heuristic(5, [Span(0, 2, "ORG")], [(0, 1), (1, 3)], config=no_merge) == [
        "O", "B-ORG", "O", "B-ORG", "O"
    ]


def test_length_ratio_threshold_is_strict() -> None:
    # a 4-word entity projected to 3 words has ratio 0.75 <= 0.8 -> dropped; 5 -> 4 words is 0.8, not > 0.8
    assert project_heuristic(6, [Span(0, 4, "LOC")], [(0, 0), (1, 1), (2, 2)]) == ["O"] * 6
    links = [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert project_heuristic(6, [Span(0, 5, "LOC")], links) == ["O"] * 6
    lenient = HeuristicConfig(length_ratio_threshold=0.75)
    assert project_heuristic(6, [Span(0, 5, "LOC")], links, config=lenient)[:4] == ["B-LOC"] + ["I-LOC"] * 3


def test_one_entity_can_be_projected_to_several_places() -> None:
    tags = project_heuristic(6, [Span(0, 1, "PER")], [(0, 1), (0, 4)])
    assert tags == ["O", "B-PER", "O", "O", "B-PER", "O"]
    top1 = HeuristicConfig(top_k=1)
    assert project_heuristic(6, [Span(0, 1, "PER")], [(0, 1), (0, 4)], config=top1) == [
        "O", "B-PER", "O", "O", "O", "O"
    ]


def test_top_k_keeps_the_shortest_runs() -> None:
    # runs [0,3) and [5,6) for a 1-word entity; thr off; the shortest is kept (thesis code)
    config = HeuristicConfig(top_k=1, length_ratio_threshold=None, merge_distance=0)
    links = [(0, 0), (0, 1), (0, 2), (0, 5)]
    assert project_heuristic(7, [Span(0, 1, "PER")], links, config=config) == ["O"] * 5 + ["B-PER", "O"]


def test_only_i_refuses_merging_a_run_aligned_to_the_first_entity_word() -> None:
    # entity words 0,1 -> target 3 and 1; run starting at 3 is aligned to the B- word
    links = [(0, 3), (1, 1)]
    merged = project_heuristic(5, [Span(0, 2, "PER")], links, config=HeuristicConfig(length_ratio_threshold=None))
    assert merged == ["O", "B-PER", "I-PER", "I-PER", "O"]
    only_i = HeuristicConfig(length_ratio_threshold=None, only_i=True)
    assert project_heuristic(5, [Span(0, 2, "PER")], links, config=only_i) == ["O", "B-PER", "O", "B-PER", "O"]


def test_paper_overwrites_and_can_leave_an_orphan_i_tag() -> None:
    entities = [Span(0, 3, "PER"), Span(3, 5, "LOC")]
    links = [(0, 2), (1, 3), (2, 4), (3, 1), (4, 2)]
    tags = project_heuristic(6, entities, links)
    assert tags == ["O", "B-LOC", "I-LOC", "I-PER", "I-PER", "O"]
    # the thesis variant processes the shorter LOC first and then skips PER, which touches it
    assert project_heuristic(6, entities, links, config=THESIS) == ["O", "B-LOC", "I-LOC", "O", "O", "O"]


def test_paper_processes_entities_in_given_order_thesis_shortest_first() -> None:
    entities = [Span(0, 1, "PER"), Span(1, 3, "ORG")]
    links = [(0, 2), (1, 1), (2, 2)]
    assert project_heuristic(4, entities, links) == ["O", "B-ORG", "I-ORG", "O"]
    # thesis: PER (1 word) tags word 2 first, then ORG's run [1,3) touches it and is skipped
    assert project_heuristic(4, entities, links, config=THESIS) == ["O", "O", "B-PER", "O"]


def test_paper_runs_depend_on_link_order_and_merge_sets_the_end() -> None:
    # word 0 -> 7, 4; word 2 -> 6, 5, 2, 4. Incremental runs: [4,8), [4,6), [2,3). Sorted by start and
    # merged, the last merge *sets* the end to 6 (not max(8, 6)), so words 6 and 7 are lost.
    links = [(2, 6), (2, 5), (0, 7), (2, 2), (0, 4), (2, 4)]
    entity = [Span(0, 3, "X")]
    assert project_heuristic(8, entity, links) == ["O", "O", "B-X", "I-X", "I-X", "I-X", "O", "O"]
    by_target = sorted(links, key=lambda link: (link[1], link[0]))
    assert project_heuristic(8, entity, by_target) == ["O", "O", "B-X"] + ["I-X"] * 5
    # the thesis variant uses maximal runs and does not depend on link order
    assert project_heuristic(8, entity, links, config=THESIS) == project_heuristic(
        8, entity, by_target, config=THESIS
    )


def test_unaligned_entity_projects_nothing_and_bad_links_raise() -> None:
    assert project_heuristic(3, [Span(0, 1, "PER")], [(1, 0)]) == ["O"] * 3
    with pytest.raises(ValueError, match="outside"):
        project_heuristic(3, [Span(0, 1, "PER")], [(0, 3)])


def test_batch_matches_single_calls() -> None:
    inp = ProjectionInput(["a", "b", "c"], [Span(0, 1, "PER")], [(0, 1)], src_tokens=["x"])
    assert project_heuristic_batch([inp, inp]) == [["O", "B-PER", "O"]] * 2
    assert tags_to_spans(project_heuristic_batch([inp])[0]) == [Span(1, 2, "PER")]


def test_invalid_config_is_rejected() -> None:
    with pytest.raises(ValueError):
        HeuristicConfig(variant="nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        HeuristicConfig(top_k=0)
