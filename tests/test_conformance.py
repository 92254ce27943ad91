"""Sentence-for-sentence conformance with the official NoDaLiDa projection code (e69a5d1) on every fixture
in ``reference/projection_conformance``: the heuristic and the n-gram greedy (labels and match order)."""
from __future__ import annotations

from pathlib import Path

import pytest

from xproj_lib.project import project_candidates_batch, project_heuristic_batch
from xproj_lib.project.fixtures import load_reference, load_workload

FIXTURES = ("2000", "europarl_de", "europarl_es", "europarl_it")


def _fixture_dir(data_dir: Path) -> Path:
    path = data_dir.parent / "reference" / "projection_conformance"
    if not path.is_dir():
        pytest.fail(f"conformance fixtures not found at {path}")
    return path


@pytest.fixture(scope="module", params=FIXTURES)
def fixture(request: pytest.FixtureRequest, data_dir: Path):
    """(inputs, reference outputs) of one workload."""
    folder = _fixture_dir(data_dir)
    inputs = load_workload(folder / f"workload_{request.param}.json")
    reference = load_reference(folder / f"ref_outputs_{request.param}.json")
    assert len(inputs) == len(reference["heuristic"]) == len(reference["ngram_argmax"])
    return request.param, inputs, reference


def test_heuristic_matches_official_labels(fixture) -> None:
    name, inputs, reference = fixture
    ours = project_heuristic_batch(inputs)
    differing = [inp.id for inp, tags, ref in zip(inputs, ours, reference["heuristic"]) if tags != ref["labels"]]
    assert differing == [], f"{name}: {len(differing)} sentences differ, e.g. {differing[:5]}"


def test_ngram_greedy_matches_official_labels_and_match_order(fixture) -> None:
    name, inputs, reference = fixture
    results, statuses = project_candidates_batch(inputs)
    assert statuses == {"greedy": len(inputs)}
    ref = reference["ngram_argmax"]
    bad_labels = [inp.id for inp, r, o in zip(inputs, results, ref) if r.tags != o["labels"]]
    bad_matches = [inp.id for inp, r, o in zip(inputs, results, ref) if [list(m) for m in r.matches] != o["matches"]]
    assert bad_labels == [] and bad_matches == [], f"{name}: labels differ {bad_labels[:5]}, matches {bad_matches[:5]}"


def test_paper_heuristic_leaves_six_orphan_i_tags_on_the_2000_workload(data_dir: Path) -> None:
    inputs = load_workload(_fixture_dir(data_dir) / "workload_2000.json")
    orphans = sum(
        any(tag.startswith("I-") and prev[2:] != tag[2:] for prev, tag in zip(["O", *tags], tags))
        for tags in project_heuristic_batch(inputs)
    )
    assert orphans == 6


def test_loader_converts_target_first_pairs_and_reports_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text('{"format": "ref_projection_workload/v1", "sentences": [{"id": 7, "tgt_tokens": ["a", "b"], '
                    '"src_tokens": ["x"], "src_entities": [{"start_idx": 0, "end_idx": 1, "label": "PER"}], '
                    '"alignments": [[1, 0]]}]}')
    (inp,) = load_workload(path)
    assert inp.alignment == [(0, 1)] and inp.id == "7"
    path.write_text(path.read_text().replace("[[1, 0]]", "[[5, 0]]"))
    with pytest.raises(ValueError, match=r"w\.json: sentence #0.*outside"):
        load_workload(path)
    path.write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="format"):
        load_workload(path)
