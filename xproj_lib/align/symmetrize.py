"""Symmetrisation of two directional word alignments (both given as (source, target) links).

``grow_diag_final_and`` follows Koehn et al. (2003) / Koehn (2005) as in Moses:

1. start from the intersection A of the two directions;
2. grow-diag: repeat until nothing changes — for every link (i, j) in A (in sorted order) and
   every neighbour (i', j') among the 8 surrounding cells, add (i', j') if it is in the union and
   source word i' or target word j' is still unaligned in A;
3. final-and: for every link of the forward, then of the reverse direction (sorted), add it if
   both its source and its target word are still unaligned in A.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

Links = set[tuple[int, int]]
_NEIGHBOURS = [(-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]


def intersection(forward: Iterable[tuple[int, int]], reverse: Iterable[tuple[int, int]]) -> Links:
    """Links present in both directions."""
    return set(forward) & set(reverse)


def union(forward: Iterable[tuple[int, int]], reverse: Iterable[tuple[int, int]]) -> Links:
    """Links present in either direction."""
    return set(forward) | set(reverse)


def grow_diag_final_and(forward: Iterable[tuple[int, int]], reverse: Iterable[tuple[int, int]]) -> Links:
    """The grow-diag-final-and heuristic (see the module docstring)."""
    forward, reverse = set(forward), set(reverse)
    alignment = forward & reverse
    candidates = forward | reverse
    src_aligned = {i for i, _ in alignment}
    tgt_aligned = {j for _, j in alignment}

    def add(link: tuple[int, int]) -> None:
        alignment.add(link)
        src_aligned.add(link[0])
        tgt_aligned.add(link[1])

    grown = True
    while grown:
        grown = False
        for i, j in sorted(alignment):
            for di, dj in _NEIGHBOURS:
                link = (i + di, j + dj)
                if link in candidates and link not in alignment and (
                        link[0] not in src_aligned or link[1] not in tgt_aligned):
                    add(link)
                    grown = True
    for direction in (forward, reverse):
        for link in sorted(direction):
            if link[0] not in src_aligned and link[1] not in tgt_aligned:
                add(link)
    return alignment


SYMMETRISATIONS: dict[str, Callable[[Links, Links], Links]] = {
    "forward": lambda forward, reverse: set(forward),
    "reverse": lambda forward, reverse: set(reverse),
    "intersection": intersection,
    "union": union,
    "gdfa": grow_diag_final_and,
}
