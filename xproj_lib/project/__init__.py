"""Annotation projection: the word-alignment heuristic and candidate matching (greedy and exact ILP).

Typical use::

    from xproj_lib.project import ProjectionInput, project_heuristic, project_candidates, ExactMatcher
    inp = ProjectionInput(tgt_tokens, entities, alignment, src_tokens=src_tokens)  # links are (src, tgt)
    tags = project_heuristic(len(tgt_tokens), entities, alignment)          # paper heuristic
    result = project_candidates(inp)                                        # paper n-gram greedy
    exact = project_candidates(inp, matcher=ExactMatcher())                 # exact ILP (CBC)
    tags, n_dropped = restrict_labels(result.tags, output_labels={"PER", "ORG", "LOC"})
"""
from .candidates import (
    AlignedMergeCandidates,
    AlignedSubrangeCandidates,
    Candidates,
    NERSpanCandidates,
    NGramCandidates,
)
from .heuristic import HeuristicConfig, project_heuristic, project_heuristic_batch
from .inputs import ProjectionInput, WordProbs
from ..tags import restrict_labels
from .matching import CountConstraint, ExactMatcher, GreedyMatcher, Matching, exact_match, greedy_match
from .pipeline import CandidateProjection, project_candidates, project_candidates_batch
from .scores import (
    PRESETS,
    AlignmentScore,
    FusedScore,
    NERScore,
    PairScorer,
    SymmetricNMTScore,
    TranslationScore,
    build_preset,
)

__all__ = [
    "PRESETS",
    "AlignedMergeCandidates",
    "AlignedSubrangeCandidates",
    "AlignmentScore",
    "CandidateProjection",
    "Candidates",
    "CountConstraint",
    "ExactMatcher",
    "FusedScore",
    "GreedyMatcher",
    "HeuristicConfig",
    "Matching",
    "NERScore",
    "NERSpanCandidates",
    "NGramCandidates",
    "PairScorer",
    "ProjectionInput",
    "SymmetricNMTScore",
    "TranslationScore",
    "WordProbs",
    "build_preset",
    "exact_match",
    "greedy_match",
    "project_candidates",
    "project_candidates_batch",
    "project_heuristic",
    "project_heuristic_batch",
    "restrict_labels",
]
