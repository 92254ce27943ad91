"""NLLB translation and translation probabilities on a tiny random NLLB-architecture model (offline)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from xproj_lib.models import ModelUnavailableError
from xproj_lib.tiny import build_tiny_translator
from xproj_lib.translate import Decoding, Translator, nmt_pair_scorer, resolve_dtype

TEXTS = [
    "Shugaba Muhammadu Buhari ya ziyarci Kano ranar Litinin .",
    "Kano",
    "Rais Samia Suluhu Hassan alitembelea Dodoma siku ya Jumatatu .",
    "Angela Merkel",
    "Kano",  # a duplicate
]
SHORT = Decoding(max_length=12)


@pytest.fixture(scope="module")
def tiny_nllb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random tiny NLLB-architecture translator knowing three language codes."""
    return build_tiny_translator(tmp_path_factory.mktemp("nllb"), langs=["eng_Latn", "hau_Latn", "swh_Latn"])


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts from an empty xproj cache."""
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path / "cache"))


def test_second_translation_comes_from_the_disk_cache(tiny_nllb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = Translator(tiny_nllb, batch_size=2)
    out = first.translate(TEXTS, "hau_Latn", "eng_Latn", SHORT)
    assert len(out) == len(TEXTS) and out[1] == out[4]
    assert (first.stats.unique, first.stats.computed, first.stats.from_cache) == (4, 4, 0)

    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was called although every translation is cached")

    monkeypatch.setattr(Translator, "_generate", no_model)
    second = Translator(tiny_nllb, batch_size=2)  # a new instance: nothing in memory, only on disk
    assert second.translate(TEXTS, "hau_Latn", "eng_Latn", SHORT) == out
    assert (second.stats.computed, second.stats.from_cache) == (0, 4)


def test_cache_key_includes_languages_and_decoding(tiny_nllb: Path) -> None:
    translator = Translator(tiny_nllb)
    translator.translate(TEXTS[:2], "hau_Latn", "eng_Latn", SHORT)
    translator.translate(TEXTS[:2], "swh_Latn", "eng_Latn", SHORT)
    translator.translate(TEXTS[:2], "hau_Latn", "eng_Latn", Decoding(max_length=13))
    assert translator.stats.computed == 6 and translator.stats.from_cache == 0


class EchoModel(torch.nn.Module):
    """Stands in for the seq2seq model: "translates" by echoing the input ids, recording each batch."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[int]] = []

    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kwargs: object) -> torch.Tensor:
        self.batches.append(attention_mask.sum(dim=1).tolist())
        return input_ids


def test_batches_are_sorted_by_length_and_the_input_order_is_restored(
        tiny_nllb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    translator = Translator(tiny_nllb, batch_size=2, cache=False)
    tokenizer = translator.loaded()[1]
    echo = EchoModel()
    monkeypatch.setattr(Translator, "loaded", lambda self: (echo, tokenizer))
    out = translator.translate(TEXTS, "hau_Latn", "eng_Latn", SHORT)
    expected = [tokenizer.decode(tokenizer(t)["input_ids"], skip_special_tokens=True) for t in TEXTS]
    assert out == expected and len(set(out)) == 4
    lengths = [n for batch in echo.batches for n in batch]
    assert [len(b) for b in echo.batches] == [2, 2] and lengths == sorted(lengths, reverse=True)


def test_empty_text_and_unknown_language_code(tiny_nllb: Path) -> None:
    translator = Translator(tiny_nllb, cache=False)
    assert translator.translate(["", "  "], "hau_Latn", "eng_Latn", SHORT) == ["", ""]
    with pytest.raises(ValueError, match="no language code 'yor_Latn'"):
        translator.translate(["Kano"], "yor_Latn", "eng_Latn", SHORT)


def reference_probability(path: Path, source: str, hypothesis: str, src: str, tgt: str) -> float:
    """NMTScore's computation for one unpadded pair: 2^(−CE) over the labels after the language code."""
    translator = Translator(path, cache=False)
    model, tokenizer = translator.loaded()
    tokenizer.src_lang, tokenizer.tgt_lang = src, tgt
    enc = tokenizer([source], text_target=[hypothesis], return_tensors="pt")
    labels = enc.pop("labels")
    decoder_in = torch.cat([torch.tensor([[model.config.decoder_start_token_id]]), labels[:, :-1]], dim=1)
    with torch.no_grad():
        logits = model(**enc, decoder_input_ids=decoder_in).logits
    loss = torch.nn.functional.cross_entropy(logits[0, 1:], labels[0, 1:])
    return float(2 ** -loss)


def test_probability_matches_nmtscore_in_padded_batches(tiny_nllb: Path) -> None:
    sources = ["Kano", "Angela Merkel", "Shugaba Muhammadu Buhari ya ziyarci Kano ranar Litinin ."]
    hypotheses = ["Shugaba Muhammadu Buhari", "Kano", "Angela"]
    probs = Translator(tiny_nllb, batch_size=2, cache=False).probability(sources, hypotheses, "hau_Latn", "eng_Latn")
    expected = [reference_probability(tiny_nllb, s, h, "hau_Latn", "eng_Latn") for s, h in zip(sources, hypotheses)]
    np.testing.assert_allclose(probs, expected, rtol=1e-4)
    assert np.all((probs > 0) & (probs <= 1))


def test_nmt_score_is_symmetric_and_self_normalised(tiny_nllb: Path) -> None:
    translator = Translator(tiny_nllb, batch_size=4)
    en, ha = ["Angela Merkel", "Kano", "New York"], ["Muhammadu Buhari", "Kano", "Dodoma"]
    forward = nmt_pair_scorer(translator, "eng_Latn", "hau_Latn")(en, ha)
    backward = nmt_pair_scorer(translator, "hau_Latn", "eng_Latn")(ha, en)
    np.testing.assert_allclose(forward, backward, rtol=1e-9)
    assert np.all(forward > 0)
    same = nmt_pair_scorer(translator, "eng_Latn", "eng_Latn")(en, en)
    np.testing.assert_allclose(same, 1.0)
    computed = translator.stats.computed
    nmt_pair_scorer(translator, "eng_Latn", "hau_Latn")(en, ha)
    assert translator.stats.computed == computed  # every probability came from the cache


def test_dtype_resolution_and_bad_input(tiny_nllb: Path) -> None:
    assert resolve_dtype("auto", torch.device("cpu")) == torch.float32
    assert resolve_dtype("bfloat16", torch.device("cpu")) == torch.bfloat16
    with pytest.raises(ValueError, match="unknown dtype"):
        resolve_dtype("int8", torch.device("cpu"))  # type: ignore[arg-type]
    translator = Translator(tiny_nllb, cache=False)
    with pytest.raises(ValueError, match="2 sources but 1 hypotheses"):
        translator.probability(["a", "b"], ["c"], "eng_Latn", "hau_Latn")
    with pytest.raises(ValueError, match="empty source or hypothesis"):
        translator.probability([""], ["c"], "eng_Latn", "hau_Latn")


def test_missing_hub_model_names_the_model_and_the_remedies() -> None:
    with pytest.raises(ModelUnavailableError, match="facebook/nllb-200-distilled-600M") as err:
        Translator("facebook/nllb-200-distilled-600M")
    assert "internet" in str(err.value) and "local model folder" in str(err.value)
