"""The adversarial sweep (issue 29): its method files, the selection rule, and a probed cell on the smoke profile."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml

from xproj_lib.languages import params_root
from xproj_lib.pipelines import run_cell
from xproj_lib.study import expand_cells, load_method, make_cell
from xproj_lib.sweep import GENERATED, load_grid, method_files, select_settings, settings


def test_grid_settings_cover_the_issue() -> None:
    grid = load_grid()
    named = dict(settings(grid))
    assert {v["lambda_max"] for v in named.values()} >= {0.01, 0.03, 0.1, 0.3, 1.0}
    assert named["l0.1"] == {"lambda_max": 0.1}  # the first setting: only λ named
    assert named["l1-token"] == {"lambda_max": 1.0, "pooling": "token"}
    changed = {k for v in named.values() for k in v}
    assert changed == {"lambda_max", "pooling", "hidden_size", "layers", "disc_steps", "layer"}
    assert len(grid["languages"]) == 6 and grid["seeds"] == [0, 1, 2]


def test_method_files_are_written_from_the_grid() -> None:
    """The committed method files are the generator's output (rerun `python -m xproj_lib.sweep methods`)."""
    files = method_files(load_grid())
    for name, method in files.items():
        path = params_root() / "methods" / f"{name}.yaml"
        assert path.read_text(encoding="utf-8").startswith(GENERATED), name
        assert yaml.safe_load(path.read_text(encoding="utf-8")) == method, name
        assert method["probe"] is True and "sweep" in method
    assert files["adv-only-l0.3-k5"]["tagger"] == "e5-adv-source"
    assert files["tt-adv-l1-mid"]["tagger"] == "e5-adv" and files["tt-adv-l1-mid"]["adversarial"]["layer"] == 6
    assert files["probe-continued-e5"]["discriminator"] is False


def test_sweep_profile_plans_every_setting_and_leaves_the_first_cells_alone() -> None:
    cells = expand_cells("offline-adv-sweep")
    assert len({c.method for c in cells}) == len(method_files(load_grid()))
    assert {c.language for c in cells} == set(load_grid()["languages"])
    # the sweep's λ 0.1 base setting trains the first adversarial-e5 model (same tagger settings) ...
    first = make_cell("offline-seeds", "masakhaner2", "wol", "adversarial-e5", seed=0)
    sweep = make_cell("offline-adv-sweep", "masakhaner2", "wol", "adv-only-l0.1", seed=0)
    assert sweep.config["models"]["taggers"] == first.config["models"]["taggers"]
    # ... and the first cells read no sweep option
    assert "adversarial" not in load_method("adversarial-e5") and "probe" not in load_method("adversarial-e5")
    assert "layers" not in first.config["models"]["taggers"]["e5-adv-source"]["adversarial"]


def _table(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["lang", "family", "setting", "lambda", "seed", "english_dev_f1",
                                       "probe_accuracy", "f1"])


def test_selection_takes_the_lowest_probe_within_the_dev_tolerance() -> None:
    grid = {"families": {"adv-only": {"reference": "continued-e5"}}, "languages": ["a", "b"], "seeds": [0],
            "selection": {"tolerance": 0.01}}
    table = _table([
        ("a", "reference", "continued-e5", 0.0, 0, 0.90, 0.95, 0.5), ("b", "reference", "continued-e5", 0.0, 0, 0.80, 0.95, 0.5),
        ("a", "adv-only", "l0.1", 0.1, 0, 0.90, 0.90, 0.4), ("b", "adv-only", "l0.1", 0.1, 0, 0.80, 0.92, 0.4),
        ("a", "adv-only", "l1", 1.0, 0, 0.70, 0.55, 0.2), ("b", "adv-only", "l1", 1.0, 0, 0.70, 0.55, 0.2),  # too far
        ("a", "adv-only", "l0.3", 0.3, 0, 0.895, 0.80, 0.45), ("b", "adv-only", "l0.3", 0.3, 0, 0.80, 0.84, 0.45),
        ("c", "adv-only", "l0.01", 0.01, 0, 0.99, 0.50, 0.9),  # not a stage-1 language: ignored
    ])
    chosen = select_settings(table, grid).set_index("setting")
    assert not chosen.loc["l1", "eligible"] and chosen.loc["l0.3", "eligible"]
    assert chosen["selected"].sum() == 1 and chosen.loc["l0.3", "selected"]
    assert chosen.loc["l0.3", "complete"] and "l0.01" not in chosen.index
    assert chosen.loc["l0.3", "probe_accuracy"] == pytest.approx(0.82)


def test_a_probed_sweep_cell_records_the_label_free_checks():
    """A sweep setting on the smoke profile's tiny models: the method's settings reach the trainer, and the record
    carries the probe and the English dev F1."""
    cell = make_cell("smoke", "masakhaner2", "hau", "adv-only-l1-token", seed=0)
    record = run_cell(cell).record
    assert record.status == "ok"
    probe = record.metrics["language_probe"]
    assert 0.0 <= probe["accuracy"] <= 1.0 and probe["n_sentences"] > 0 and "accuracy_at_layer" not in probe
    assert 0.0 <= record.metrics["english_dev_f1"] <= 1.0 and "probe" in record.timings
    assert record.metrics["target_model"]["dev_curve"][-1]["lambda"] > 0
    from xproj_lib.sweep import _setting_of

    setting = _setting_of(record, None)
    assert (setting["lambda"], setting["discriminator"], setting["k"], setting["layer"]) == (1.0, "token", 1, "last")


def test_findings_count_the_cells_left_from_the_plan(tmp_path) -> None:
    """With no records, every stage-1 cell of the grid's profile is left, and stage 2 names the other languages."""
    from xproj_lib.sweep import sweep_findings, sweep_progress

    grid = load_grid()
    left = sweep_progress(tmp_path)
    stage1 = left[left["stage"] == "1"]
    assert stage1["cells"].sum() == len(expand_cells(grid["profile"], datasets=["masakhaner2"]))
    assert (stage1["done"] == 0).all() and set(grid["families"]) <= set(stage1["group"])
    stage2 = left[left["stage"] == "2"]
    n_other = 20 - len(grid["languages"])
    for family in grid["families"]:
        assert stage2.set_index("group").loc[family, "cells"] == n_other * len(grid["seeds"])
    text = sweep_findings(tmp_path)
    assert "No sweep setting has a probed record yet" in text and "**Stage 1 left:**" in text


def test_selection_counts_only_cells_on_the_common_source_model_weights() -> None:
    grid = {"families": {"adv-only": {"reference": "continued-e5"}}, "languages": ["a"], "seeds": [0, 1],
            "selection": {"tolerance": 0.01}}
    table = _table([
        ("a", "reference", "continued-e5", 0.0, 0, 0.90, 0.95, 0.5), ("a", "reference", "continued-e5", 0.0, 1, 0.90, 0.95, 0.5),
        ("a", "adv-only", "l0.1", 0.1, 0, 0.90, 0.90, 0.4), ("a", "adv-only", "l0.1", 0.1, 1, 0.90, 0.92, 0.4),
        ("a", "adv-only", "l1", 1.0, 0, 0.90, 0.50, 0.2),  # lowest probe, but trained from other source weights
    ]).assign(source_model_weights=["w1", "w1", "w1", "w1", "w2"])
    chosen = select_settings(table, grid).set_index("setting")
    assert "l1" not in chosen.index and chosen.loc["l0.1", "selected"] and chosen.loc["l0.1", "complete"]
    assert chosen.loc["l0.1", "n_cells"] == 2
