"""Raw readers: column NER files and parallel text; every malformed input names its file and line."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from xproj_lib.data import (
    ColumnFormat,
    DataFormatError,
    read_ner_file,
    read_parallel_jsonl,
    read_parallel_text,
)

SPACE2 = ColumnFormat(sep=" ", n_columns=2)
TAB2 = ColumnFormat(sep="\t", n_columns=2)
CONLL = ColumnFormat(sep=" ", n_columns=4, scheme="iob1", docstart=True)
LABELS = ("PER", "ORG", "LOC", "DATE")


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def assert_names(err: pytest.ExceptionInfo[DataFormatError], path: Path, line: int, words: str) -> None:
    message = str(err.value)
    assert str(path) in message
    assert f"line {line}" in message
    assert words in message
    assert err.value.line == line


def test_reads_sentences_ids_and_counts(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "Ali B-PER\nya O\nje O\n\n\nKano B-LOC\nI-city I-LOC\n")
    sentences, report = read_ner_file(path, SPACE2, LABELS, id_prefix="x/")
    assert [s.tokens for s in sentences] == [["Ali", "ya", "je"], ["Kano", "I-city"]]
    assert sentences[1].tags == ["B-LOC", "I-LOC"]
    assert [s.id for s in sentences] == ["x/0", "x/1"]
    assert (report.sentences, report.tokens, report.entities, report.repairs) == (2, 5, 2, 0)


def test_orphan_i_tags_are_repaired_counted_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "r.tsv", "a\tI-PER\nb\tI-PER\nc\tO\nd\tI-ORG\n\ne\tB-LOC\nf\tI-PER\n")
    with caplog.at_level(logging.WARNING, logger="xproj_lib.data"):
        sentences, report = read_ner_file(path, TAB2, LABELS)
    assert sentences[0].tags == ["B-PER", "I-PER", "O", "B-ORG"]
    assert sentences[1].tags == ["B-LOC", "B-PER"]
    assert report.repairs == 3
    assert report.entities == 4
    assert any(str(path) in r.getMessage() and "3" in r.getMessage() for r in caplog.records)


def test_conll_iob1_docstart_and_crlf(tmp_path: Path) -> None:
    text = (
        "-DOCSTART- -X- O O\r\n\r\nEU NNP I-NP I-ORG\r\nrejects VBZ I-VP O\r\nGerman JJ I-NP I-MISC\r\n\r\n"
        "-DOCSTART- -X- O O\r\n\r\nPeter NNP I-NP I-PER\r\nBlackburn NNP I-NP I-PER\r\n"
        "Paris NNP I-NP B-PER\r\n"
    )
    path = write(tmp_path, "c.txt", text)
    sentences, report = read_ner_file(path, CONLL, ("PER", "ORG", "LOC", "MISC"))
    assert [s.tags for s in sentences] == [["B-ORG", "O", "B-MISC"], ["B-PER", "I-PER", "B-PER"]]
    assert report.documents == 2 and report.sentences == 2 and report.entities == 4
    assert report.repairs == 0  # IOB1 -> IOB2 is a conversion, not a repair


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a O\nb B-FOO\n", 2, "unknown tag 'B-FOO'"),
        ("a O\n\nb c O\n", 3, "expected 2 columns"),
        ("a O\nb\n", 2, "found 1"),
        ("a O\n\n\n\n O\n", 5, "empty token"),
        ("a O\n \nb O\n", 2, "whitespace-only line"),
    ],
)
def test_malformed_column_files_name_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = write(tmp_path, "bad.txt", text)
    with pytest.raises(DataFormatError) as err:
        read_ner_file(path, SPACE2, LABELS)
    assert_names(err, path, line, words)


def test_bad_utf8_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bin.txt", b"a O\n\nb O\nc\xff O\n")
    with pytest.raises(DataFormatError) as err:
        read_ner_file(path, SPACE2, LABELS)
    assert_names(err, path, 4, "UTF-8")


def test_docstart_inside_a_sentence_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "d.txt", "EU NNP I-NP I-ORG\n-DOCSTART- -X- O O\n")
    with pytest.raises(DataFormatError) as err:
        read_ner_file(path, CONLL, ("PER", "ORG", "LOC", "MISC"))
    assert_names(err, path, 2, "DOCSTART")


def test_empty_o_tokens_dropped_only_when_allowed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fmt = ColumnFormat(sep=" ", n_columns=2, drop_empty_o_tokens=True)
    path = write(tmp_path, "e.txt", "a O\n O\nb B-PER\n")
    with caplog.at_level(logging.WARNING, logger="xproj_lib.data"):
        sentences, report = read_ner_file(path, fmt, LABELS)
    assert sentences[0].tokens == ["a", "b"] and report.dropped_empty_tokens == 1
    assert any("dropped 1 empty" in r.getMessage() for r in caplog.records)
    entity = write(tmp_path, "f.txt", "a O\n B-PER\n")
    with pytest.raises(DataFormatError) as err:
        read_ner_file(entity, fmt, LABELS)
    assert_names(err, entity, 2, "empty token (tag 'B-PER')")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="not found"):
        read_ner_file(tmp_path / "nope.txt", SPACE2, LABELS)


def test_parallel_text(tmp_path: Path) -> None:
    src = write(tmp_path, "t.en", "Hello .\nBye\n")
    tgt = write(tmp_path, "t.hau", "Sannu .\nSai an jima\n")
    pairs = read_parallel_text(src, tgt, "en", "hau", id_prefix="p/")
    assert [(p.src, p.tgt, p.id) for p in pairs] == [("Hello .", "Sannu .", "p/0"), ("Bye", "Sai an jima", "p/1")]
    assert pairs[0].src_words == [] and pairs[0].src_lang == "en" and pairs[0].tgt_lang == "hau"


def test_parallel_text_misaligned(tmp_path: Path) -> None:
    src = write(tmp_path, "m.en", "a\nb\nc\n")
    tgt = write(tmp_path, "m.hau", "a\nb\n")
    with pytest.raises(DataFormatError) as err:
        read_parallel_text(src, tgt, "en", "hau")
    assert_names(err, src, 3, "not line-aligned")


def test_parallel_text_empty_segment(tmp_path: Path) -> None:
    src = write(tmp_path, "s.en", "a\nb\n")
    tgt = write(tmp_path, "s.hau", "a\n  \n")
    with pytest.raises(DataFormatError) as err:
        read_parallel_text(src, tgt, "en", "hau")
    assert_names(err, tgt, 2, "empty segment")


def test_parallel_jsonl(tmp_path: Path) -> None:
    path = write(tmp_path, "t.json", '{"translation": {"en": "Hi", "hau": "Sannu"}}\n'
                                     '{"translation": {"en": "Bye", "hau": "Sai"}}\n')
    pairs = read_parallel_jsonl(path, "en", "hau")
    assert [(p.src, p.tgt) for p in pairs] == [("Hi", "Sannu"), ("Bye", "Sai")]


@pytest.mark.parametrize(
    ("second", "words"),
    [
        ('{"translation": {"en": "Bye", "hau": ', "bad JSON"),
        ('{"translation": {"en": "Bye"}}', "missing or empty 'hau'"),
        ('["en", "hau"]', '"translation"'),
        ('{"translation": {"en": "Bye", "hau": ""}}', "missing or empty 'hau'"),
    ],
)
def test_parallel_jsonl_errors(tmp_path: Path, second: str, words: str) -> None:
    path = write(tmp_path, "b.json", '{"translation": {"en": "Hi", "hau": "Sannu"}}\n' + second + "\n")
    with pytest.raises(DataFormatError) as err:
        read_parallel_jsonl(path, "en", "hau")
    assert_names(err, path, 2, words)


def test_real_conll_dev_counts(data_dir: Path) -> None:
    sentences, report = read_ner_file(data_dir / "conll2003/en/dev.txt", CONLL, ("PER", "ORG", "LOC", "MISC"))
    assert (report.sentences, report.tokens, report.entities) == (3250, 51362, 5942)
    assert not any(tok == "-DOCSTART-" for s in sentences for tok in s.tokens)
    assert all(not t.startswith("I-") or p[2:] == t[2:] for s in sentences for p, t in zip(["O", *s.tags], s.tags))
