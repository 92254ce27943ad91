"""Pipeline wiring on the smoke profile (no notebooks): every smoke cell runs and yields a valid record."""
from __future__ import annotations

import re

import pytest

from xproj_lib.pipelines import run_cell
from xproj_lib.pipelines.components import make_projector, train_named_tagger
from xproj_lib.pipelines.transfer import holdout, transfer_corpus
from xproj_lib.project import ProjectionInput
from xproj_lib.study import expand_cells, make_cell
from xproj_lib.types import Sentence, Span


@pytest.mark.parametrize("cell", expand_cells("smoke"), ids=lambda c: c.key)
def test_every_smoke_cell_runs(cell):
    outcome = run_cell(cell)
    rec = outcome.record
    assert rec.status == "ok" and rec.config_hash == cell.hash
    assert 0.0 <= rec.metrics["f1"] <= 1.0
    assert rec.metrics["n_sentences"] == cell.config["limit"]
    assert rec.timings and all(v >= 0 for v in rec.timings.values())
    if cell.config["pipeline"] == "transfer" and cell.config["method_params"]["kind"] != "supervised":
        assert re.fullmatch(r"[0-9a-f]{16}", rec.metrics["source_model_weights"]), "cells say which weights they used"
    if cell.config["method_params"]["kind"] == "projection":
        assert outcome.examples, "projection cells show examples"
        assert all(len(ex.pred_tags) == len(ex.tgt_tokens) for ex in outcome.examples)


def test_projector_configs_agree_with_the_engine():
    inp = ProjectionInput(["a", "b", "c", "d"], [Span(0, 2, "PER")], [(0, 1), (1, 2)], src_tokens=["x", "y"])
    heuristic = make_projector({"name": "heuristic", "merge_distance": 1, "length_ratio_threshold": 0.8})
    greedy = make_projector({"name": "candidates", "candidates": "ngram", "matcher": "greedy"})
    ilp = make_projector({"name": "candidates", "candidates": "ngram", "matcher": "ilp"})
    expected = ["O", "B-PER", "I-PER", "O"]
    assert heuristic([inp])[0] == [expected]
    assert greedy([inp])[0] == [expected]
    tags, statuses = ilp([inp])
    assert tags == [expected] and sum(statuses.values()) == 1
    with pytest.raises(ValueError, match="unknown matcher"):
        make_projector({"name": "candidates", "matcher": "magic"})


def test_holdout_is_seeded_and_disjoint():
    sents = [Sentence([str(i)], ["O"], str(i)) for i in range(50)]
    train, dev = holdout(sents, 0.1, seed=3)
    assert len(dev) == 5 and len(train) == 45
    assert {s.id for s in train}.isdisjoint({s.id for s in dev})
    assert [s.id for s in holdout(sents, 0.1, seed=3)[1]] == [s.id for s in dev]


def test_transfer_corpus_falls_back_to_dev_and_test_without_train(data_dir):
    kin = {"iso639_3": "kin", "word_split": "whitespace", "datasets": {"mafand": "en-kin"}}
    src, tgt, splits = transfer_corpus(kin, None)
    assert splits == "dev+test" and len(src) == len(tgt) == 460 + 1006
    hau = {"iso639_3": "hau", "word_split": "whitespace", "datasets": {"mafand": "en-hau"}}
    src, tgt, splits = transfer_corpus(hau, 100)
    assert splits == "train" and len(src) == 100 and all(s.tokens for s in src)


def test_the_control_of_adversarial_alignment_is_its_training_without_the_discriminator():
    """continued-e5 trains the adversarial tagger's settings on the same English sentences, minus the discriminator."""
    adversarial, control = (run_cell(make_cell("smoke", "masakhaner2", "hau", method, seed=0)).record
                            for method in ("adversarial-e5", "continued-e5"))
    adv, plain = adversarial.metrics["target_model"], control.metrics["target_model"]
    assert adv["n_train"] == plain["n_train"] and adv["n_dev"] == plain["n_dev"] and adv["steps"] == plain["steps"]
    assert all("disc_acc" in h for h in adv["dev_curve"]) and not any("disc_acc" in h for h in plain["dev_curve"])
    assert adv["model_dir"] != plain["model_dir"]
    assert "no discriminator" in control.notes


def test_discriminator_false_needs_an_adversarial_tagger():
    models = {"taggers": {"crf": {"type": "crf"}}}
    with pytest.raises(ValueError, match="needs an adversarial one"):
        train_named_tagger("crf", models, [], [], seed=0, discriminator=False)
