"""The report from hand-made records: aggregation over seeds, gains, paper columns, files written."""
from __future__ import annotations

import pandas as pd
import pytest

from xproj_lib.paper import paper_results
from xproj_lib.records import ResultRecord, write_record
from xproj_lib.report import (
    f1_table,
    load_study,
    seeds_summary,
    seeds_table,
    write_report,
)

F1 = {  # (lang, method, seed) -> f1
    ("hau", "model-transfer", None): 0.50, ("hau", "proj-greedy-eflomal-crf", None): 0.60,
    ("hau", "proj-greedy-eflomal-e5", 0): 0.70, ("hau", "proj-greedy-eflomal-e5", 1): 0.64,
    ("yor", "model-transfer", None): 0.40, ("yor", "proj-greedy-eflomal-crf", None): 0.30,
    ("yor", "proj-greedy-eflomal-e5", 0): 0.35, ("yor", "proj-greedy-eflomal-e5", 1): 0.33,
    ("hau", "supervised-crf", None): 0.90, ("yor", "supervised-crf", None): 0.80,
}


@pytest.fixture()
def results(tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("XPROJ_REFERENCE_DIR", str(data_dir.parent / "reference"))
    for (lang, method, seed), f1 in F1.items():
        config = {"pipeline": "transfer", "profile": "offline", "seed": seed, "m": method}
        write_record(ResultRecord.for_config("masakhaner2", lang, method, config, seed=seed,
                                             metrics={"f1": f1, "precision": f1, "recall": f1}), tmp_path / "records")
    return tmp_path


def test_seeds_are_averaged_and_gain_uses_the_best_projection(results):
    study = load_study(results)
    row = study[(study["lang"] == "hau") & (study["method"] == "proj-greedy-eflomal-e5")].iloc[0]
    assert row["f1"] == pytest.approx(0.67) and row["n_seeds"] == 2 and row["f1_std"] > 0
    assert row["family"] == "Afro-Asiatic" and 0 < row["syntactic"] < 1
    table = f1_table(study, "masakhaner2", paper_results("masakhaner2"))
    assert table.loc["hau", "best_projection"] == "proj-greedy-eflomal-e5"
    assert table.loc["hau", "gain_over_model_transfer"] == pytest.approx(0.17)
    assert table.loc["yor", "gain_over_model_transfer"] == pytest.approx(-0.06)  # projection can lose
    paper = paper_results("masakhaner2").set_index(["lang", "variant"])["f1"]
    assert table.loc["hau", "paper:mt"] == pytest.approx(round(paper[("hau", "mt")], 4))
    seeded = seeds_table(study, "masakhaner2")
    assert list(seeded.index) == [("hau", "proj-greedy-eflomal-e5"), ("yor", "proj-greedy-eflomal-e5")]
    assert seeded.loc[("yor", "proj-greedy-eflomal-e5"), "gain_over_model_transfer"] == pytest.approx(-0.06)
    assert seeded.loc[("hau", "proj-greedy-eflomal-e5"), "f1_std"] == pytest.approx(0.0424, abs=1e-4)
    summary = seeds_summary(seeded).loc["proj-greedy-eflomal-e5"]
    assert summary["n_langs"] == 2 and summary["langs_above_model_transfer"] == 1  # hau +0.17, yor -0.06
    assert summary["f1"] == pytest.approx((0.67 + 0.34) / 2) and summary["gain_over_model_transfer"] == pytest.approx(0.055)


def test_write_report_writes_tables_and_figures(results):
    outputs = write_report(results)
    paths = [p for group in outputs.values() for p in group]
    for suffix in (".csv", ".md", ".tex", ".png", ".svg"):
        assert any(p.suffix == suffix for p in paths), suffix
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    assert (results / "tables" / "masakhaner2_seeds.md").is_file()
    table = pd.read_csv(results / "tables" / "masakhaner2_f1.csv", index_col=0)
    assert set(table.index) == {"hau", "yor"}


def test_language_without_projection_results_has_no_best_projection(results):
    write_record(ResultRecord.for_config("masakhaner2", "swa", "model-transfer", {"pipeline": "transfer"},
                                         metrics={"f1": 0.7, "precision": 0.7, "recall": 0.7}), results / "records")
    table = f1_table(load_study(results), "masakhaner2")
    assert pd.isna(table.loc["swa", "best_projection"]) and pd.isna(table.loc["swa", "gain_over_model_transfer"])
    assert table.loc["hau", "best_projection"] == "proj-greedy-eflomal-e5"
