"""eflomal (Östling & Tiedemann 2016): a statistical aligner trained on the text it aligns.

eflomal samples with no seed (two runs agree on roughly half of the links), so its raw forward
and reverse links are cached on disk keyed by the full input (pairs to align + ``extra_pairs``)
and its settings: reruns reproduce, and every symmetrisation of one input shares one sample.
Input is whitespace-tokenised: whitespace inside a word becomes ``_`` and an empty word ``_``, so
word indices are kept. Both eflomal output files are in source-target orientation.
"""
from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import eflomal

from xproj_lib.align.base import AlignmentResult, Aligner, WordPair, validate_pairs
from xproj_lib.align.symmetrize import SYMMETRISATIONS
from xproj_lib.cache import cached_json, content_key

_SPACE = re.compile(r"\s+")


def eflomal_line(words: Sequence[str]) -> str:
    """One whitespace-tokenised line with exactly one token per word."""
    return " ".join(_SPACE.sub("_", w) or "_" for w in words)


def parse_pharaoh(line: str, n_src: int, n_tgt: int, where: str) -> list[tuple[int, int]]:
    """``i-j`` links of one line; an out-of-range or malformed link is an error naming ``where``."""
    links = []
    for item in line.split():
        i, sep, j = item.partition("-")
        if not sep or not i.isdigit() or not j.isdigit() or int(i) >= n_src or int(j) >= n_tgt:
            raise ValueError(f"{where}: bad link {item!r} for {n_src}x{n_tgt} words")
        links.append((int(i), int(j)))
    return links


@dataclass
class EflomalAligner(Aligner):
    """eflomal links symmetrised with ``symmetrization`` (``gdfa``, ``intersection``, ``union``,
    ``forward`` or ``reverse``); ``extra_pairs`` are parallel sentences used only for training.

    ``cache=False`` skips only the cache of symmetrised results: the raw eflomal sample is always
    cached, because it cannot be reproduced otherwise.
    """

    symmetrization: str = "gdfa"
    extra_pairs: Sequence[tuple[Sequence[str], Sequence[str]]] = ()
    model: int = 3
    n_samplers: int = 3
    null_prior: float = 0.2
    _extra: list[WordPair] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.symmetrization not in SYMMETRISATIONS:
            raise ValueError(f"unknown symmetrization {self.symmetrization!r}; "
                             f"choose from {sorted(SYMMETRISATIONS)}")
        self._extra = validate_pairs(self.extra_pairs)

    def settings(self) -> dict[str, Any]:
        """eflomal's own settings (the raw-output cache key besides the text)."""
        return {"package": "eflomal==2.0.0", "model": self.model, "n_samplers": self.n_samplers,
                "null_prior": self.null_prior}

    def config(self) -> dict[str, Any]:
        """Aligner identity (the extra training pairs by content)."""
        return {"aligner": "eflomal", "symmetrization": self.symmetrization, **self.settings(),
                "extra_pairs": content_key(self._extra)}

    def directional_links(self, pairs: list[WordPair]) -> list[tuple[list[tuple[int, int]], list[tuple[int, int]]]]:
        """Forward and reverse links of each pair (cached by input text and settings)."""
        src_lines = [eflomal_line(s) for s, _ in pairs + self._extra]
        tgt_lines = [eflomal_line(t) for _, t in pairs + self._extra]
        key = {"settings": self.settings(), "src": src_lines, "tgt": tgt_lines, "n_align": len(pairs)}
        raw = cached_json("eflomal", key, lambda: self._run(src_lines, tgt_lines, len(pairs)))
        result = []
        for n, ((src, tgt), fwd, rev) in enumerate(zip(pairs, raw["forward"], raw["reverse"])):
            result.append((parse_pharaoh(fwd, len(src), len(tgt), f"eflomal forward line {n + 1}"),
                           parse_pharaoh(rev, len(src), len(tgt), f"eflomal reverse line {n + 1}")))
        return result

    def _run(self, src_lines: list[str], tgt_lines: list[str], n_align: int) -> dict[str, list[str]]:
        """Run eflomal once; return the first ``n_align`` forward and reverse Pharaoh lines."""
        with tempfile.TemporaryDirectory(prefix="xproj-eflomal-") as tmp:
            fwd, rev = Path(tmp) / "forward", Path(tmp) / "reverse"
            eflomal.Aligner(model=self.model, n_samplers=self.n_samplers, null_prior=self.null_prior).align(
                src_lines, tgt_lines, links_filename_fwd=str(fwd), links_filename_rev=str(rev), quiet=True)
            forward = fwd.read_text(encoding="utf-8").split("\n")[:n_align]
            reverse = rev.read_text(encoding="utf-8").split("\n")[:n_align]
        if len(forward) != n_align or len(reverse) != n_align:
            raise RuntimeError(f"eflomal returned {len(forward)}/{len(reverse)} lines for {n_align} pairs")
        return {"forward": forward, "reverse": reverse}

    def _align(self, pairs: list[WordPair]) -> list[AlignmentResult]:
        symmetrise = SYMMETRISATIONS[self.symmetrization]
        return [AlignmentResult(links=sorted(symmetrise(set(f), set(r))))
                for f, r in self.directional_links(pairs)]
