"""Core data types shared along the whole data flow.

Spans are 0-based and end-exclusive over word indices everywhere in xproj.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A labelled word span ``[start, end)``."""

    start: int
    end: int
    label: str

    def __len__(self) -> int:
        return self.end - self.start


@dataclass
class Sentence:
    """One tokenised sentence with one IOB2 tag per token (tags may be all ``O`` for raw text)."""

    tokens: list[str]
    tags: list[str]
    id: str = ""

    def __post_init__(self) -> None:
        if len(self.tokens) != len(self.tags):
            raise ValueError(
                f"sentence {self.id!r}: {len(self.tokens)} tokens but {len(self.tags)} tags"
            )

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass
class ParallelPair:
    """A source/target segment pair, as raw text and optionally as words."""

    src: str
    tgt: str
    src_lang: str
    tgt_lang: str
    id: str = ""
    src_words: list[str] = field(default_factory=list)
    tgt_words: list[str] = field(default_factory=list)


def require_tokens(sentences: Sequence["Sentence"], what: str) -> None:
    """Reject an empty set of sentences, or a sentence without tokens, with an error naming ``what``."""
    if not sentences:
        raise ValueError(f"{what}: no sentences")
    for s in sentences:
        if not s.tokens:
            raise ValueError(f"{what}: sentence {s.id!r} has no tokens")


# Word alignment of one sentence pair: (source word index, target word index) links.
Alignment = list[tuple[int, int]]
