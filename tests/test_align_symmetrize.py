"""Symmetrisation heuristics on hand-made link sets."""
from __future__ import annotations

from xproj_lib.align.symmetrize import SYMMETRISATIONS, grow_diag_final_and, intersection, union


def test_intersection_and_union() -> None:
    fwd, rev = {(0, 0), (1, 2)}, {(0, 0), (2, 1)}
    assert intersection(fwd, rev) == {(0, 0)}
    assert union(fwd, rev) == {(0, 0), (1, 2), (2, 1)}


def test_grow_diag_adds_union_neighbours_with_an_unaligned_word() -> None:
    fwd = {(0, 0), (1, 1), (1, 2)}
    rev = {(0, 0), (1, 1), (2, 2)}
    # (1,2) neighbours (1,1) and target 2 is unaligned; (2,2) is a diagonal neighbour with source 2 unaligned.
    assert grow_diag_final_and(fwd, rev) == {(0, 0), (1, 1), (1, 2), (2, 2)}


def test_grow_diag_needs_a_neighbour_in_the_union() -> None:
    fwd = {(0, 0), (2, 2)}
    rev = {(0, 0)}
    # (2,2) is not adjacent to (0,0): only final-and can add it, and both its words are unaligned.
    assert grow_diag_final_and(fwd, rev) == {(0, 0), (2, 2)}


def test_final_and_requires_both_words_unaligned() -> None:
    fwd = {(0, 0), (0, 3), (5, 5)}
    rev = {(0, 0)}
    # (0,3): source 0 is already aligned and (0,3) is not next to (0,0) → not added.
    assert grow_diag_final_and(fwd, rev) == {(0, 0), (5, 5)}


def test_grow_stops_when_both_words_are_aligned() -> None:
    fwd = {(0, 0), (1, 1), (0, 1)}
    rev = {(0, 0), (1, 1), (1, 0)}
    # (0,1) and (1,0) neighbour the intersection but both of their words are aligned already.
    assert grow_diag_final_and(fwd, rev) == {(0, 0), (1, 1)}


def test_gdfa_lies_between_intersection_and_union() -> None:
    fwd = {(0, 0), (1, 1), (2, 1), (3, 4), (4, 3)}
    rev = {(0, 0), (1, 1), (2, 2), (4, 4), (3, 3)}
    result = grow_diag_final_and(fwd, rev)
    assert intersection(fwd, rev) <= result <= union(fwd, rev)


def test_directional_choices() -> None:
    fwd, rev = {(0, 1)}, {(1, 0)}
    assert SYMMETRISATIONS["forward"](fwd, rev) == fwd
    assert SYMMETRISATIONS["reverse"](fwd, rev) == rev
