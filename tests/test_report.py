"""The report from hand-made records: aggregation over seeds, gains, paper columns, files written."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xproj_lib.paper import paper_results
from xproj_lib.records import ResultRecord, latest_records, read_records, records_frame, write_record
from xproj_lib.report import (
    f1_table,
    gains_summary,
    load_study,
    paired_gains,
    seeds_summary,
    seeds_table,
    translate_test_human_findings,
    write_report,
)

F1 = {  # (lang, method, seed) -> f1
    ("hau", "model-transfer", None): 0.50, ("hau", "proj-greedy-eflomal-crf", None): 0.60,
    ("hau", "proj-greedy-eflomal-e5", 0): 0.70, ("hau", "proj-greedy-eflomal-e5", 1): 0.64,
    ("yor", "model-transfer", None): 0.40, ("yor", "proj-greedy-eflomal-crf", None): 0.30,
    ("yor", "proj-greedy-eflomal-e5", 0): 0.35, ("yor", "proj-greedy-eflomal-e5", 1): 0.33,
    ("hau", "supervised-crf", None): 0.90, ("yor", "supervised-crf", None): 0.80,
    ("hau", "proj-greedy-eflomal-e5adv", 0): 0.66, ("hau", "proj-greedy-eflomal-e5adv", 1): 0.66,
    ("hau", "proj-greedy-eflomal-e5adv", 2): 0.61,  # no translate-train seed 2 to pair with
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
    assert list(seeded.index) == [("hau", "proj-greedy-eflomal-e5"), ("hau", "proj-greedy-eflomal-e5adv"),
                                  ("yor", "proj-greedy-eflomal-e5")]
    assert seeded.loc[("yor", "proj-greedy-eflomal-e5"), "gain_over_model_transfer"] == pytest.approx(-0.06)
    assert seeded.loc[("hau", "proj-greedy-eflomal-e5"), "f1_std"] == pytest.approx(0.0424, abs=1e-4)
    assert seeded.loc[("hau", "proj-greedy-eflomal-e5adv"), "n_seeds"] == 3
    assert seeded.loc[("yor", "proj-greedy-eflomal-e5"), "supervised-crf"] == pytest.approx(0.80)  # the ceiling
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
    assert (results / "tables" / "masakhaner2_gains_summary.md").is_file()
    assert (results / "figures" / "masakhaner2_gains_by_distance.png").is_file()
    table = pd.read_csv(results / "tables" / "masakhaner2_f1.csv", index_col=0)
    assert set(table.index) == {"hau", "yor"}


def test_language_without_projection_results_has_no_best_projection(results):
    write_record(ResultRecord.for_config("masakhaner2", "swa", "model-transfer", {"pipeline": "transfer"},
                                         metrics={"f1": 0.7, "precision": 0.7, "recall": 0.7}), results / "records")
    table = f1_table(load_study(results), "masakhaner2")
    assert pd.isna(table.loc["swa", "best_projection"]) and pd.isna(table.loc["swa", "gain_over_model_transfer"])
    assert table.loc["hau", "best_projection"] == "proj-greedy-eflomal-e5"


def test_gains_are_paired_by_language_and_seed(results):
    runs = records_frame(latest_records(read_records(results / "records")))
    gains = paired_gains(runs, "masakhaner2")
    # translate-train + adversarial vs translate-train: seeds 0 and 1 pair (-0.04, +0.02), seed 2 has no partner
    adv = gains.loc[("hau", "proj-greedy-eflomal-e5adv", "proj-greedy-eflomal-e5")]
    assert adv["n_pairs"] == 2 and adv["gain"] == pytest.approx(-0.01)
    assert adv["gain_min"] == pytest.approx(-0.04) and adv["gain_max"] == pytest.approx(0.02)
    # an unseeded baseline (model transfer) pairs with every seed
    assert gains.loc[("hau", "proj-greedy-eflomal-e5adv", "model-transfer"), "n_pairs"] == 3
    assert gains.loc[("yor", "proj-greedy-eflomal-e5", "model-transfer"), "gain"] == pytest.approx(-0.06)
    assert ("hau", "proj-greedy-eflomal-crf", "model-transfer") not in gains.index  # it names no baselines
    summary = gains_summary(gains).loc[("proj-greedy-eflomal-e5", "model-transfer")]
    assert summary["n_langs"] == 2 and summary["langs_above"] == 1 and summary["langs_below"] == 1
    assert summary["mean_gain"] == pytest.approx((0.17 - 0.06) / 2) and pd.isna(summary["wilcoxon_p"])


def test_an_ensemble_pairs_with_the_members_it_averaged(tmp_path):
    def record(lang, method, seed, f1, **metrics):
        write_record(ResultRecord.for_config("masakhaner2", lang, method, {"pipeline": "transfer", "m": method},
                                             seed=seed, metrics={"f1": f1, **metrics}), tmp_path / "records")

    def trained(name):
        return {"target_model": {"model_dir": f"/cache/models/{name}"}}

    for lang in ("hau", "yor", "ibo"):
        record(lang, "proj-greedy-eflomal-e5", 0, 0.60, **trained(f"tt-{lang}"))
    members = {"hau": {**trained("tt-hau"), "test": {"f1": 0.58}},  # its own score: used, whatever the record says
               "yor": trained("tt-yor"),  # older record, same model as the translate-train record: pairs with it
               "ibo": trained("tt-ibo-retrained")}  # older record, another model: no pair
    for lang, member in members.items():
        record(lang, "ensemble-mt-tt", 0, 0.65, members={"proj-greedy-eflomal-e5": member})
    frame = records_frame(read_records(tmp_path / "records"))
    assert frame.set_index(["lang", "method"]).loc[("hau", "proj-greedy-eflomal-e5"), "model"] == "tt-hau"
    gains = paired_gains(frame, "masakhaner2")["gain"]
    assert gains[("hau", "ensemble-mt-tt", "proj-greedy-eflomal-e5")] == pytest.approx(0.07)
    assert gains[("yor", "ensemble-mt-tt", "proj-greedy-eflomal-e5")] == pytest.approx(0.05)
    assert ("ibo", "ensemble-mt-tt", "proj-greedy-eflomal-e5") not in gains.index


def test_wilcoxon_over_languages_from_six_on():
    index = pd.MultiIndex.from_tuples([(f"l{i}", "m", "b") for i in range(6)], names=["lang", "method", "baseline"])
    gains = pd.DataFrame({"gain": [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]}, index=index)
    summary = gains_summary(gains).loc[("m", "b")]
    assert summary["langs_above"] == 6 and summary["wilcoxon_p"] == pytest.approx(0.0312, abs=1e-4)
    assert pd.isna(gains_summary(gains.iloc[:5]).loc[("m", "b"), "wilcoxon_p"])


def test_gain_against_distance_is_a_spearman_rank_correlation_over_known_distances():
    index = pd.MultiIndex.from_tuples([(f"l{i}", "m", "b") for i in range(8)], names=["lang", "method", "baseline"])
    gains = pd.DataFrame({"gain": [0.01, 0.03, 0.02, 0.05, 0.04, 0.06, -0.2, 0.0]}, index=index)
    distance = pd.Series({f"l{i}": 0.1 * i for i in range(6)} | {"l6": np.nan})  # l6 unknown, l7 absent
    summary = gains_summary(gains, distance).loc[("m", "b")]
    assert summary["n_langs"] == 8  # every language counts for the mean and Wilcoxon, only six for rho
    assert summary["spearman_rho"] == pytest.approx(1 - 6 * 4 / (6 * 35), abs=1e-4)  # ranks 1 3 2 5 4 6: sum d^2 = 4
    assert 0 < summary["spearman_p"] < 0.1
    assert summary["n_langs_distance"] == 6
    assert pd.isna(gains_summary(gains.iloc[:5], distance).loc[("m", "b"), "spearman_rho"])
    assert "spearman_rho" not in gains_summary(gains)


def test_p_values_get_benjamini_hochberg_q_values_over_the_rows():
    rows = [(f"l{i}", m, "b") for m in ("m1", "m2", "m3") for i in range(6)]
    index = pd.MultiIndex.from_tuples(rows, names=["lang", "method", "baseline"])
    gains = pd.DataFrame({"gain": [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]  # p = 0.03125
                                  + [0.01, -0.02, 0.03, -0.04, 0.05, 0.06]  # p = 0.4375
                                  + [0.01, 0.02, 0.03, 0.04, 0.05]}, index=index[:17])  # 5 languages: no test
    summary = gains_summary(gains)
    assert summary.loc[("m1", "b"), "wilcoxon_q"] == pytest.approx(0.0625, abs=1e-4)  # 0.03125 * 2 tests / rank 1
    assert summary.loc[("m2", "b"), "wilcoxon_q"] == pytest.approx(0.4375, abs=1e-4)
    assert pd.isna(summary.loc[("m3", "b"), "wilcoxon_q"])


def test_translate_test_human_findings_compare_the_ensemble_with_its_members() -> None:
    rows = [("lug", "tt-model-transfer", "model_transfer", "none", 0.60, np.nan),
            ("lug", "tt-align-src-awesome", "projection", "awesome", 0.70, 0.80),
            ("lug", "tt-cand-awesome-dummy", "projection", "awesome", 0.72, 0.82),
            ("lug", "tt-ensemble-awesome", "ensemble", "awesome", 0.75, np.nan),
            ("twi", "tt-model-transfer", "model_transfer", "none", 0.50, np.nan),
            ("twi", "tt-align-src-awesome", "projection", "awesome", 0.65, np.nan),
            ("twi", "tt-ensemble-awesome", "ensemble", "awesome", 0.55, np.nan)]
    table = pd.DataFrame(rows, columns=["lang", "method", "kind", "aligner", "f1", "paper_f1_nllb"]).assign(
        n_sentences=[1411] * 4 + [1106] * 3)
    text = translate_test_human_findings(table)
    assert "2 projection methods and model transfer" in text
    assert "lug: `tt-cand-awesome-dummy` 0.720 vs model transfer 0.600" in text
    assert "(2 pairs, 1 languages" in text and "-0.100 F1 on average (higher in 0, lower in 2)" in text
    # the ensemble: (0.15 + 0.05) / 2 over model transfer, (0.05 - 0.10) / 2 over align-src awesome
    assert ("ensemble (word probabilities averaged; 2 runs, 1 aligners): mean F1 0.650, +0.100 over model "
            "transfer (above it in 2 of 2) and -0.025 over translate-test align-src with the same aligner "
            "(above it in 1 of 2)") in text
