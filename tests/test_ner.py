"""Word-level inference with TransformersTagger on tiny random models (offline)."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForTokenClassification, AutoTokenizer

from xproj_lib.models import ModelUnavailableError
from xproj_lib.ner import (
    TransformersTagger,
    WordTagger,
    check_iob_labels,
    first_subtoken_index,
    spans,
)
from xproj_lib.tags import repair_iob2
from xproj_lib.tiny import CONLL_LABELS, build_tiny_encoder
from xproj_lib.types import Span

SENTENCES = [
    ["Angela", "Merkel", "visited", "Paris", "on", "Monday", "."],
    ["Kano"],
    ["The", "United", "Nations", "met", "in", "New", "York", "and", "Geneva", "."],
    ["Shugaba", "Muhammadu", "Buhari", "ya", "ziyarci", "Kano", "ranar", "Litinin", "."],
]


@pytest.fixture(scope="module", params=["bert", "xlm-roberta"])
def tiny_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random tiny token classifier with the CoNLL labels, one per architecture."""
    return build_tiny_encoder(tmp_path_factory.mktemp(request.param), labels=CONLL_LABELS,
                              model_type=request.param)


def constant_tagger(path: Path, label: str, **kwargs) -> TransformersTagger:
    """A tagger whose model gives every sub-token ``label`` (classifier weights 0, bias one-hot)."""
    model = AutoModelForTokenClassification.from_pretrained(path)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.fill_(-10.0)
        model.classifier.bias[model.config.label2id[label]] = 10.0
    return TransformersTagger.from_components(model, AutoTokenizer.from_pretrained(path), **kwargs)


def test_first_subtoken_index() -> None:
    assert first_subtoken_index([None, 0, 0, 1, 3, 3, None], 5).tolist() == [1, 3, -1, 4, -1]


def test_predict_shapes_and_valid_iob2(tiny_model: Path) -> None:
    tagger = TransformersTagger(tiny_model, batch_size=2)
    assert isinstance(tagger, WordTagger)
    assert tagger.labels == list(CONLL_LABELS)
    tags = tagger.predict(SENTENCES + [[]])
    assert [len(t) for t in tags] == [len(s) for s in SENTENCES] + [0]
    for sent_tags in tags:
        assert set(sent_tags) <= set(CONLL_LABELS)
        assert repair_iob2(sent_tags)[1] == 0  # no orphan I-
    probs = tagger.predict_proba(SENTENCES)
    for p, s in zip(probs, SENTENCES):
        assert p.shape == (len(s), len(CONLL_LABELS))
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def test_length_sorted_batching_keeps_order(tiny_model: Path) -> None:
    tagger = TransformersTagger(tiny_model, batch_size=3)
    together = tagger.predict_proba(SENTENCES)
    for sent, probs in zip(SENTENCES, together):
        np.testing.assert_allclose(tagger.predict_proba([sent])[0], probs, atol=1e-5)


def test_cached_probabilities_are_computed_once_per_model_and_words(
        tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path))
    calls: list[int] = []

    def counted(tagger: TransformersTagger) -> TransformersTagger:
        compute = tagger._proba
        tagger._proba = lambda batch: calls.append(len(batch)) or compute(batch)
        return tagger

    batch = SENTENCES + [[]]
    first = counted(TransformersTagger(tiny_model, batch_size=2, cache_as="model-a")).predict_proba(batch)
    again = counted(TransformersTagger(tiny_model, batch_size=2, cache_as="model-a")).predict_proba(batch)
    assert calls == [5]  # the second tagger read the cache
    assert all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(first, again))
    assert again[-1].shape == (0, len(CONLL_LABELS))
    counted(TransformersTagger(tiny_model, batch_size=2, cache_as="model-b")).predict_proba(batch)
    counted(TransformersTagger(tiny_model, batch_size=2, cache_as="model-a")).predict_proba(SENTENCES[:2])
    uncached = counted(TransformersTagger(tiny_model, batch_size=2))
    uncached.predict_proba(batch)
    uncached.predict_proba(batch)
    assert calls == [5, 5, 2, 5, 5]  # another model, other words, and no identity are computed


def test_first_subtoken_aggregation(tiny_model: Path) -> None:
    """The word's row is the softmax at its first sub-token, not at any later one."""
    tagger = TransformersTagger(tiny_model)
    words = ["Muhammadu", "Parisian", "Angelas"]
    enc = tagger.tokenizer([words], is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        full = torch.softmax(tagger.model(**enc).logits[0], dim=-1).numpy()
    first = first_subtoken_index(enc.word_ids(0), len(words))
    assert (np.bincount([w for w in enc.word_ids(0) if w is not None]) > 1).any(), "need a multi-piece word"
    np.testing.assert_allclose(tagger.predict_proba([words])[0], full[first], atol=1e-6)


def test_iob1_output_becomes_one_iob2_entity(tiny_model: Path) -> None:
    """An IOB1 model saying I-PER on consecutive words means one PER entity."""
    tagger = constant_tagger(tiny_model, "I-PER")
    words = ["Angela", "Merkel", "visited"]
    assert tagger.predict([words]) == [["B-PER", "I-PER", "I-PER"]]
    assert tagger.stats.converted_tags == 1
    assert spans(tagger, [words]) == [[Span(0, 3, "PER")]]


def test_truncation_guard_tags_o_and_counts(tiny_model: Path, caplog: pytest.LogCaptureFixture) -> None:
    tagger = constant_tagger(tiny_model, "B-LOC", max_length=8)
    words = SENTENCES[2] * 3
    fitted = len({w for w in tagger.tokenizer([words], is_split_into_words=True, truncation=True,
                                              max_length=8).word_ids(0) if w is not None})
    assert 0 < fitted < len(words)
    with caplog.at_level(logging.WARNING, logger="xproj_lib.ner"):
        tags = tagger.predict([words])[0]
    assert tags[:fitted] == ["B-LOC"] * fitted
    assert tags[fitted:] == ["O"] * (len(words) - fitted)
    assert tagger.stats.truncated_words == len(words) - fitted
    assert "input limit" in caplog.text


def test_word_without_subtoken_is_o_and_counted(tiny_model: Path) -> None:
    tagger = constant_tagger(tiny_model, "B-ORG")
    assert tagger.predict([["Kano", "", "Paris"]]) == [["B-ORG", "O", "B-ORG"]]
    assert tagger.stats.empty_words == 1
    assert tagger.stats.truncated_words == 0


def test_input_limit_from_positions(tiny_model: Path) -> None:
    tagger = TransformersTagger(tiny_model, max_length=100_000)
    assert tagger.max_length == 512  # bert: 512 positions; xlm-roberta: 514 - (pad 1 + 1)


def test_non_iob_labels_rejected() -> None:
    check_iob_labels(["O", "B-PER", "I-PER"], "ok")
    with pytest.raises(ValueError, match="my-model"):
        check_iob_labels(["LABEL_0", "LABEL_1"], "my-model")


def test_uncached_hub_id_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(ModelUnavailableError, match="xproj-test/not-a-cached-model"):
        TransformersTagger("xproj-test/not-a-cached-model")
