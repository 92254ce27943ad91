"""Entity-candidate matching: the greedy algorithm and the exact ILP (thesis §4.4–4.6, paper §3.2).

Both maximise Σ c[p,t]·x[p,t] subject to a per-entity count constraint (``CountConstraint``: ≤, =, ≥ n,
strict < / > mapped to ≤ n−1 / ≥ n+1) and non-overlap of the chosen candidates.

Greedy (``greedy_match``): repeat while the largest remaining score is > 0: take the global maximum (ties:
lowest entity, then lowest candidate index), zero the entity's row once its count limit is reached, zero the
chosen candidate's column and every overlapping candidate's column for all entities. With "≤ 1" this is the
paper's "argmax" and the thesis GREEDY as run (both agree). The thesis code has two quirks, reproduced with
``thesis_quirks=True``: "≤ n" zeroes the row after the first projection for any n ≥ 1 (so ≤2 acts like ≤1)
and never for n = 0; "< n" does not check the first pick (so "< 1" still allows one). Default: the correct
semantics (≤ n allows n projections; < n ≡ ≤ n−1). Greedy may violate the lower side of =, ≥, >.

Exact (``exact_match``): entities and candidates whose scores are all zero are dropped first (thesis §4.4),
then a PuLP ILP is solved with CBC (bundled, default) or HiGHS (``solver="highs"``). Non-overlap uses one
clique constraint per target word, Σ_{t ∋ w} Σ_p x[p,t] ≤ 1: for intervals this is equivalent to the
thesis's pairwise constraints and has a tighter LP relaxation. Without a lower bound on the count only
positive scores get variables (a zero-score variable cannot improve the objective); with a lower bound
every remaining (entity, candidate) pair does, as in the thesis. When the count has no lower bound and the
greedy objective reaches a valid upper bound (min of Σ_p best-``hi`` row scores and the maximum-weight
non-overlapping set under max_p c[p,t]), the greedy solution is provably optimal and the solver is skipped.
An infeasible model gives no projections and status ``"infeasible"``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .candidates import Candidates

Op = Literal["<", "<=", "==", ">=", ">"]
Status = Literal["optimal", "greedy", "infeasible"]


@dataclass(frozen=True)
class CountConstraint:
    """Per-entity projection count constraint ``Σ_t x[p,t] op n``; the paper and thesis runs use ``<= 1``."""

    op: Op = "<="
    n: int = 1

    def __post_init__(self) -> None:
        if self.op not in ("<", "<=", "==", ">=", ">") or self.n < 0:
            raise ValueError(f"invalid count constraint {self.op} {self.n}")

    def bounds(self) -> tuple[int, int | None]:
        """(lowest, highest) allowed count; highest ``None`` = unlimited; ``hi < lo`` means infeasible."""
        return {
            "<": (0, self.n - 1),
            "<=": (0, self.n),
            "==": (self.n, self.n),
            ">=": (self.n, None),
            ">": (self.n + 1, None),
        }[self.op]


@dataclass(frozen=True)
class Matching:
    """Chosen ``(entity index, candidate index)`` pairs (in selection order for greedy), objective, status."""

    pairs: list[tuple[int, int]]
    objective: float
    status: Status


def greedy_match(
    scores: np.ndarray,
    cands: Candidates,
    constraint: CountConstraint = CountConstraint(),
    *,
    thesis_quirks: bool = False,
) -> Matching:
    """The greedy matching of thesis §4.6 / paper §3.2 (see the module docstring)."""
    n_ent, n_cand = scores.shape
    if n_cand != len(cands):
        raise ValueError(f"score matrix has {n_cand} columns for {len(cands)} candidates")
    work = np.array(scores, dtype=np.float64, copy=True)
    lo, hi = constraint.bounds()
    if not thesis_quirks and hi is not None and hi <= 0:
        return Matching([], 0.0, "greedy")
    counts = np.zeros(n_ent, dtype=np.int64)
    pairs: list[tuple[int, int]] = []
    objective = 0.0
    flat = work.reshape(-1)
    while flat.size:
        best = int(np.argmax(flat))
        value = flat[best]
        if not value > 0:
            break
        ent, cand = divmod(best, n_cand)
        pairs.append((ent, cand))
        objective += float(value)
        counts[ent] += 1
        if _row_done(int(counts[ent]), constraint, hi, thesis_quirks):
            work[ent] = 0.0
        start, end = cands.starts[cand], cands.ends[cand]
        work[:, (cands.starts < end) & (cands.ends > start)] = 0.0
    return Matching(pairs, objective, "greedy")


def _row_done(count: int, constraint: CountConstraint, hi: int | None, thesis_quirks: bool) -> bool:
    """Whether an entity with ``count`` projections may take no more."""
    if thesis_quirks and constraint.op == "<=":
        return count <= constraint.n
    if thesis_quirks and constraint.op == "<":
        return not count + 1 < constraint.n
    return hi is not None and count >= hi


def _interval_mwis(weights: np.ndarray, cands: Candidates) -> float:
    """Maximum total weight of pairwise non-overlapping candidates (weighted interval scheduling)."""
    n_words = int(cands.ends.max())
    best_until = np.zeros(n_words + 1)
    order = np.argsort(cands.ends, kind="stable")
    pos = 0
    for word in range(1, n_words + 1):
        best_until[word] = best_until[word - 1]
        while pos < len(order) and cands.ends[order[pos]] == word:
            t = order[pos]
            best_until[word] = max(best_until[word], best_until[cands.starts[t]] + weights[t])
            pos += 1
    return float(best_until[n_words])


def _greedy_is_optimal(objective: float, scores: np.ndarray, cands: Candidates, hi: int | None) -> bool:
    """Whether ``objective`` reaches a valid upper bound of the optimum (count without lower bound): the
    sum of each entity's ``hi`` best scores, or else the best non-overlapping set under max_p c[p,t]."""

    def reaches(bound: float) -> bool:
        return objective >= bound - 1e-9 * max(1.0, bound)

    if hi is not None and reaches(float((-np.sort(-scores, axis=1)[:, :hi]).sum())):
        return True
    return reaches(_interval_mwis(scores.max(axis=0), cands))


