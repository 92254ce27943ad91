"""The sklearn-crfsuite word tagger on a handful of sentences."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xproj_lib.crf import CRFConfig, CRFTagger, sentence_features, train_crf, word_features
from xproj_lib.ner import WordTagger
from xproj_lib.tags import repair_iob2
from xproj_lib.types import Sentence

TRAIN = [
    Sentence(["Angela", "Merkel", "visited", "Paris", "on", "Monday", "."],
             ["B-PER", "I-PER", "O", "B-LOC", "O", "O", "O"]),
    Sentence(["The", "United", "Nations", "met", "in", "New", "York", "."],
             ["O", "B-ORG", "I-ORG", "O", "O", "B-LOC", "I-LOC", "O"]),
    Sentence(["Muhammadu", "Buhari", "visited", "Kano", "."], ["B-PER", "I-PER", "O", "B-LOC", "O"]),
    Sentence(["Samia", "Hassan", "met", "the", "United", "Nations", "in", "Dodoma", "."],
             ["B-PER", "I-PER", "O", "O", "B-ORG", "I-ORG", "O", "B-LOC", "O"]),
]
FIT = CRFConfig(c1=0.0, c2=0.01, max_iterations=50)


@pytest.fixture(autouse=True)
def private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test trains into its own empty model cache."""
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path / "cache"))


def test_word_features_window_and_edges() -> None:
    words = ["Angela", "Merkel", "visited"]
    first = word_features(words, 0)
    assert first["lower"] == "angela" and first["shape"] == "Xx" and first["title"] is True
    assert first["suf3"] == "ela" and first["pre1"] == "A"
    assert first["-1:edge"] and first["-2:edge"]
    assert first["+1:lower"] == "merkel" and first["+2:lower"] == "visited"
    assert word_features(["1996-08-22"], 0)["shape"] == "d-d-d"
    assert len(sentence_features(words)) == 3


def test_trains_and_predicts_valid_tags() -> None:
    tagger, record = train_crf(TRAIN, FIT)
    assert isinstance(tagger, WordTagger)
    assert not record.cached and record.n_sentences == len(TRAIN)
    assert tagger.labels[0] == "O" and set(tagger.labels) == {t for s in TRAIN for t in s.tags}
    pred = tagger.predict([s.tokens for s in TRAIN] + [[], ["Merkel", "met", "Buhari"]])
    assert pred[-2] == [] and len(pred[-1]) == 3
    for tags in pred:
        assert set(tags) <= set(tagger.labels) and repair_iob2(tags)[1] == 0
    correct = sum(p == g for s, tags in zip(TRAIN, pred) for p, g in zip(tags, s.tags))
    assert correct / sum(len(s) for s in TRAIN) > 0.95  # it fits its own training data


def test_marginals_are_distributions() -> None:
    tagger, _ = train_crf(TRAIN, FIT)
    probs = tagger.predict_proba([TRAIN[0].tokens, []])
    assert probs[0].shape == (len(TRAIN[0]), len(tagger.labels)) and probs[1].shape == (0, len(tagger.labels))
    np.testing.assert_allclose(probs[0].sum(axis=1), 1.0, rtol=1e-5)
    best = [tagger.labels[j] for j in probs[0].argmax(axis=1)]
    assert best == tagger.predict([TRAIN[0].tokens])[0]


def test_save_load_round_trip(tmp_path: Path) -> None:
    tagger, _ = train_crf(TRAIN, FIT)
    loaded = CRFTagger.load(tagger.save(tmp_path / "saved"))
    words = [s.tokens for s in TRAIN]
    assert loaded.labels == tagger.labels
    assert loaded.predict(words) == tagger.predict(words)
    for a, b in zip(loaded.predict_proba(words), tagger.predict_proba(words)):
        np.testing.assert_array_equal(a, b)


def test_cache_reuses_and_keys_by_content() -> None:
    tagger, first = train_crf(TRAIN, FIT)
    _, second = train_crf(TRAIN, FIT)
    assert second.cached and second.model_dir == first.model_dir
    assert second.train_seconds == first.train_seconds  # the stored record, not a new run
    _, other_data = train_crf(TRAIN[:3], FIT)
    _, other_config = train_crf(TRAIN, CRFConfig(c1=0.0, c2=0.02, max_iterations=50))
    assert not other_data.cached and not other_config.cached
    assert len({first.model_dir, other_data.model_dir, other_config.model_dir}) == 3


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="no sentences"):
        train_crf([])
    with pytest.raises(FileNotFoundError, match="not a CRF model folder"):
        CRFTagger(Path("/nonexistent/crf"))
