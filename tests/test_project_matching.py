"""Greedy and exact (PuLP ILP) matching: semantics, the thesis quirks, where they agree and where not."""
from __future__ import annotations

import numpy as np
import pytest

from xproj_lib.project import (
    Candidates,
    CountConstraint,
    ExactMatcher,
    GreedyMatcher,
    ProjectionInput,
    exact_match,
    greedy_match,
    project_candidates,
    project_candidates_batch,
)
from xproj_lib.types import Span

SOLVERS = ("cbc", "highs")

# the thesis counter-example: candidates (1,2), (2,3), (3,5) inclusive = [1,3), [2,4), [3,6) exclusive
COUNTER_CANDS = Candidates.from_spans([(1, 3), (2, 4), (3, 6)])
COUNTER_SCORES = np.array([[0.2, 0.3, 0.2]])


def test_constraint_bounds_map_strict_to_non_strict() -> None:
    assert CountConstraint("<", 2).bounds() == (0, 1)
    assert CountConstraint(">", 0).bounds() == (1, None)
    assert CountConstraint("==", 1).bounds() == (1, 1)
    with pytest.raises(ValueError):
        CountConstraint("!=", 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("solver", SOLVERS)
def test_thesis_counter_example_greedy_point_three_optimum_point_four(solver: str) -> None:
    le2 = CountConstraint("<=", 2)
    greedy = greedy_match(COUNTER_SCORES, COUNTER_CANDS, le2)
    assert greedy.pairs == [(0, 1)] and greedy.objective == pytest.approx(0.3)
    exact = exact_match(COUNTER_SCORES, COUNTER_CANDS, le2, solver=solver)
    assert exact.pairs == [(0, 0), (0, 2)] and exact.objective == pytest.approx(0.4)
    assert exact.status == "optimal"


def test_greedy_leq_quirk_is_a_switch() -> None:
    scores = np.array([[0.5, 0.4]])
    cands = Candidates.from_spans([(0, 1), (2, 3)])
    le2 = CountConstraint("<=", 2)
    assert greedy_match(scores, cands, le2).pairs == [(0, 0), (0, 1)]
    assert greedy_match(scores, cands, le2, thesis_quirks=True).pairs == [(0, 0)]  # "≤2" acts like "≤1"
    le0 = CountConstraint("<=", 0)
    assert greedy_match(scores, cands, le0).pairs == []
    assert greedy_match(scores, cands, le0, thesis_quirks=True).pairs == [(0, 0), (0, 1)]  # unlimited
    lt1 = CountConstraint("<", 1)
    assert greedy_match(scores, cands, lt1).pairs == []
    assert greedy_match(scores, cands, lt1, thesis_quirks=True).pairs == [(0, 0)]  # first pick unchecked
    # "≤ 1", the paper's and thesis's setting, is identical either way
    le1 = CountConstraint("<=", 1)
    assert greedy_match(scores, cands, le1).pairs == greedy_match(scores, cands, le1, thesis_quirks=True).pairs


def test_greedy_geq_takes_every_remaining_positive_candidate_and_eq_stops_at_n() -> None:
    scores = np.array([[0.5, 0.4, 0.3]])
    cands = Candidates.from_spans([(0, 1), (1, 2), (2, 3)])
    assert len(greedy_match(scores, cands, CountConstraint(">=", 1)).pairs) == 3
    assert len(greedy_match(scores, cands, CountConstraint("==", 2)).pairs) == 2


def test_greedy_ties_take_lowest_entity_then_lowest_candidate_and_remove_overlaps() -> None:
    scores = np.array([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]])
    cands = Candidates.from_spans([(0, 2), (1, 3), (3, 4)])
    result = greedy_match(scores, cands)
    assert result.pairs == [(0, 0), (1, 2)]  # candidate 1 overlaps candidate 0


def test_greedy_is_suboptimal_on_a_crossed_assignment() -> None:
    scores = np.array([[1.0, 0.9], [0.8, 0.0]])
    cands = Candidates.from_spans([(0, 1), (2, 3)])
    assert greedy_match(scores, cands).objective == pytest.approx(1.0)
    exact = exact_match(scores, cands)
    assert exact.pairs == [(0, 1), (1, 0)] and exact.objective == pytest.approx(1.7)


@pytest.mark.parametrize("solver", SOLVERS)
def test_agreement_single_entity_and_dominant_non_overlapping_pairing(solver: str) -> None:
    cands = Candidates.from_spans([(0, 1), (0, 2), (1, 3), (4, 6)])
    single = np.array([[0.3, 0.9, 0.5, 0.2]])
    for certify in (True, False):
        assert exact_match(single, cands, solver=solver, certify_greedy=certify).pairs == [(0, 1)]
    assert greedy_match(single, cands).pairs == [(0, 1)]
    dominant = np.array([[0.9, 0.0, 0.0, 0.1], [0.1, 0.0, 0.0, 0.8]])
    greedy = greedy_match(dominant, cands)
    exact = exact_match(dominant, cands, solver=solver, certify_greedy=False)
    assert sorted(greedy.pairs) == exact.pairs == [(0, 0), (1, 3)]
    assert greedy.objective == pytest.approx(exact.objective)


