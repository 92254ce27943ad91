"""URIEL typological distances from English, cached in ``params/typology/uriel_distances.csv``.

``build_distance_table()`` computes them offline with ``urielplus`` (its bundled original URIEL data,
default settings: angular distance, union aggregation, no database integration or imputation) for
every language file; ``distances(iso)`` reads the committed table. Where URIEL lacks a language or
the two languages share fewer than ``MIN_SHARED_FEATURES`` features of a kind, the distance is NaN
and the ``note`` column says why: a distance from a handful of features is noise (Setswana shares one
syntactic feature with English, which made its distance 0, the closest of all). ``n_<kind>`` columns
give the number of features each distance was (or would have been) computed from.
"""
from __future__ import annotations

import logging
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .languages import all_languages, params_root

KINDS = ("syntactic", "genetic", "geographic", "phonological", "inventory", "featural")
REFERENCE = "eng"
MIN_SHARED_FEATURES = 10  # fewer shared features of a kind than this: no distance of that kind
_PREFIX = {"syntactic": "S_", "phonological": "P_", "inventory": "INV_"}


def table_path(params_dir: Path | str | None = None) -> Path:
    """Where the committed distance table lives."""
    return params_root(params_dir) / "typology" / "uriel_distances.csv"


def _uriel() -> Any:
    """A URIELPlus instance; the ``logging.basicConfig(INFO)`` of its import (and first use) is undone."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    from urielplus import urielplus

    uriel = urielplus.URIELPlus()  # on first use it also sets up logging while it unpacks its data
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    return uriel


def _n_shared(uriel: Any, kind: str, a: str, b: str) -> int:
    """How many features of ``kind`` both languages have values for (urielplus's own selection rule)."""
    idx = uriel.map_new_distance_to_loaded_features(kind)
    feats = uriel.feats[idx]
    prefix = _PREFIX.get(kind)
    mask = np.array([prefix is None or str(f).startswith(prefix) for f in feats])
    have = []
    for lang in (a, b):
        row = uriel.data[idx][np.where(uriel.langs[idx] == lang)[0][0]]
        have.append(mask & ~np.all(row == -1.0, axis=1))
    return int(np.sum(have[0] & have[1]))


def build_distance_table(languages: list[str] | None = None, params_dir: Path | str | None = None,
                         write: bool = True) -> pd.DataFrame:
    """Compute URIEL distances from English for ``languages`` (default: every language file) and write the CSV."""
    codes = sorted(languages if languages is not None else all_languages(params_dir))
    uriel = _uriel()
    known = set(uriel.langs[0])
    rows = []
    for iso in codes:
        row: dict[str, Any] = {"iso639_3": iso}
        notes = []
        if iso not in known:
            row.update({k: math.nan for k in KINDS} | {f"n_{k}": 0 for k in KINDS})
            notes.append("not in URIEL")
        else:
            for kind in KINDS:
                n = _n_shared(uriel, kind, REFERENCE, iso)
                row[f"n_{kind}"] = n
                if n < MIN_SHARED_FEATURES:
                    row[kind] = math.nan
                    notes.append(f"only {n} shared {kind} features" if n else f"no shared {kind} features")
                else:
                    row[kind] = float(uriel.new_distance(kind, REFERENCE, iso))
        row["note"] = "; ".join(notes)
        rows.append(row)
    table = pd.DataFrame(rows, columns=["iso639_3", *KINDS, *(f"n_{k}" for k in KINDS), "note"])
    if write:
        path = table_path(params_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False, float_format="%.4f")
        _read_table.cache_clear()
    return table


@lru_cache(maxsize=4)
def _read_table(path: str) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""]).set_index("iso639_3")


def distances(iso: str, params_dir: Path | str | None = None) -> dict[str, float]:
    """The six URIEL distances from English for ``iso`` (NaN where URIEL has no data), from the committed table."""
    path = table_path(params_dir)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no distance table; build it with xproj_lib.typology.build_distance_table()")
    table = _read_table(str(path))
    if iso not in table.index:
        raise KeyError(f"{path}: no row for {iso!r}; rebuild it with build_distance_table()")
    return {kind: float(table.at[iso, kind]) for kind in KINDS}
