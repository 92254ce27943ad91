"""Evaluation sentences repeated in training text (test-set contamination).

MAFAND-MT and MasakhaNER2 share news text. For some languages most MasakhaNER2 dev and test sentences are
MAFAND sentences, at times with a list number in front (fon ``2- Ye mɛ è xwè ...`` is the test sentence
``Ye mɛ è xwè ...``) or tokenised differently (``tògán-gbásá`` / ``tògán - gbásá``). Projecting through such
text trains the target tagger on the test sentences themselves, with projected labels. :func:`overlapping`
finds them so that the transfer text can leave them out; ``xproj data overlap`` prints
:func:`overlap_table`, the counts per MasakhaNER2 language.

Two sentences are compared by :func:`text_key`: Unicode NFC, case-folded, everything but letters and digits
removed. A text overlaps a held-out sentence when the keys are equal, or when one key contains the other and
the shorter has at least ``min_chars`` characters (shorter keys, e.g. a lone name, occur everywhere).
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence

import pandas as pd

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


def overlap_table(languages: Sequence[str] | None = None) -> pd.DataFrame:
    """Per MasakhaNER2 language with MAFAND text (all, or ``languages``): the transfer pairs (before any cap),
    those the transfer pipeline leaves out (overlapping a dev or test sentence), and how many test sentences
    recur in the MAFAND text and in MasakhaNER2's own train split."""
    from .datasets import load_ner
    from .languages import languages_for
    from .pipelines.transfer import HELD_OUT_SPLITS, transfer_corpus

    rows = []
    for lang in languages_for("masakhaner2"):
        if "mafand" not in lang.datasets or (languages and lang.iso639_3 not in languages):
            continue
        code = lang.datasets["masakhaner2"]
        _, tgt, splits = transfer_corpus(lang.model_dump(mode="json"), None)
        mafand = [t.tokens for t in tgt]
        held_out = [s.tokens for split in HELD_OUT_SPLITS for s in load_ner("masakhaner2", code, split)]
        test = [s.tokens for s in load_ner("masakhaner2", code, "test")]
        train_keys = {text_key(s.tokens) for s in load_ner("masakhaner2", code, "train")}
        rows.append({"lang": lang.iso639_3, "mafand": f"{lang.datasets['mafand']} {splits}",
                     "transfer_pairs": len(mafand), "left_out": sum(overlapping(mafand, held_out)),
                     "test_sentences": len(test), "test_in_mafand": sum(overlapping(test, mafand)),
                     "test_in_train": sum(text_key(t) in train_keys for t in test)})
    return pd.DataFrame(rows)
