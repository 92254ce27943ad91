"""Human English translations of MasakhaNER2 test sentences, from MAFAND-MT (translate-test without MT).

MAFAND-MT and MasakhaNER2 share news text: many MasakhaNER2 test sentences are the target side of a MAFAND
pair, whose other side is a human translation. A profile whose ``models.translator`` is ``{type: human}`` runs
the translate-test pipelines with these in place of NLLB: the upper bound of translate-test for a perfect
translator. Only the language's English pairs count (``mafand: en-xyz``); a French pair gives no English.

A test sentence has a translation when its :func:`xproj_lib.overlap.text_key` (NFC, case-folded, letters and
digits only, so tokenisation does not matter) equals that of a MAFAND target segment of any split (train, dev,
test; the first in that order where a segment recurs). Containment is not enough: a longer or shorter segment is
not a translation of the sentence. Sentences without one are counted and listed by the cell, never scored.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .overlap import text_key

HUMAN = "human"
SPLITS = ("train", "dev", "test")


def is_human(spec: Any) -> bool:
    """Whether a profile's ``translator`` block names the human-translation source."""
    return spec == HUMAN or (isinstance(spec, dict) and spec.get("type") == HUMAN)


@lru_cache(maxsize=8)
def _index(pair: str) -> tuple[dict[str, tuple[str, str]], str]:
    """target-side key -> (English text, pair id) over the pair's splits, and the splits read."""
    from .datasets import get_dataset, load_parallel

    src, tgt = pair.split("-")
    if src != "en":
        raise ValueError(f"MAFAND pair {pair!r} has no English side: human translate-test needs an en-xyz pair")
    ds = get_dataset("mafand")
    splits = [s for s in SPLITS if pair in ds.codes(s)]
    index: dict[str, tuple[str, str]] = {}
    for split in splits:
        for p in load_parallel(src, tgt, split):
            key = text_key([p.tgt])
            if key and p.src.strip() and key not in index:
                index[key] = (p.src, p.id)
    return index, "+".join(splits)


@dataclass
class HumanTranslator:
    """Looks up the MAFAND English translation of target sentences of one language (``pair``: ``en-xyz``)."""

    pair: str
    stats: dict[str, int] = field(default_factory=lambda: {"requested": 0, "found": 0, "missing": 0})

    @classmethod
    def for_language(cls, language: dict[str, Any]) -> "HumanTranslator":
        pair = language.get("datasets", {}).get("mafand")
        if not pair:
            raise ValueError(f"{language.get('iso639_3')}: no MAFAND pair in its language file, so no human "
                             "translations")
        return cls(pair)

    @property
    def source(self) -> str:
        return f"mafand {self.pair} {_index(self.pair)[1]}"

    def lookup(self, tokens: Sequence[Sequence[str]]) -> list[str | None]:
        """The English translation of each token list, None where MAFAND has none."""
        index = _index(self.pair)[0]
        found = [index.get(text_key(t), (None, None))[0] if text_key(t) else None for t in tokens]
        self.stats["requested"] += len(found)
        self.stats["found"] += sum(f is not None for f in found)
        self.stats["missing"] += sum(f is None for f in found)
        return found
