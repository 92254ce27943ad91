"""eflomal: bounds, input cleaning, and a cache that reproduces the stochastic output."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from xproj_lib.align import EflomalAligner
from xproj_lib.align.eflomal_aligner import eflomal_line, parse_pharaoh
from xproj_lib.align.symmetrize import intersection, union

SRC = ["the house is small", "the house is big", "a small house", "the big house", "the small book"]
TGT = ["das Haus ist klein", "das Haus ist groß", "ein kleines Haus", "das große Haus", "das kleine Buch"]
PAIRS = [(s.split(), t.split()) for s, t in zip(SRC, TGT)]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_links_in_bounds_and_symmetrisations_consistent() -> None:
    extra = PAIRS * 10
    results = {sym: EflomalAligner(symmetrization=sym, extra_pairs=extra).align(PAIRS)
               for sym in ("forward", "reverse", "intersection", "union", "gdfa")}
    for sym, res in results.items():
        for (src, tgt), r in zip(PAIRS, res):
            assert all(0 <= i < len(src) and 0 <= j < len(tgt) for i, j in r.links), sym
    for n in range(len(PAIRS)):  # one cached sample serves every symmetrisation
        fwd, rev = set(results["forward"][n].links), set(results["reverse"][n].links)
        assert set(results["intersection"][n].links) == intersection(fwd, rev)
        assert set(results["union"][n].links) == union(fwd, rev)
        assert intersection(fwd, rev) <= set(results["gdfa"][n].links) <= union(fwd, rev)
    assert (0, 0) in results["gdfa"][0].links  # "the"-"das" with 55 training pairs


def test_cache_reproduces_identical_output(private_cache: Path) -> None:
    first = EflomalAligner(extra_pairs=PAIRS * 4).align(PAIRS)
    stored = list((private_cache / "eflomal").glob("*.json"))
    assert len(stored) == 1
    raw = json.loads(stored[0].read_text())
    assert len(raw["forward"]) == len(PAIRS)
    again = EflomalAligner(extra_pairs=PAIRS * 4, cache=False).align(PAIRS)
    assert again == first
    assert len(list((private_cache / "eflomal").glob("*.json"))) == 1  # no new eflomal run
    EflomalAligner(extra_pairs=PAIRS * 3).align(PAIRS)  # other training text → another run
    assert len(list((private_cache / "eflomal").glob("*.json"))) == 2


def test_words_with_spaces_and_empty_words_keep_indices() -> None:
    assert eflomal_line(["New York", "", "a\tb"]) == "New_York _ a_b"
    pairs = [(["New York", "is", ""], ["New York", "ist", "x"])] + PAIRS
    result = EflomalAligner(extra_pairs=PAIRS * 4).align(pairs)[0]
    assert all(i < 3 and j < 3 for i, j in result.links)


def test_bad_pharaoh_link_names_the_line() -> None:
    assert parse_pharaoh("0-1 2-0", 3, 2, "x") == [(0, 1), (2, 0)]
    with pytest.raises(ValueError, match="line 7.*'3-0'"):
        parse_pharaoh("0-1 3-0", 3, 2, "eflomal forward line 7")


def test_unknown_symmetrisation_is_rejected() -> None:
    with pytest.raises(ValueError, match="symmetrization"):
        EflomalAligner(symmetrization="grow")
