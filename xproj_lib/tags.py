"""IOB2 tag handling: spans <-> tags, IOB1 -> IOB2, explicit repair of orphan I- tags."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from .types import Span


def spans_to_tags(spans: Sequence[Span], n_words: int) -> list[str]:
    """Render non-overlapping spans as IOB2 tags over ``n_words`` words."""
    tags = ["O"] * n_words
    for span in spans:
        if not 0 <= span.start < span.end <= n_words:
            raise ValueError(f"span {span} outside a sentence of {n_words} words")
        tags[span.start] = f"B-{span.label}"
        for i in range(span.start + 1, span.end):
            tags[i] = f"I-{span.label}"
    return tags


def tags_to_spans(tags: Sequence[str]) -> list[Span]:
    """Read entity spans from IOB2 tags; an ``I-X`` that does not continue an ``X`` span opens one."""
    spans: list[Span] = []
    start, label = -1, ""
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, typ = tag.partition("-")
        continues = prefix == "I" and typ == label and start >= 0
        if start >= 0 and not continues:
            spans.append(Span(start, i, label))
            start, label = -1, ""
        if prefix in ("B", "I") and not continues:
            start, label = i, typ
    return spans


def repair_iob2(tags: Sequence[str]) -> tuple[list[str], int]:
    """Turn every ``I-X`` not preceded by ``B-X``/``I-X`` into ``B-X``; return the tags and the repair count."""
    out: list[str] = []
    repairs = 0
    prev = "O"
    for tag in tags:
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            tag = "B-" + tag[2:]
            repairs += 1
        out.append(tag)
        prev = tag
    return out, repairs


def iob1_to_iob2(tags: Sequence[str]) -> list[str]:
    """Convert IOB1 (``I-`` opens an entity unless it continues one; ``B-`` only between same-type neighbours)."""
    return repair_iob2(tags)[0]


def keep_types(tags: Sequence[str], types: Iterable[str]) -> list[str]:
    """Map every tag whose entity type is not in ``types`` to ``O`` (e.g. MISC on MasakhaNER2, DATE at evaluation)."""
    allowed = set(types)
    return [tag if tag == "O" or tag[2:] in allowed else "O" for tag in tags]


def drop_types(tags: Sequence[str], types: Iterable[str]) -> list[str]:
    """Map every tag whose entity type is in ``types`` to ``O``."""
    dropped = set(types)
    return [tag if tag == "O" or tag[2:] not in dropped else "O" for tag in tags]
