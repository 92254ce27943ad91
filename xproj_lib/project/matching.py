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
then a PuLP ILP is solved with CBC (bundled, default) or HiGHS (``solver="highs"``). Reductions, each keeping
at least one optimum:
* a pair (p, t) is dropped when a candidate strictly inside t scores at least as much for p (any solution
  using t stays feasible and no worse with the inner candidate);
* without a lower bound on the count only positive scores get variables; with one, every remaining pair
  does, as in the thesis (so "= 1" may force a zero-score projection);
* non-overlap is one clique constraint per target word, Σ_{t ∋ w} Σ_p x[p,t] ≤ 1: for intervals this is
  equivalent to the thesis's pairwise constraints, with a tighter LP relaxation;
* without a lower bound on the count, the greedy answer is returned when it reaches a valid upper bound
  (min of Σ_p best-``hi`` row scores and the best non-overlapping set under max_p c[p,t]), for the whole
  sentence or for each independent group of entities (linked through overlapping kept candidates); only
  the remaining groups go to the solver (``certify_greedy=False`` sends everything).
``solver="dp"`` (only for "≤ 1") solves each remaining group of at most ``DP_MAX_ENTITIES`` entities by
exact dynamic programming over candidate end points and used-entity sets instead, and larger groups with
the CBC ILP. An infeasible model gives no projections and status ``"infeasible"``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .candidates import Candidates

Op = Literal["<", "<=", "==", ">=", ">"]
Solver = Literal["cbc", "highs", "dp"]
DP_MAX_ENTITIES = 12
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
    scores = np.asarray(scores, dtype=np.float64)
    counts = np.zeros(n_ent, dtype=np.int64)
    pairs: list[tuple[int, int]] = []
    objective = 0.0
    hi = constraint.bounds()[1]
    if n_ent == 0 or n_cand == 0 or (not thesis_quirks and hi is not None and hi <= 0):
        return Matching(pairs, objective, "greedy")
    # Each row's best remaining (value, first column): the global row-major first maximum is then the first
    # row with the largest best value. Zeroing columns only invalidates rows whose best column was zeroed.
    alive = np.ones(n_cand, dtype=bool)
    open_rows = np.ones(n_ent, dtype=bool)
    best_col = scores.argmax(axis=1)
    best_val = scores[np.arange(n_ent), best_col]
    while True:
        ent = int(np.argmax(best_val))
        value = best_val[ent]
        if not value > 0:
            break
        cand = int(best_col[ent])
        pairs.append((ent, cand))
        objective += float(value)
        counts[ent] += 1
        if _row_done(int(counts[ent]), constraint, hi, thesis_quirks):
            open_rows[ent] = False
            best_val[ent] = 0.0
        start, end = cands.starts[cand], cands.ends[cand]
        overlapping = (cands.starts < end) & (cands.ends > start)
        alive &= ~overlapping
        for row in np.nonzero(open_rows & overlapping[best_col])[0]:
            remaining = np.where(alive, scores[row], 0.0)
            best_col[row] = int(np.argmax(remaining))
            best_val[row] = remaining[best_col[row]]
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

    if hi is not None:
        best = scores if hi >= scores.shape[1] else -np.partition(-scores, hi - 1, axis=1)[:, :hi]
        if reaches(float(best.sum())):
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


def _components(keep: np.ndarray, cands: Candidates) -> list[np.ndarray]:
    """Groups of entities linked through overlapping kept candidates (independent sub-problems)."""
    n_ent = keep.shape[0]
    n_words = int(cands.ends.max())
    coverage = np.zeros((n_ent, n_words + 1), dtype=np.int64)
    rows, cols = np.nonzero(keep)
    np.add.at(coverage, (rows, cands.starts[cols]), 1)
    np.add.at(coverage, (rows, cands.ends[cols]), -1)
    covers = np.cumsum(coverage, axis=1)[:, :n_words] > 0
    parent = list(range(n_ent))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for word in np.nonzero(covers.sum(axis=0) > 1)[0]:
        first, *others = np.nonzero(covers[:, word])[0].tolist()
        for other in others:
            parent[root(other)] = root(first)
    groups: dict[int, list[int]] = {}
    for i in range(n_ent):
        groups.setdefault(root(i), []).append(i)
    return [np.array(g) for g in groups.values()]


