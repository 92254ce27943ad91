"""IOB2 tag handling: spans <-> tags, IOB1 -> IOB2, explicit repair of orphan I- tags, output label sets.

The paper keeps every source class (MISC included) through projection and maps classes outside the dataset's
label set to ``O`` only when writing the output (MasakhaNER2 and PAN-X lack MISC); evaluation maps ignored
classes (DATE on MasakhaNER2) to ``O`` on both sides. ``restrict_labels`` does both, and counts what it changed.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence

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


def restrict_labels(
    tags: Sequence[str],
    output_labels: Collection[str] | None = None,
    drop_labels: Collection[str] = (),
) -> tuple[list[str], int]:
    """Map ``B-X``/``I-X`` to ``O`` when class X is not in ``output_labels`` (``None``: all) or is in
    ``drop_labels``; return the new tags and the number of tags changed.
    """
    out: list[str] = []
    changed = 0
    for tag in tags:
        cls = tag[2:] if tag[:2] in ("B-", "I-") else None
        if cls is not None and ((output_labels is not None and cls not in output_labels) or cls in drop_labels):
            out.append("O")
            changed += 1
        else:
            out.append(tag)
    return out, changed
