"""The translate-test pipeline: every method of the paper-tiny profile end to end on a few MasakhaNER2
sentences with tiny random models, the back-translation path with an echoing translator, the paper
profile's clear error for uncached hub models, and its coverage of the paper's variants."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from xproj_lib import pipelines, study
from xproj_lib.models import ModelUnavailableError
from xproj_lib.paper import paper_results
from xproj_lib.pipelines.translate_test import model_path
from xproj_lib.records import ResultRecord
from xproj_lib.translate import Translator

TGT2TGT = ["tt-align-tgt-simalign", "tt-btcand-awesome-dummy", "tt-btcand-simalign-ner"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A module-wide cache folder (tiny models are built once, artefacts shared across methods)."""
    return tmp_path_factory.mktemp("xproj-cache")


@pytest.fixture(autouse=True)
def use_cache(cache: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(cache))
    monkeypatch.setenv("XPROJ_DATA_DIR", str(data_dir))


def run_all(cells: list[study.Cell]) -> dict[str, ResultRecord]:
    """Run cells in order; each record must survive a JSON round trip."""
    records = {}
    for cell in cells:
        outcome = pipelines.run_cell(cell)
        records[cell.method] = ResultRecord.model_validate_json(outcome.record.model_dump_json())
    return records


def test_every_pipeline_type_runs_end_to_end_on_tiny_models() -> None:
    cells = study.expand_cells("paper-tiny")
    methods = {c.method for c in cells}
    assert len(cells) == 22 and {"tt-model-transfer", "tt-ensemble-awesome", "tt-align-src-awesome", "tt-align-tgt-simalign",
                                 "tt-cand-simalign-dummy", "tt-btcand-awesome-ner",
                                 "tt-ilp-all-fusion-awesome"} <= methods
    records = run_all(cells)
    for method, rec in records.items():
        m = rec.metrics
        assert rec.status == "ok" and rec.config["pipeline"] == "translate_test", method
        assert m["n_sentences"] == 6 and 0.0 <= m["f1"] <= 1.0, method
        assert set(m["per_type"]) <= {"PER", "ORG", "LOC"}, method  # DATE ignored, MISC dropped
        if method == "tt-ensemble-awesome":  # probabilities, not entities, cross the alignment
            assert m["target_words_unaligned"] >= 0 and m["forward_translation"]["computed"] == 0
        elif method != "tt-model-transfer":
            english = m["markers"]["source_entities"] if "markers" in m else m["source_entities"]
            assert english > 0, method  # tgt2tgt: the random back-translation keeps no marker (next test)
            # the forward translation and English NER were computed once and reused by every later method
            ft = m["forward_translation"]
            assert ft["unique"] == 6 and ft["computed"] == (6 if method == cells[1].method else 0), method
    assert any(r.metrics["projected_entities"] > 0 for r in records.values() if "src" in r.config["method"]
               or "-cand-" in r.config["method"])
    assert records["tt-align-tgt-awesome"].metrics["markers"]["source_entities"] > 0
    nmt = [r.metrics["translation_scores"] for m, r in records.items() if "nmt" in m or "fusion" in m]
    assert len(nmt) == 4 and nmt[0]["computed"] > 0 and all(s["computed"] == 0 for s in nmt[1:])