def _solve_dp(scores: np.ndarray, cands: Candidates) -> list[tuple[int, int]]:
    """Exact "≤ 1" matching by dynamic programming over candidate end points and the set of used entities.

    best[i][m] = the best total of non-overlapping candidates ending at or before point i, using only
    entities in the set m; O(|pairs| · 2^|entities|), so only for small independent groups.
    """
    n_ent = scores.shape[0]
    points = np.unique(np.concatenate([cands.starts, cands.ends]))
    start_at = np.searchsorted(points, cands.starts)
    end_at = np.searchsorted(points, cands.ends)
    masks = np.arange(1 << n_ent)
    best = np.zeros((len(points), 1 << n_ent))
    choice = np.full((len(points), 1 << n_ent, 2), -1, dtype=np.int64)  # (entity, candidate) or -1: skip
    order = np.argsort(end_at, kind="stable")
    pos = 0
    for i in range(1, len(points)):
        best[i] = best[i - 1]
        while pos < len(order) and end_at[order[pos]] == i:
            t = int(order[pos])
            for p in np.nonzero(scores[:, t] > 0)[0]:
                with_p = masks[(masks >> p) & 1 == 1]
                value = best[start_at[t], with_p ^ (1 << p)] + scores[p, t]
                better = value > best[i, with_p]
                best[i, with_p[better]] = value[better]
                choice[i, with_p[better]] = (p, t)
            pos += 1
    pairs: list[tuple[int, int]] = []
    i, m = len(points) - 1, (1 << n_ent) - 1
    while i > 0:
        p, t = choice[i, m]
        if p < 0:
            i -= 1
        else:
            pairs.append((int(p), int(t)))
            i, m = int(start_at[t]), m ^ (1 << int(p))
    return sorted(pairs)


def _solve_ilp(
    scores: np.ndarray, cands: Candidates, keep: np.ndarray, lo: int, hi: int | None, solver: Literal["cbc", "highs"]
) -> tuple[list[tuple[int, int]], float] | None:
    """Solve the ILP over the (entity, candidate) variables in ``keep`` with PuLP; ``None`` if infeasible."""
    import pulp

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
    solver: Solver = "cbc",
    certify_greedy: bool = True,
) -> Matching:
    """The optimal matching (see the module docstring); pairs are sorted by (entity, candidate)."""
    if scores.shape[1] != len(cands):
        raise ValueError(f"score matrix has {scores.shape[1]} columns for {len(cands)} candidates")
    if solver not in ("cbc", "highs", "dp"):
        raise ValueError(f"unknown exact solver {solver!r}; use 'cbc', 'highs' or 'dp'")
    lo, hi = constraint.bounds()
    if solver == "dp" and (lo, hi) != (0, 1):
        raise ValueError(f"the 'dp' solver handles only '<= 1' (or '< 2'), not {constraint.op} {constraint.n}")
    if hi is not None and hi < lo:
        return Matching([], 0.0, "infeasible")
    rows = np.nonzero((scores > 0).any(axis=1))[0]
    cols = np.nonzero((scores > 0).any(axis=0))[0]
    if rows.size == 0 or cols.size == 0 or (hi is not None and hi == 0):
        return Matching([], 0.0, "optimal")
    reduced = np.asarray(scores, dtype=np.float64)[np.ix_(rows, cols)]
    sub = Candidates(cands.starts[cols], cands.ends[cols])
    certified: list[tuple[int, int]] = []
    if certify_greedy and lo == 0:
        greedy = greedy_match(reduced, sub, constraint)
        if _greedy_is_optimal(greedy.objective, reduced, sub, hi):
            return Matching(sorted((int(rows[p]), int(cols[t])) for p, t in greedy.pairs), greedy.objective, "optimal")
    keep = _undominated(reduced > 0 if lo == 0 else np.ones(reduced.shape, dtype=bool), reduced, sub)
    if lo == 0 and (certify_greedy or solver == "dp"):  # independent sub-problems one by one
        kept_scores = np.where(keep, reduced, 0.0)
        for group in _components(keep, sub):
            group_cols = np.nonzero(keep[group].any(axis=0))[0]
            part = kept_scores[np.ix_(group, group_cols)]
            part_cands = Candidates(sub.starts[group_cols], sub.ends[group_cols])
            greedy = greedy_match(part, part_cands, constraint) if certify_greedy else None
            if greedy is not None and _greedy_is_optimal(greedy.objective, part, part_cands, hi):
                chosen_part = greedy.pairs
            elif solver == "dp" and len(group) <= DP_MAX_ENTITIES:
                chosen_part = _solve_dp(part, part_cands)
            else:
                continue
            certified.extend((int(group[p]), int(group_cols[t])) for p, t in chosen_part)
            keep[group] = False
    ilp_solver = "cbc" if solver == "dp" else solver
    solved = _solve_ilp(reduced, sub, keep, lo, hi, ilp_solver) if keep.any() else ([], 0.0)
    if solved is None:
        return Matching([], 0.0, "infeasible")
    chosen = sorted(certified + solved[0])
    objective = float(sum(reduced[p, t] for p, t in chosen))
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
    solver: Solver = "cbc"
    certify_greedy: bool = True

    def __call__(self, scores: np.ndarray, cands: Candidates) -> Matching:
        return exact_match(
            scores, cands, self.constraint, solver=self.solver, certify_greedy=self.certify_greedy
        )
