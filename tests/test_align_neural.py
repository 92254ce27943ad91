"""SimAlign and AWESoME on tiny random encoders, plus one check on the real offline e5 encoder."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from simalign import SentenceAligner

from xproj_lib.align import AwesomeAligner, SimAlignAligner, build_aligner
from xproj_lib.tiny import build_tiny_encoder

SENTENCES = [
    "Angela Merkel visited Paris on Monday with the European Commission .".split(),
    "Die Vereinten Nationen trafen sich in New York und Genf .".split(),
    "Президент Путин посетил Москву в понедельник .".split(),
]
PAIRS = [(SENTENCES[0], SENTENCES[1]), (SENTENCES[2], SENTENCES[0]), (SENTENCES[1], [])]


@pytest.fixture(scope="module", params=["bert", "xlm-roberta"])
def tiny(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_encoder(tmp_path_factory.mktemp(request.param), model_type=request.param)


@pytest.mark.parametrize("method", ["argmax", "itermax", "match"])
def test_simalign_links_in_bounds_and_identity_is_diagonal(tiny: Path, method: str) -> None:
    aligner = SimAlignAligner(str(tiny), method=method, layer=2, cache=False)
    results = aligner.align(PAIRS + [(SENTENCES[0], SENTENCES[0])])
    for (src, tgt), result in zip(PAIRS, results):
        assert all(0 <= i < len(src) and 0 <= j < len(tgt) for i, j in result.links)
        assert result.scores is not None and len(result.scores) == len(result.links)
    assert results[2].links == []
    assert results[-1].links == [(i, i) for i in range(len(SENTENCES[0]))]


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_simalign_equals_the_package_sentence_aligner(tiny: Path, layer: int) -> None:
    reference = SentenceAligner(model=str(tiny), token_type="bpe", matching_methods="mai", layer=layer)
    for method, key in (("argmax", "inter"), ("itermax", "itermax"), ("match", "mwmf")):
        ours = SimAlignAligner(str(tiny), method=method, layer=layer, batch_size=2, cache=False)
        for (src, tgt), result in zip(PAIRS[:2], ours.align(PAIRS[:2])):
            expected = reference.get_word_aligns(src, tgt)[key]
            assert result.links == [tuple(link) for link in expected], method


def test_awesome_links_in_bounds_and_identity_is_diagonal(tiny: Path) -> None:
    aligner = AwesomeAligner(str(tiny), layer=2, cache=False)
    results = aligner.align(PAIRS + [(SENTENCES[2], SENTENCES[2])])
    for (src, tgt), result in zip(PAIRS, results):
        assert all(0 <= i < len(src) and 0 <= j < len(tgt) for i, j in result.links)
        assert all(0 < s <= 1 for s in result.scores)
    assert {(i, i) for i in range(len(SENTENCES[2]))} <= set(results[-1].links)


def test_batching_does_not_change_results(tiny: Path) -> None:
    one = AwesomeAligner(str(tiny), layer=2, batch_size=1, cache=False).align(PAIRS)
    many = AwesomeAligner(str(tiny), layer=2, batch_size=16, cache=False).align(PAIRS)
    assert [r.links for r in one] == [r.links for r in many]


@pytest.mark.parametrize("cls", [SimAlignAligner, AwesomeAligner])
def test_subword_limit_warns_and_does_not_crash(tiny: Path, cls: type, caplog: pytest.LogCaptureFixture) -> None:
    long_sentence = ["Angela"] * 600
    aligner = cls(str(tiny), layer=2, cache=False)
    kept = 510 // len(aligner.encoder.tokenizer("Angela", add_special_tokens=False)["input_ids"])
    with caplog.at_level(logging.WARNING):
        result = aligner.align([(long_sentence, SENTENCES[0])])[0]
    assert f"{600 - kept} words in 1 sentences lie past the 510-subword limit" in caplog.text
    assert result.dropped_src == 600 - kept and result.dropped_tgt == 0
    assert result.links and max(i for i, _ in result.links) < kept


def test_layer_out_of_range_is_rejected(tiny: Path) -> None:
    with pytest.raises(ValueError, match="layer 3 is out of range"):
        AwesomeAligner(str(tiny), layer=3)


def test_unknown_method_is_rejected(tiny: Path) -> None:
    with pytest.raises(ValueError, match="unknown SimAlign method"):
        SimAlignAligner(str(tiny), method="greedy", layer=1)


def test_e5_identical_sentences_align_diagonally() -> None:
    """The project's default offline encoder (converted on first use, then cached)."""
    pairs = [(SENTENCES[0], SENTENCES[0]), (SENTENCES[2], SENTENCES[2])]
    for kind in ("simalign", "awesome"):
        for (words, _), result in zip(pairs, build_aligner(kind, cache=False).align(pairs)):
            assert {(i, i) for i in range(len(words))} <= set(result.links), kind