def _undominated(eligible: np.ndarray, scores: np.ndarray, cands: Candidates) -> np.ndarray:
    """Mask of the eligible (entity, candidate) pairs that no strict sub-span beats or ties.

    If candidate t' lies strictly inside t and c[p,t'] >= c[p,t], any solution using (p, t) stays feasible
    and no worse with (p, t') instead (whatever overlaps t' overlaps t), so (p, t) can be dropped without
    losing every optimum. Computed by a max over sub-spans, one span length at a time.
    """
    offset = int(cands.starts.min())
    width = int(cands.ends.max()) - offset
    n_ent = scores.shape[0]
    table = np.full((n_ent, width + 1, width + 1), -np.inf)
    rows, cols = np.nonzero(eligible)
    table[rows, cands.starts[cols] - offset, cands.ends[cols] - offset] = scores[rows, cols]
    best_inside = table.copy()  # becomes the max over all sub-spans (including the span itself)
    strict = np.full_like(table, -np.inf)
    for length in range(2, width + 1):
        s = np.arange(width + 1 - length)
        e = s + length
        strict[:, s, e] = np.maximum(best_inside[:, s + 1, e], best_inside[:, s, e - 1])
        best_inside[:, s, e] = np.maximum(table[:, s, e], strict[:, s, e])
    keep = np.zeros_like(eligible)
    keep[rows, cols] = scores[rows, cols] > strict[rows, cands.starts[cols] - offset, cands.ends[cols] - offset]
    return keep


