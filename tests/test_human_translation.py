"""MAFAND-MT's human English translations as the translate-test translator."""
from __future__ import annotations

from pathlib import Path

import pytest

from xproj_lib.datasets import load_ner, load_parallel
from xproj_lib.human_translation import HumanTranslator, is_human
from xproj_lib.languages import load_language
from xproj_lib.pipelines.translate_test import with_human_translation


def test_is_human():
    assert is_human({"type": "human"}) and is_human("human")
    assert not is_human({"type": "nllb", "model": "x"}) and not is_human(None)


def test_lookup_finds_the_english_side_whatever_the_tokenisation(data_dir: Path):
    pair = next(iter(load_parallel("en", "twi", "test")))
    human = HumanTranslator("en-twi")
    words = pair.tgt.replace(",", " , ").split()  # tokenised differently from the MAFAND line
    assert human.lookup([words, ["no", "such", "sentence", "xyzzy"]]) == [pair.src, None]
    assert human.stats == {"requested": 2, "found": 1, "missing": 1}


def test_a_french_pair_has_no_english_side(data_dir: Path):
    language = load_language("bam")
    with pytest.raises(ValueError, match="no English side"):
        HumanTranslator.for_language(language.model_dump() if hasattr(language, "model_dump") else language).lookup([["a"]])


def test_coverage_counts_every_sentence_left_out(data_dir: Path):
    language = load_language("twi")
    spec = language.model_dump() if hasattr(language, "model_dump") else language
    gold = load_ner("masakhaner2", "twi", "test", limit=200)
    kept, coverage = with_human_translation(spec, gold)
    assert coverage["test_sentences_total"] == 200
    assert coverage["test_sentences_translated"] == len(kept) > 100
    assert coverage["test_sentences_without_translation"] == 200 - len(kept) == len(
        coverage["test_sentences_without_translation_ids"])
