"""Transfer text that repeats evaluation sentences is found and left out."""
from __future__ import annotations

import pytest

from xproj_lib.cli import main
from xproj_lib.overlap import overlap_table, overlapping, text_key
from xproj_lib.pipelines.transfer import transfer_corpus, transfer_text

SENTENCE = "Ye mɛ è xwè tɛ́nkpɔ́n xwè fínfó lɛ́ɛ kpódó ye mɛ è xwè agbahwlɛ́nhwlɛ́n".split()


def test_keys_ignore_case_punctuation_spacing_and_unicode_composition():
    assert text_key(["Tògán", "-", "gbásá", "."]) == text_key(["tògán-gbásá"])
    assert text_key(["e\u0301"]) == text_key(["\u00e9"])  # NFD and NFC of é
    assert text_key(["a_b"]) == "ab"


def test_a_text_overlaps_when_equal_containing_or_contained():
    texts = [
        ["2-", *SENTENCE, "."],  # a list number in front of the held-out sentence
        [w.upper() for w in SENTENCE],  # the same sentence, another case
        SENTENCE[:10],  # a part of it, long enough to count (35 key characters)
        ["xwè", "fínfó"],  # a short shared phrase: not a repeated sentence
        ["Another", "sentence", "altogether", "with", "nothing", "shared"],
    ]
    assert overlapping(texts, [SENTENCE]) == [True, True, True, False, False]
    assert overlapping([["Ghana"]], [["Ghana", "."]]) == [True]  # short but equal
    assert overlapping(texts, []) == [False] * 5
    with pytest.raises(ValueError, match="min_chars"):
        overlapping(texts, [SENTENCE], min_chars=0)


def test_transfer_text_leaves_out_overlapping_pairs_before_taking_the_first_n(data_dir):
    hau = {"iso639_3": "hau", "word_split": "whitespace", "datasets": {"mafand": "en-hau"}}
    _, tgt, _ = transfer_corpus(hau, 20)
    text = transfer_text(hau, {"max_transfer_pairs": 10}, {}, held_out=[tgt[0].tokens, tgt[2].tokens])
    assert [t.id for t in text.tgt] == [t.id for t in tgt[1:2] + tgt[3:12]]
    assert text.held_out_overlap == 2 and "2 pairs left out" in text.notes
    assert len(text.src) == 10 and [s.id for s in text.src] == [t.id for t in text.tgt]


def test_most_fon_test_sentences_are_mafand_sentences_and_the_table_says_so(data_dir, capsys):
    """Why the check exists: MasakhaNER2's fon (and twi) test set is largely MAFAND-MT train text."""
    table = overlap_table(["fon", "hau"]).set_index("lang")
    assert table.loc["fon", "test_in_mafand"] > table.loc["fon", "test_sentences"] / 2
    assert table.loc["fon", "left_out"] > table.loc["fon", "transfer_pairs"] / 2
    assert table.loc["hau", ["left_out", "test_in_mafand", "test_in_train"]].tolist() == [0, 0, 204]
    assert main(["data", "overlap", "--languages", "hau"]) == 0
    assert "en-hau train" in capsys.readouterr().out
