"""Target candidate spans for candidate matching (thesis §4.2, paper §1.4).

Candidates are end-exclusive word spans ``[start, end)`` of the target sentence, held as two int arrays in
lexicographic (start, end) order without duplicates. That order is the official code's candidate order, so
greedy tie-breaking ("first in row-major order") is reproduced exactly.

Extractors are small frozen dataclasses called on a ``ProjectionInput``:

* ``NGramCandidates``: every span of 1..``max_len`` words (``None`` = unbounded, the paper; 10 in the
  thesis; 30 for ja/th/zh in the paper) that contains no stop-word token (default ``"!"``, ``"?"``).
* ``NERSpanCandidates``: the spans an NER model predicted on the target sentence (labels discarded).
* ``AlignedSubrangeCandidates``: per entity, every span of 1..``max_len`` words inside [leftmost, rightmost]
  target word aligned to it (thesis ``AlignedContiniousSubrangeExtractor``, the thesis "align" pipeline).
* ``AlignedMergeCandidates``: per entity, the maximal aligned runs (optionally all their sub-spans) plus, for
  every ordered pair of runs, the span from the first's start to the second's end (thesis
  ``AlignedSubrangeMergingExtractor``; unused in reported runs).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .inputs import ProjectionInput

DEFAULT_STOP_WORDS: frozenset[str] = frozenset({"!", "?"})


@dataclass(frozen=True)
class Candidates:
    """Candidate spans as parallel ``starts``/``ends`` int64 arrays, sorted by (start, end), unique."""

    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def from_spans(cls, spans: Iterable[tuple[int, int]]) -> Candidates:
        """Sort and deduplicate ``(start, end)`` pairs."""
        arr = np.array(sorted(set(spans)), dtype=np.int64).reshape(-1, 2)
        return cls(arr[:, 0].copy(), arr[:, 1].copy())

    def __len__(self) -> int:
        return int(self.starts.shape[0])

    def spans(self) -> list[tuple[int, int]]:
        """The candidates as a list of ``(start, end)`` tuples."""
        return list(zip(self.starts.tolist(), self.ends.tolist()))

    def without_stop_words(self, tokens: Sequence[str], stop_words: frozenset[str]) -> Candidates:
        """Drop every candidate containing a token from ``stop_words``."""
        if not stop_words or len(self) == 0:
            return self
        is_stop = np.fromiter((tok in stop_words for tok in tokens), dtype=np.int64, count=len(tokens))
        prefix = np.concatenate(([0], np.cumsum(is_stop)))
        keep = prefix[self.ends] == prefix[self.starts]
        return Candidates(self.starts[keep], self.ends[keep])


@lru_cache(maxsize=512)
def _span_grid(n_words: int, max_len: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Read-only (starts, ends) of every span of 1..``max_len`` words over ``n_words`` words."""
    starts, ends = np.triu_indices(n_words + 1, k=1)
    if max_len is not None:
        keep = ends - starts <= max_len
        starts, ends = starts[keep], ends[keep]
    starts, ends = starts.astype(np.int64), ends.astype(np.int64)
    starts.flags.writeable = False
    ends.flags.writeable = False
    return starts, ends


def all_spans(n_words: int, max_len: int | None = None, offset: int = 0) -> Candidates:
    """Every span of 1..``max_len`` words over ``n_words`` words starting at ``offset``, in candidate order."""
    starts, ends = _span_grid(n_words, max_len)
    return Candidates(starts + offset, ends + offset) if offset else Candidates(starts, ends)


def _aligned_targets(inp: ProjectionInput) -> list[list[int]]:
    """Target indices aligned to each entity, entity by entity."""
    by_src: dict[int, list[int]] = {}
    for src, tgt in inp.alignment:
        by_src.setdefault(src, []).append(tgt)
    return [[t for k in range(e.start, e.end) for t in by_src.get(k, ())] for e in inp.entities]


@dataclass(frozen=True)
class NGramCandidates:
    """All n-grams of the target sentence up to ``max_len`` words (``None``: unbounded) without stop words."""

    max_len: int | None = None
    stop_words: frozenset[str] = field(default=DEFAULT_STOP_WORDS)

    def __call__(self, inp: ProjectionInput) -> Candidates:
        cands = all_spans(len(inp.tgt_tokens), self.max_len)
        return cands.without_stop_words(inp.tgt_tokens, frozenset(self.stop_words))


@dataclass(frozen=True)
class NERSpanCandidates:
    """The target spans predicted by an NER model (``inp.ner_spans``), labels discarded."""

    def __call__(self, inp: ProjectionInput) -> Candidates:
        if inp.ner_spans is None:
            raise ValueError(f"sentence {inp.id!r}: NER-span candidates need ner_spans, which are missing")
        return Candidates.from_spans((s.start, s.end) for s in inp.ner_spans)


@dataclass(frozen=True)
class AlignedSubrangeCandidates:
    """Per entity, all spans of up to ``max_len`` words inside its aligned target hull; their union."""

    max_len: int | None = 10
    stop_words: frozenset[str] = field(default=DEFAULT_STOP_WORDS)

    def __call__(self, inp: ProjectionInput) -> Candidates:
        spans: set[tuple[int, int]] = set()
        for targets in _aligned_targets(inp):
            if targets:
                lo, hi = min(targets), max(targets) + 1
                spans.update(all_spans(hi - lo, self.max_len, offset=lo).spans())
        return Candidates.from_spans(spans).without_stop_words(inp.tgt_tokens, frozenset(self.stop_words))


@dataclass(frozen=True)
class AlignedMergeCandidates:
    """Per entity, maximal aligned runs (and optionally their sub-spans) plus every run-to-later-run merge."""

    subranges: bool = False
    stop_words: frozenset[str] = field(default=DEFAULT_STOP_WORDS)

    def __call__(self, inp: ProjectionInput) -> Candidates:
        spans: set[tuple[int, int]] = set()
        for targets in _aligned_targets(inp):
            marked = sorted(set(targets))
            runs: list[list[int]] = []
            for idx in marked:
                if runs and runs[-1][1] == idx:
                    runs[-1][1] = idx + 1
                else:
                    runs.append([idx, idx + 1])
            for i, (start, end) in enumerate(runs):
                if self.subranges:
                    spans.update(all_spans(end - start, None, offset=start).spans())
                else:
                    spans.add((start, end))
                spans.update((start, later_end) for _, later_end in runs[i + 1 :])
        return Candidates.from_spans(spans).without_stop_words(inp.tgt_tokens, frozenset(self.stop_words))