def _solve_ilp(
    scores: np.ndarray, cands: Candidates, lo: int, hi: int | None, solver: Literal["cbc", "highs"]
) -> tuple[list[tuple[int, int]], float] | None:
    """Solve the reduced ILP with PuLP; ``None`` when it is infeasible."""
    import pulp

    eligible = scores > 0 if lo == 0 else np.ones(scores.shape, dtype=bool)
    keep = _undominated(eligible, scores, cands)
    prob = pulp.LpProblem("projection", pulp.LpMaximize)
    ent_idx, cand_idx = np.nonzero(keep)
    x = {
        (p, t): prob.add_variable(f"x_{p}_{t}", cat=pulp.LpBinary)
        for p, t in zip(ent_idx.tolist(), cand_idx.tolist())
    }
    prob += pulp.LpAffineExpression([(var, float(scores[p, t])) for (p, t), var in x.items()])
    by_entity: dict[int, list[pulp.LpVariable]] = {p: [] for p in range(scores.shape[0])}
    by_cand: dict[int, list[pulp.LpVariable]] = {}
    for (p, t), var in x.items():
        by_entity[p].append(var)
        by_cand.setdefault(t, []).append(var)

    def total(variables: list[pulp.LpVariable]) -> pulp.LpAffineExpression:
        return pulp.LpAffineExpression([(var, 1.0) for var in variables])

    for p, variables in by_entity.items():
        if lo > 0:
            prob += total(variables) >= lo, f"count_lo_{p}"
        if hi is not None and len(variables) > hi:
            prob += total(variables) <= hi, f"count_hi_{p}"
    used = np.array(sorted(by_cand), dtype=np.int64)
    seen: set[tuple[int, ...]] = set()
    for word in range(int(cands.ends.max())):
        covering = tuple(used[(cands.starts[used] <= word) & (cands.ends[used] > word)].tolist())
        variables = [var for t in covering for var in by_cand[t]]
        if len(variables) > 1 and covering not in seen:
            seen.add(covering)
            prob += total(variables) <= 1, f"word_{word}"
    backend = pulp.PULP_CBC_CMD(msg=False) if solver == "cbc" else pulp.HiGHS(msg=False)
    prob.solve(backend)
    status = pulp.LpStatus[prob.status]
    if status == "Infeasible":
        return None
    if status != "Optimal":
        raise RuntimeError(f"ILP solver {solver} ended with status {status!r}")
    chosen = sorted(key for key, var in x.items() if var.value() is not None and var.value() > 0.5)
    return chosen, float(sum(scores[p, t] for p, t in chosen))


def exact_match(
    scores: np.ndarray,
    cands: Candidates,
    constraint: CountConstraint = CountConstraint(),
    *,
    solver: Literal["cbc", "highs"] = "cbc",
    certify_greedy: bool = True,
) -> Matching:
    """The optimal matching (see the module docstring); pairs are sorted by (entity, candidate)."""
    if scores.shape[1] != len(cands):
        raise ValueError(f"score matrix has {scores.shape[1]} columns for {len(cands)} candidates")
    if solver not in ("cbc", "highs"):
        raise ValueError(f"unknown ILP solver {solver!r}; use 'cbc' or 'highs'")
    lo, hi = constraint.bounds()
    if hi is not None and hi < lo:
        return Matching([], 0.0, "infeasible")
    rows = np.nonzero((scores > 0).any(axis=1))[0]
    cols = np.nonzero((scores > 0).any(axis=0))[0]
    if rows.size == 0 or cols.size == 0 or (hi is not None and hi == 0):
        return Matching([], 0.0, "optimal")
    reduced = np.asarray(scores, dtype=np.float64)[np.ix_(rows, cols)]
    sub = Candidates(cands.starts[cols], cands.ends[cols])
    if certify_greedy and lo == 0:
        greedy = greedy_match(reduced, sub, constraint)
        if _greedy_is_optimal(greedy.objective, reduced, sub, hi):
            chosen = sorted((int(rows[p]), int(cols[t])) for p, t in greedy.pairs)
            return Matching(chosen, greedy.objective, "optimal")
    solved = _solve_ilp(reduced, sub, lo, hi, solver)
    if solved is None:
        return Matching([], 0.0, "infeasible")
    chosen, objective = solved
    return Matching([(int(rows[p]), int(cols[t])) for p, t in chosen], objective, "optimal")


@dataclass(frozen=True)
class GreedyMatcher:
    """``greedy_match`` as a matcher object for ``project_candidates``."""

    constraint: CountConstraint = CountConstraint()
    thesis_quirks: bool = False

    def __call__(self, scores: np.ndarray, cands: Candidates) -> Matching:
        return greedy_match(scores, cands, self.constraint, thesis_quirks=self.thesis_quirks)


@dataclass(frozen=True)
class ExactMatcher:
    """``exact_match`` as a matcher object for ``project_candidates``."""

    constraint: CountConstraint = CountConstraint()
    solver: Literal["cbc", "highs"] = "cbc"
    certify_greedy: bool = True

    def __call__(self, scores: np.ndarray, cands: Candidates) -> Matching:
        return exact_match(
            scores, cands, self.constraint, solver=self.solver, certify_greedy=self.certify_greedy
        )
