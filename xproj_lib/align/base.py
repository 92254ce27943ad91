"""The word-aligner interface, its result type and the content-keyed alignment cache."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from xproj_lib.cache import cached_json

# One sentence pair to align: (source words, target words).
WordPair = tuple[list[str], list[str]]


@dataclass(frozen=True)
class AlignmentResult:
    """Links ``(source word index, target word index)`` of one pair, sorted and unique.

    ``scores`` (one per link) is ``None`` for aligners without link scores. ``dropped_src`` and
    ``dropped_tgt`` count words past the encoder's sub-word limit, which get no links.
    """

    links: list[tuple[int, int]]
    scores: list[float] | None = None
    dropped_src: int = 0
    dropped_tgt: int = 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable form (see :meth:`from_json`)."""
        return {"links": [list(link) for link in self.links], "scores": self.scores,
                "dropped_src": self.dropped_src, "dropped_tgt": self.dropped_tgt}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> AlignmentResult:
        """Inverse of :meth:`to_json`."""
        return cls(links=[(int(i), int(j)) for i, j in obj["links"]], scores=obj["scores"],
                   dropped_src=int(obj["dropped_src"]), dropped_tgt=int(obj["dropped_tgt"]))


@dataclass
class Aligner(ABC):
    """Batched word aligner; results of :meth:`align` are cached on disk when ``cache`` is true."""

    cache: bool = field(default=True, kw_only=True)

    @abstractmethod
    def config(self) -> dict[str, Any]:
        """Everything that determines the output (the cache key besides the words)."""

    @abstractmethod
    def _align(self, pairs: list[WordPair]) -> list[AlignmentResult]:
        """Align validated pairs (no caching)."""

    def align(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[AlignmentResult]:
        """Align each (source words, target words) pair; links index words of the given lists."""
        checked = validate_pairs(pairs)
        if not checked:
            return []
        if not self.cache:
            return check_results(checked, self._align(checked))
        key = {"aligner": self.config(), "pairs": checked}
        raw = cached_json("alignments", key,
                          lambda: [r.to_json() for r in check_results(checked, self._align(checked))])
        return [AlignmentResult.from_json(item) for item in raw]


def validate_pairs(pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[WordPair]:
    """Lists of words as plain lists; a clear error names the first malformed pair."""
    checked: list[WordPair] = []
    for n, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"pair {n}: expected (source words, target words), got {pair!r:.80}")
        sides = []
        for side, words in zip(("source", "target"), pair):
            if isinstance(words, str) or not all(isinstance(w, str) for w in words):
                raise ValueError(f"pair {n}: {side} must be a list of word strings, got {words!r:.80}")
            sides.append(list(words))
        checked.append((sides[0], sides[1]))
    return checked


def check_results(pairs: list[WordPair], results: list[AlignmentResult]) -> list[AlignmentResult]:
    """Fail loudly if an aligner returned the wrong number of results or links out of bounds."""
    if len(results) != len(pairs):
        raise RuntimeError(f"aligner returned {len(results)} results for {len(pairs)} pairs")
    for n, ((src, tgt), result) in enumerate(zip(pairs, results)):
        bad = [(i, j) for i, j in result.links if not (0 <= i < len(src) and 0 <= j < len(tgt))]
        if bad:
            raise RuntimeError(f"pair {n}: links out of bounds {bad[:5]} for {len(src)}x{len(tgt)} words")
    return results


def links_with_scores(best: dict[tuple[int, int], float]) -> AlignmentResult:
    """An :class:`AlignmentResult` from ``{(i, j): score}``, sorted by link."""
    links = sorted(best)
    return AlignmentResult(links=links, scores=[float(best[link]) for link in links])
