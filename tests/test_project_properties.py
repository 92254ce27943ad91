"""Property tests on random sentences: valid, non-overlapping projections; greedy ≤ exact optimum."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xproj_lib.project import (
    CountConstraint,
    ExactMatcher,
    GreedyMatcher,
    HeuristicConfig,
    NGramCandidates,
    ProjectionInput,
    exact_match,
    greedy_match,
    project_candidates,
    project_heuristic,
)
from xproj_lib.project.scores import AlignmentScore
from xproj_lib.tags import tags_to_spans
from xproj_lib.types import Span

LABELS = ("PER", "ORG", "LOC", "MISC")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def sentences(draw: st.DrawFn) -> ProjectionInput:
    """A random target sentence (with an occasional "!"), source entities and alignment links."""
    n_tgt = draw(st.integers(1, 14))
    n_src = draw(st.integers(1, 12))
    tokens = [draw(st.sampled_from(["w", "x", "y", "!"])) for _ in range(n_tgt)]
    bounds = sorted(draw(st.sets(st.integers(0, n_src), max_size=8)))
    entities = [
        Span(a, b, draw(st.sampled_from(LABELS))) for a, b in zip(bounds[::2], bounds[1::2]) if a < b
    ]
    links = draw(st.lists(st.tuples(st.integers(0, n_src - 1), st.integers(0, n_tgt - 1)), max_size=25, unique=True))
    return ProjectionInput(tokens, entities, links, src_tokens=["s"] * n_src)


def _check_spans(spans: list[tuple[int, int, str]], n_tgt: int, labels: set[str]) -> None:
    covered: set[int] = set()
    for start, end, label in spans:
        assert 0 <= start < end <= n_tgt and label in labels
        assert covered.isdisjoint(range(start, end))
        covered.update(range(start, end))


@SETTINGS
@given(sentences(), st.sampled_from(["greedy", "cbc", "highs", "dp"]))
def test_candidate_projection_is_valid(inp: ProjectionInput, method: str) -> None:
    matcher = GreedyMatcher() if method == "greedy" else ExactMatcher(solver=method)
    result = project_candidates(inp, matcher=matcher)
    labels = {e.label for e in inp.entities}
    _check_spans([(s, e, inp.entities[p].label) for p, s, e in result.matches], len(inp.tgt_tokens), labels)
    assert "!" not in {tok for _, s, e in result.matches for tok in inp.tgt_tokens[s:e]}
    assert len({p for p, _, _ in result.matches}) == len(result.matches)  # ≤ 1 span per entity
    assert {(s.start, s.end) for s in tags_to_spans(result.tags)} == {(s, e) for _, s, e in result.matches}


@SETTINGS
@given(sentences(), st.sampled_from(["paper", "thesis"]))
def test_heuristic_tags_come_from_source_entities(inp: ProjectionInput, variant: str) -> None:
    tags = project_heuristic(len(inp.tgt_tokens), inp.entities, inp.alignment,
                             config=HeuristicConfig(variant=variant))  # type: ignore[arg-type]
    assert len(tags) == len(inp.tgt_tokens)
    assert {tag[2:] for tag in tags if tag != "O"} <= {e.label for e in inp.entities}
    if variant == "thesis":  # no overwriting: every span starts with B-
        assert all(tag[0] != "I" or prev[2:] == tag[2:] for prev, tag in zip(["O", *tags], tags))


@SETTINGS
@given(sentences(), st.sampled_from([("<=", 1), ("<=", 2), ("<", 3), ("<=", 0)]), st.sampled_from(["cbc", "highs"]))
def test_greedy_objective_never_exceeds_the_optimum(inp: ProjectionInput, op_n: tuple[str, int], solver: str) -> None:
    cands = NGramCandidates()(inp)
    scores = AlignmentScore()(inp, cands)
    constraint = CountConstraint(*op_n)  # type: ignore[arg-type]
    greedy = greedy_match(scores, cands, constraint)
    certified = exact_match(scores, cands, constraint, solver=solver)  # type: ignore[arg-type]
    solved = exact_match(scores, cands, constraint, solver=solver, certify_greedy=False)  # type: ignore[arg-type]
    assert greedy.objective <= solved.objective + 1e-9
    assert np.isclose(certified.objective, solved.objective)
    hi = constraint.bounds()[1]
    for result in (greedy, solved):
        counts = np.bincount([p for p, _ in result.pairs], minlength=len(inp.entities))
        assert hi is None or counts.max(initial=0) <= hi


@SETTINGS
@given(st.lists(st.floats(0.01, 1.0), min_size=1, max_size=6), st.integers(1, 12))
def test_single_entity_greedy_equals_exact_with_leq_one(weights: list[float], n_words: int) -> None:
    inp = ProjectionInput(["w"] * n_words, [Span(0, 1, "PER")], [])
    cands = NGramCandidates(max_len=3)(inp)
    scores = np.zeros((1, len(cands)))
    scores[0, : min(len(weights), len(cands))] = weights[: len(cands)]
    assert np.isclose(greedy_match(scores, cands).objective, exact_match(scores, cands, certify_greedy=False).objective)
