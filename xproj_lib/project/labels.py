"""Output label sets: drop projected classes the target dataset does not annotate (paper step A8).

The paper keeps every source class (MISC included) through projection, so a MISC entity can take a candidate
or overwrite tags, and only maps tags outside the dataset's label set to ``O`` when writing the output
(MasakhaNER2 and PAN-X lack MISC; DATE is then ignored at evaluation on MasakhaNER2). ``restrict_labels``
is that write step, applied after projection.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence


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
