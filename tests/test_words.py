"""Word splitting of MT output and detokenization of gold tokens."""
from __future__ import annotations

import pytest

from xproj_lib.words import detokenize, split_words


def test_whitespace_splits_punctuation_and_restores_quotes() -> None:
    words = split_words('He said "Hello, world" to Anna (in N.Y.).', "whitespace")
    assert words == ["He", "said", '"', "Hello", ",", "world", '"', "to", "Anna", "(", "in", "N.Y.", ")", "."]
    assert "``" not in words and "''" not in words
    assert split_words("Kano ni birni.", "whitespace") == ["Kano", "ni", "birni", "."]
    assert split_words("   ", "whitespace") == []


def test_chars_splits_cjk_kana_thai_but_keeps_latin_words() -> None:
    words = split_words("東京タワーは「Tokyo Tower」と呼ばれ、a banana。", "chars")
    assert words == ["東", "京", "タ", "ワ", "ー", "は", "「", "Tokyo", "Tower", "」", "と", "呼", "ば", "れ", "、",
                     "a", "banana", "。"]
    assert split_words("ไทย Bangkok", "chars") == ["ไ", "ท", "ย", "Bangkok"]
    assert split_words("ｶﾀｶﾅ 2025年", "chars") == ["ｶ", "ﾀ", "ｶ", "ﾅ", "2025", "年"]


def test_jieba_segments_words_and_drops_whitespace() -> None:
    assert split_words("我来到北京清华大学", "jieba") == ["我", "来到", "北京", "清华大学"]
    words = split_words("我来到 New York", "jieba")
    assert words == ["我", "来到", "New", "York"]
    assert all(w.strip() for w in words)


def test_detokenize() -> None:
    tokens = ["He", "said", '"', "Hello", ",", "world", '"', "(", "in", "Kano", ")", "."]
    assert detokenize(tokens, "whitespace") == 'He said "Hello, world" (in Kano).'
    assert detokenize(["東", "京", "は"], "chars") == "東京は"
    assert detokenize(["清华", "大学"], "jieba") == "清华大学"
    text = "Ali ya je Kano , ya dawo ."
    assert split_words(detokenize(text.split(), "whitespace"), "whitespace") == text.split()


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown word-splitting method 'bpe'"):
        split_words("a b", "bpe")
    with pytest.raises(ValueError, match="unknown word-splitting method"):
        detokenize(["a"], "bpe")
