"""The language probe (xproj_lib.probe): its split, its discriminator, and a tiny model end to end."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from xproj_lib.probe import ProbeConfig, language_probe, probe_accuracy, probe_metrics, probe_split, sentence_vectors


def test_split_is_seeded_disjoint_and_a_fifth_held_out() -> None:
    chosen, train, test = probe_split(50, ProbeConfig(sentences=30))
    assert len(set(chosen)) == 30 and chosen.max() < 50
    assert len(test) == 12 and len(train) == 48 and not set(train) & set(test)
    assert sorted(np.concatenate([train, test])) == list(range(60))
    again = probe_split(50, ProbeConfig(sentences=30))
    assert all(np.array_equal(a, b) for a, b in zip(again, (chosen, train, test)))
    assert len(probe_split(10, ProbeConfig(sentences=600))[0]) == 10  # fewer pairs than asked: all of them


def test_probe_tells_separable_languages_apart_and_not_identical_ones() -> None:
    rng = np.random.default_rng(0)
    n = 200
    y = torch.tensor([0] * n + [1] * n)
    config = ProbeConfig(steps=(10, 200), hidden_size=16)
    order = rng.permutation(2 * n)
    train, test = order[80:], order[:80]
    apart = torch.tensor(rng.normal(size=(2 * n, 8)), dtype=torch.float32) + 3.0 * y[:, None]
    assert probe_accuracy(apart, y, train, test, config)[200] > 0.95
    same = torch.tensor(rng.normal(size=(2 * n, 8)), dtype=torch.float32)
    assert 0.3 < probe_accuracy(same, y, train, test, config)[200] < 0.7
    with pytest.raises(ValueError, match="lack one"):
        probe_accuracy(apart, y, train[y[train].numpy() == 0], test, config)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from xproj_lib.tiny import build_tiny_encoder

    return build_tiny_encoder(tmp_path_factory.mktemp("tiny"))


def test_probe_on_a_tiny_model(tiny: Path) -> None:
    src = [["the", "president", "visited", "Kano", str(i)] for i in range(40)]
    tgt = [["shugaba", "ya", "ziyarci", "Kano", str(i), "ranar"] for i in range(40)]
    vectors = sentence_vectors(str(tiny), src[:3], layers=(None, 0))
    assert vectors[None].shape[0] == 3 and vectors[0].shape == vectors[None].shape
    config = ProbeConfig(sentences=30, steps=(5, 20))
    result = language_probe(str(tiny), src, tgt, config, layers=(None, 1))
    assert set(result) == {None, 1} and set(result[None]) == {5, 20}
    metrics = probe_metrics(str(tiny), src, tgt, config, layer=1)
    assert metrics["accuracy"] == result[None][20] and metrics["accuracy_at_layer"] == result[1][20]
    assert metrics["n_sentences"] == 60 and metrics["version"] == 1
    with pytest.raises(ValueError, match="parallel"):
        language_probe(str(tiny), src, tgt[:5], config)
