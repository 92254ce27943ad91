"""Candidate-matching projection of one sentence or a corpus: extract, score, match, tag."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..tags import spans_to_tags
from ..types import Span
from .candidates import Candidates, NGramCandidates
from .inputs import ProjectionInput
from .matching import GreedyMatcher, Matching, Status
from .scores import AlignmentScore, Scorer

Extractor = Callable[[ProjectionInput], Candidates]
Matcher = Callable[[np.ndarray, Candidates], Matching]


@dataclass(frozen=True)
class CandidateProjection:
    """Projected IOB2 tags, the chosen ``(entity index, start, end)`` matches in matcher order, the
    objective and the matcher's status."""

    tags: list[str]
    matches: list[tuple[int, int, int]]
    objective: float
    status: Status


def project_candidates(
    inp: ProjectionInput,
    *,
    extractor: Extractor = NGramCandidates(),
    scorer: Scorer = AlignmentScore(),
    matcher: Matcher = GreedyMatcher(),
) -> CandidateProjection:
    """Project ``inp.entities`` onto candidates of ``inp.tgt_tokens``; the defaults are the paper's n-gram
    "argmax" run (unbounded n-grams without "!"/"?", alignment score, greedy ≤ 1)."""
    cands = extractor(inp)
    scores = scorer(inp, cands)
    matching = matcher(scores, cands)
    matches = [(p, int(cands.starts[t]), int(cands.ends[t])) for p, t in matching.pairs]
    spans = [Span(s, e, inp.entities[p].label) for p, s, e in matches]
    return CandidateProjection(spans_to_tags(spans, len(inp.tgt_tokens)), matches, matching.objective, matching.status)


def project_candidates_batch(
    inputs: Sequence[ProjectionInput],
    *,
    extractor: Extractor = NGramCandidates(),
    scorer: Scorer = AlignmentScore(),
    matcher: Matcher = GreedyMatcher(),
) -> tuple[list[CandidateProjection], Counter[str]]:
    """``project_candidates`` over a corpus; also returns how many sentences ended in each status
    (``"infeasible"`` sentences carry no projections)."""
    results = [project_candidates(inp, extractor=extractor, scorer=scorer, matcher=matcher) for inp in inputs]
    return results, Counter(r.status for r in results)
