"""URIEL distances from English: the committed table, and a live recomputation with urielplus."""
from __future__ import annotations

import logging
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from xproj_lib import typology as T
from xproj_lib.languages import all_languages


def test_urielplus_import_leaves_root_logging_alone() -> None:
    """urielplus calls logging.basicConfig(INFO) at import; _uriel() undoes it (checked in a fresh process)."""
    code = (
        "import logging; from xproj_lib.typology import _uriel; _uriel(); r = logging.getLogger(); "
        "print(len(r.handlers), r.level)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", str(logging.WARNING)]


def test_committed_table_values() -> None:
    # offline-stack.md: syntactic eng-hau 0.415, eng-yor 0.590, eng-deu 0.358
    assert T.distances("hau")["syntactic"] == pytest.approx(0.415, abs=5e-4)
    assert T.distances("yor")["syntactic"] == pytest.approx(0.590, abs=5e-4)
    assert T.distances("deu")["syntactic"] == pytest.approx(0.358, abs=5e-4)
    assert set(T.distances("hau")) == set(T.KINDS)
    assert T.distances("eng")["syntactic"] == 0.0
    assert T.distances("deu")["genetic"] < T.distances("hau")["genetic"] == 1.0


def test_missing_uriel_data_is_nan_with_a_note() -> None:
    assert math.isnan(T.distances("pcm")["syntactic"])
    table = pd.read_csv(T.table_path(), keep_default_na=False, na_values=[""]).set_index("iso639_3")
    assert "no shared syntactic features" in table.at["pcm", "note"]
    nan_cells = table[list(T.KINDS)].isna()
    few = table[[f"n_{k}" for k in T.KINDS]].to_numpy() < T.MIN_SHARED_FEATURES
    assert (nan_cells.to_numpy() == few).all()  # NaN exactly where too few features are shared
    # Setswana shares one syntactic feature with English: that made a distance of 0, now none
    assert math.isnan(T.distances("tsn")["syntactic"]) and table.at["tsn", "n_syntactic"] == 1
    assert "only 1 shared syntactic features" in table.at["tsn", "note"]


def test_table_covers_every_language() -> None:
    table = pd.read_csv(T.table_path())
    assert sorted(table["iso639_3"]) == sorted(all_languages())
    with pytest.raises(KeyError, match="no row for 'xyz'"):
        T.distances("xyz")


def test_rebuild_matches_committed_table(tmp_path: Path) -> None:
    (tmp_path / "languages").mkdir()
    fresh = T.build_distance_table(["eng", "hau", "pcm", "tsn", "zzz"], params_dir=tmp_path).set_index("iso639_3")
    assert T.table_path(tmp_path).is_file()
    for iso in ("hau", "pcm", "tsn"):
        for kind in T.KINDS:
            expected = T.distances(iso)[kind]
            got = fresh.at[iso, kind]
            assert (math.isnan(expected) and math.isnan(got)) or got == pytest.approx(expected, abs=1e-4)
    assert fresh.at["zzz", "note"] == "not in URIEL" and math.isnan(fresh.at["zzz", "syntactic"])
    assert all(math.isnan(v) for v in T.distances("zzz", params_dir=tmp_path).values())