def test_back_translation_methods_project_marked_entities(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With a translator that echoes its input, every English entity comes back through its markers."""
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path))  # echoed "translations" must not reach the shared cache
    monkeypatch.setattr(Translator, "_generate", lambda self, texts, *args: list(texts))
    records = run_all([study.make_cell("paper-tiny", "masakhaner2", "hau", m) for m in TGT2TGT])
    for method, rec in records.items():
        markers = rec.metrics["markers"]
        assert markers["source_entities"] > 0, method
        assert markers["matched"] + markers["dropped_entities"] == markers["source_entities"], method
        # the echo keeps every marker; a marker is unmatched only when no entity translation is similar
        # enough, e.g. a one-character entity: ratio("[x]", "x") = 0.5 is not above the 0.5 threshold
        assert markers["markers"] == markers["source_entities"], method
        assert markers["matched"] + markers["unmatched_markers"] + markers["empty_markers"] == markers["markers"]
        assert markers["matched"] >= 0.9 * markers["source_entities"], method
        assert rec.metrics["source_entities"] == markers["matched"] and rec.metrics["projected_entities"] > 0, method


def test_paper_profile_names_the_missing_hub_model() -> None:
    cell = study.make_cell("paper", "masakhaner2", "hau", "tt-align-src-simalign")
    with pytest.raises(ModelUnavailableError, match="facebook/nllb-200-3.3B") as err:
        pipelines.run_cell(cell)
    assert "internet" in str(err.value) and "local model folder" in str(err.value)
    transfer = study.make_cell("paper", "wikiann", "sw", "tt-model-transfer")
    with pytest.raises(ModelUnavailableError, match="xlm-roberta-large-finetuned-conll03-english"):
        pipelines.run_cell(transfer)


def test_paper_profile_covers_every_variant_of_the_papers_csvs(data_dir: Path) -> None:
    profile = study.load_profile("paper")
    reference = data_dir.resolve().parent / "reference"
    for dataset in ("masakhaner2", "wikiann"):
        plan = profile.datasets[dataset]
        ours = {study.load_method(m).get("paper_variant") for m in plan.methods} - {None}
        paper = paper_results(dataset, reference)
        assert ours == set(paper["variant"]), dataset
        assert {study.make_cell(profile, dataset, lang, "tt-model-transfer").language
                for lang in plan.languages} == set(paper["lang"]), dataset


def test_tiny_model_names_build_once() -> None:
    first = model_path("tiny-nllb")
    assert Path(first, "config.json").is_file() and model_path("tiny-nllb") == first
    assert json.loads(Path(model_path("tiny-conll-ner"), "config.json").read_text())["model_type"] == "xlm-roberta"


def test_mt_translate_train_methods_run_end_to_end_on_tiny_models() -> None:
    """paper-train's transfer side (issue 7 on GPU) on tiny models: machine-translated gold-labelled English
    sentences projected and trained on, adversarial alignment and its control, translate-train + adversarial, the
    ensemble."""
    cells = study.expand_cells("paper-train-tiny")
    assert [c.config["pipeline"] for c in cells] == ["transfer"] * 6
    records = run_all(cells)
    for method, rec in records.items():
        assert rec.status == "ok" and rec.metrics["n_sentences"] == 6 and 0.0 <= rec.metrics["f1"] <= 1.0, method
    assert len({rec.metrics["source_model_weights"] for rec in records.values()}) == 1  # one source model for all
    tt = records["translate-train-simalign"]
    assert "machine-translated by tiny-nllb" in tt.notes and "gold English labels" in tt.notes
    # gold CoNLL entities (MISC included) went in; the projected data keeps only MasakhaNER2 labels
    assert tt.metrics["source_entities"] > 0 and tt.metrics["transfer_pairs"] <= 16
    assert tt.metrics["target_model"]["tagger"] == "xlmr-target"
    assert records["translate-train-simalign-adv"].metrics["target_model"]["tagger"] == "xlmr-adv"
    members = records["ensemble-mt-tt-xlmr"].metrics["members"]
    assert set(members) == {"model-transfer", "translate-train-simalign"}
    # each member's own test score, recorded by the ensemble, is that member's cell: the same model, the same F1
    assert members["translate-train-simalign"]["target_model"]["model_dir"] == tt.metrics["target_model"]["model_dir"]
    assert members["translate-train-simalign"]["test"]["f1"] == tt.metrics["f1"]
    control = records["continued-xlmr"].metrics["target_model"]
    assert "no discriminator" in records["continued-xlmr"].notes and "disc_acc" not in control["dev_curve"][0]


def test_translate_train_needs_an_nllb_code() -> None:
    from xproj_lib.pipelines.transfer import translated_text

    with pytest.raises(ValueError, match="no NLLB-200 code"):
        translated_text({"iso639_3": "xyz", "nllb": None, "word_split": "whitespace"},
                        {"dataset": "conll2003", "lang": "en", "split": "train", "limit": 2}, {})