@pytest.mark.parametrize("solver", SOLVERS)
def test_infeasible_equality_gives_no_projection(solver: str) -> None:
    scores = np.array([[0.7, 0.0], [0.6, 0.0], [0.0, 0.0]])  # both entities can only use candidate 0
    cands = Candidates.from_spans([(0, 2), (1, 3)])
    result = exact_match(scores, cands, CountConstraint("==", 1), solver=solver)
    assert result.status == "infeasible" and result.pairs == []
    # with "≤ 1" it is feasible and takes the better entity; zero rows/columns are dropped
    assert exact_match(scores, cands, solver=solver).pairs == [(0, 0)]


@pytest.mark.parametrize("solver", SOLVERS)
def test_equality_may_force_a_zero_score_pair_and_geq_projects_as_much_as_possible(solver: str) -> None:
    scores = np.array([[0.9, 0.0], [0.8, 0.1]])
    cands = Candidates.from_spans([(0, 1), (1, 2)])
    eq = exact_match(scores, cands, CountConstraint("==", 1), solver=solver)
    assert eq.pairs == [(0, 0), (1, 1)] and eq.objective == pytest.approx(1.0)
    geq = exact_match(np.array([[0.5, 0.4, 0.3]]), Candidates.from_spans([(0, 1), (1, 2), (2, 3)]),
                      CountConstraint(">=", 1), solver=solver)
    assert geq.pairs == [(0, 0), (0, 1), (0, 2)]
    assert exact_match(COUNTER_SCORES, COUNTER_CANDS, CountConstraint(">", 0), solver=solver).objective == (
        pytest.approx(0.4))


def test_strict_less_than_one_projects_nothing() -> None:
    assert exact_match(COUNTER_SCORES, COUNTER_CANDS, CountConstraint("<", 1)).pairs == []


def test_bad_shapes_and_solver_names_raise() -> None:
    with pytest.raises(ValueError, match="columns"):
        greedy_match(np.zeros((1, 2)), COUNTER_CANDS)
    with pytest.raises(ValueError, match="solver"):
        exact_match(COUNTER_SCORES, COUNTER_CANDS, solver="gurobi")  # type: ignore[arg-type]


def test_project_candidates_tags_matches_and_batch_status_counts() -> None:
    inp = ProjectionInput(["der", "Herr", "Wurtz", "!"], [Span(1, 2, "PER")], [(1, 1), (1, 2), (0, 0)],
                          src_tokens=["Mr", "Wurtz"])
    result = project_candidates(inp)
    assert result.tags == ["O", "B-PER", "I-PER", "O"] and result.matches == [(0, 1, 3)]
    exact = project_candidates(inp, matcher=ExactMatcher())
    assert exact.tags == result.tags and exact.status == "optimal"
    results, statuses = project_candidates_batch([inp, inp], matcher=GreedyMatcher())
    assert [r.tags for r in results] == [result.tags] * 2 and statuses == {"greedy": 2}


def test_greedy_accepts_any_memory_layout() -> None:
    rng = np.random.default_rng(0)
    scores = rng.random((4, 10)) * (rng.random((4, 10)) > 0.5)
    cands = Candidates.from_spans([(s, s + 1 + s % 3) for s in range(10)])
    assert greedy_match(np.asfortranarray(scores), cands) == greedy_match(np.ascontiguousarray(scores), cands)


def test_dp_solver_equals_the_ilp_and_rejects_other_constraints() -> None:
    rng = np.random.default_rng(3)
    for _ in range(30):
        n_words = int(rng.integers(3, 12))
        starts = rng.integers(0, n_words, 8)
        cands = Candidates.from_spans({(int(s), int(s) + int(rng.integers(1, 4))) for s in starts})
        scores = np.round(rng.random((int(rng.integers(1, 5)), len(cands))) * (rng.random((1, len(cands))) > 0.3), 2)
        ilp = exact_match(scores, cands, solver="highs", certify_greedy=False)
        dp = exact_match(scores, cands, solver="dp", certify_greedy=False)
        assert dp.objective == pytest.approx(ilp.objective)
        assert len({p for p, _ in dp.pairs}) == len(dp.pairs)
    lt2 = CountConstraint("<", 2)
    assert exact_match(COUNTER_SCORES, COUNTER_CANDS, lt2, solver="dp").objective == pytest.approx(0.3)
    with pytest.raises(ValueError, match="dp"):
        exact_match(COUNTER_SCORES, COUNTER_CANDS, CountConstraint("<=", 2), solver="dp")
