"""Word splitting of raw text (MT output) and detokenization of gold tokens (MT input), per language method.

Methods (a language file's ``word_split``):
* ``whitespace``: NLTK's Treebank word tokenizer (``NLTKWordTokenizer``, no punkt data needed); the
  Treebank quote tokens ````` and ``''`` are mapped back to ``"``.
* ``jieba``: jieba word segmentation (Chinese); whitespace tokens dropped.
* ``chars``: Japanese/Thai. Each CJK ideograph, kana, CJK/full-width punctuation or Thai character is one
  token; every other run is split with the ``whitespace`` method (Latin words stay whole, unlike the
  paper's splitter whose character class also matched a literal ``a``).
"""
from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence
from functools import lru_cache

from nltk.tokenize import NLTKWordTokenizer
from nltk.tokenize.treebank import TreebankWordDetokenizer

METHODS = ("whitespace", "jieba", "chars")

# Hiragana, Katakana (+ phonetic extensions), CJK symbols/punctuation (not U+3000 space), CJK ideographs
# (Ext. A, unified, compatibility), full-width forms and half-width Katakana, Thai.
_CHAR_CLASS = (
    "\u3001-\u303f\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff01-\uff9f\u0e00-\u0e7f"
)
_CHARS_RE = re.compile(f"([{_CHAR_CLASS}])")
_TREEBANK_QUOTES = {"``": '"', "''": '"'}


@lru_cache(maxsize=1)
def _tokenizer() -> NLTKWordTokenizer:
    return NLTKWordTokenizer()


@lru_cache(maxsize=1)
def _detokenizer() -> TreebankWordDetokenizer:
    return TreebankWordDetokenizer()


def _split_whitespace(text: str) -> list[str]:
    return [_TREEBANK_QUOTES.get(tok, tok) for tok in _tokenizer().tokenize(text)]


def _split_jieba(text: str) -> list[str]:
    with warnings.catch_warnings():  # jieba 0.42.1 imports the deprecated pkg_resources
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        import jieba

    jieba.setLogLevel(logging.WARNING)
    return [tok for tok in jieba.lcut(text) if tok.strip()]


def _split_chars(text: str) -> list[str]:
    words: list[str] = []
    for i, piece in enumerate(_CHARS_RE.split(text)):
        if i % 2:  # a captured CJK/kana/Thai character
            words.append(piece)
        elif piece.strip():
            words.extend(_split_whitespace(piece))
    return words


_SPLITTERS = {"whitespace": _split_whitespace, "jieba": _split_jieba, "chars": _split_chars}


def _check(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown word-splitting method {method!r} (known: {', '.join(METHODS)})")


def split_words(text: str, method: str) -> list[str]:
    """Split raw ``text`` into words with ``method`` (``whitespace``, ``jieba`` or ``chars``)."""
    _check(method)
    return _SPLITTERS[method](text)


def detokenize(words: Sequence[str], method: str) -> str:
    """Join words into MT input: Treebank detokenization, or plain concatenation for ``chars``/``jieba``.

    For Treebank detokenization, plain ``"`` tokens are read as alternately opening and closing quotes,
    so that they attach to the quoted text.
    """
    _check(method)
    if method != "whitespace":
        return "".join(words)
    quotes = 0
    marked: list[str] = []
    for word in words:
        if word == '"':
            word = "``" if quotes % 2 == 0 else "''"
            quotes += 1
        marked.append(word)
    return _detokenizer().detokenize(marked)
