"""Evaluation sentences repeated in training text (test-set contamination).

MAFAND-MT and MasakhaNER2 share news text. For some languages most MasakhaNER2 dev and test sentences are
MAFAND sentences, at times with a list number in front (fon ``2- Ye mɛ è xwè ...`` is the test sentence
``Ye mɛ è xwè ...``) or tokenised differently (``tògán-gbásá`` / ``tògán - gbásá``). Projecting through such
text trains the target tagger on the test sentences themselves, with projected labels. :func:`overlapping`
finds them so that the transfer text can leave them out.

Two sentences are compared by :func:`text_key`: Unicode NFC, case-folded, everything but letters and digits
removed. A text overlaps a held-out sentence when the keys are equal, or when one key contains the other and
the shorter has at least ``min_chars`` characters (shorter keys, e.g. a lone name, occur everywhere).
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence

MIN_CHARS = 30  # about five words: shorter shared strings are names and phrases, not repeated sentences
_NON_WORD = re.compile(r"[\W_]+")


def text_key(words: Sequence[str]) -> str:
    """The comparison key of a word list: NFC, case-folded, letters and digits only."""
    return _NON_WORD.sub("", unicodedata.normalize("NFC", "".join(words)).casefold())


def overlapping(texts: Sequence[Sequence[str]], held_out: Sequence[Sequence[str]],
                min_chars: int = MIN_CHARS) -> list[bool]:
    """For each word list of ``texts``: does it repeat, contain or lie inside a sentence of ``held_out``?"""
    if min_chars < 1:
        raise ValueError(f"min_chars must be at least 1, got {min_chars}")
    keys = [text_key(t) for t in texts]
    held = {k for k in map(text_key, held_out) if k}
    hit = [k in held for k in keys]
    # a held-out sentence inside a text: find it in all texts at once, then map each match to its text
    blob = "\n".join(keys)
    starts = [0]
    for k in keys[:-1]:
        starts.append(starts[-1] + len(k) + 1)
    for h in held:
        if len(h) < min_chars:
            continue
        at = blob.find(h)
        while at != -1:
            hit[bisect.bisect_right(starts, at) - 1] = True
            at = blob.find(h, at + 1)
    # a text inside a held-out sentence: its first min_chars characters are a window of that sentence
    windows = {h[i:i + min_chars] for h in held for i in range(len(h) - min_chars + 1)}
    held_blob = "\n".join(held)
    for i, k in enumerate(keys):
        if not hit[i] and len(k) >= min_chars and k[:min_chars] in windows and k in held_blob:
            hit[i] = True
    return hit
