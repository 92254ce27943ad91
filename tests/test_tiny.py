"""The tiny test models load offline through the Auto classes and run."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoModel, AutoModelForSeq2SeqLM, AutoModelForTokenClassification, AutoTokenizer

from xproj_lib.tiny import CONLL_LABELS, ENCODER_TYPES, build_tiny_encoder, build_tiny_translator

WORDS = ["Angela", "Merkel", "besuchte", "Москву", "习近平"]


@pytest.mark.parametrize("model_type", ENCODER_TYPES)
def test_tiny_encoder_loads_and_keeps_word_ids(tmp_path: Path, model_type: str) -> None:
    path = build_tiny_encoder(tmp_path / model_type, model_type=model_type)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path)
    enc = tokenizer([WORDS], is_split_into_words=True, return_tensors="pt")
    tokens = tokenizer.convert_ids_to_tokens(enc.input_ids[0])
    assert tokenizer.unk_token not in tokens  # the trained vocabulary is really used
    assert {w for w in enc.word_ids(0) if w is not None} == set(range(len(WORDS)))
    out = model(**enc, output_hidden_states=True)
    assert len(out.hidden_states) == 3 and out.last_hidden_state.shape[-1] == 32


def test_tiny_encoder_token_classification_head(tmp_path: Path) -> None:
    path = build_tiny_encoder(tmp_path / "ner", labels=CONLL_LABELS, seed=3)
    model = AutoModelForTokenClassification.from_pretrained(path)
    assert [model.config.id2label[i] for i in range(len(CONLL_LABELS))] == list(CONLL_LABELS)
    tokenizer = AutoTokenizer.from_pretrained(path)
    logits = model(**tokenizer(["Angela Merkel"], return_tensors="pt")).logits
    assert logits.shape[-1] == len(CONLL_LABELS)


def test_tiny_encoder_is_seeded(tmp_path: Path) -> None:
    a = AutoModel.from_pretrained(build_tiny_encoder(tmp_path / "a", seed=1))
    b = AutoModel.from_pretrained(build_tiny_encoder(tmp_path / "b", seed=1))
    c = AutoModel.from_pretrained(build_tiny_encoder(tmp_path / "c", seed=2))
    wa, wb, wc = (m.embeddings.word_embeddings.weight for m in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)


def test_tiny_encoder_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="model_type"):
        build_tiny_encoder(tmp_path / "x", model_type="gpt2")
    with pytest.raises(ValueError, match="unique"):
        build_tiny_encoder(tmp_path / "y", labels=["O", "O"])


def test_tiny_translator_generates_with_language_codes(tmp_path: Path) -> None:
    path = build_tiny_translator(tmp_path / "mt", langs=["eng_Latn", "hau_Latn"])
    tokenizer = AutoTokenizer.from_pretrained(path, src_lang="eng_Latn")
    model = AutoModelForSeq2SeqLM.from_pretrained(path)
    enc = tokenizer(["Angela Merkel visited Paris ."], return_tensors="pt")
    assert tokenizer.convert_ids_to_tokens(enc.input_ids[0])[0] == "eng_Latn"
    hau = tokenizer.convert_tokens_to_ids("hau_Latn")
    assert hau != tokenizer.unk_token_id
    out = model.generate(**enc, forced_bos_token_id=hau, max_new_tokens=5)
    assert out[0, 1].item() == hau and out.shape[1] <= 7
    assert isinstance(tokenizer.batch_decode(out, skip_special_tokens=True)[0], str)


def test_tiny_translator_knows_all_nllb_codes_by_default(tmp_path: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(build_tiny_translator(tmp_path / "mt"))
    for code in ("eng_Latn", "hau_Latn", "yor_Latn", "swh_Latn", "amh_Ethi"):
        assert tokenizer.convert_tokens_to_ids(code) != tokenizer.unk_token_id
