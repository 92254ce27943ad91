"""Readers for the raw dataset files: column NER files and line-aligned / JSON-lines parallel text.

Every reader validates strictly: a malformed file raises :class:`DataFormatError` naming the file,
the 1-based line number and the problem. Tag repairs (an orphan ``I-X`` becoming ``B-X``) are never
silent: they are counted in the returned :class:`ReadReport` and logged as a warning.
"""
from __future__ import annotations

import json
import logging
from itertools import chain, pairwise
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .tags import iob1_to_iob2, repair_iob2
from .types import ParallelPair, Sentence

log = logging.getLogger(__name__)

DOCSTART = "-DOCSTART-"


class DataFormatError(ValueError):
    """A data file does not have the expected format; the message names the file, line and problem."""

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class ColumnFormat:
    """How a column NER file is laid out.

    ``sep`` splits a line into exactly ``n_columns`` fields; the token is the first field and the tag
    the last. ``scheme`` is the file's tagging scheme (IOB1 files are converted to IOB2, which is not
    counted as a repair). ``docstart`` skips ``-DOCSTART-`` document separators. ``drop_empty_o_tokens``
    drops (and counts) lines whose token is empty and whose tag is ``O``; otherwise an empty token is an
    error.
    """

    sep: str
    n_columns: int
    scheme: Literal["iob1", "iob2"] = "iob2"
    docstart: bool = False
    drop_empty_o_tokens: bool = False


@dataclass
class ReadReport:
    """What reading one file found: counts, tag repairs and dropped empty tokens."""

    path: str
    sentences: int = 0
    tokens: int = 0
    entities: int = 0
    repairs: int = 0
    dropped_empty_tokens: int = 0
    documents: int = 0


def valid_tags(labels: tuple[str, ...] | list[str]) -> frozenset[str]:
    """The tag set ``O`` + ``B-``/``I-`` of every entity type."""
    return frozenset(["O", *(f"{p}-{label}" for label in labels for p in ("B", "I"))])


def _read_text(path: Path) -> str:
    """Decode a UTF-8 file (BOM tolerated), normalising CRLF/CR line ends; bad bytes name their line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataFormatError(path, None, "file not found") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DataFormatError(path, line, f"not valid UTF-8 ({err.reason})") from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _diagnose(path: Path, lines: list[str], first_line: int, fmt: ColumnFormat, tags: frozenset[str]) -> None:
    """Find and raise the first problem in a sentence block that failed the fast checks."""
    for lineno, line in enumerate(lines, start=first_line):
        if not line.strip():
            raise DataFormatError(path, lineno, "whitespace-only line (sentences are separated by empty lines)")
        fields = line.split(fmt.sep)
        if fmt.docstart and fields[0] == DOCSTART:
            raise DataFormatError(path, lineno, f"{DOCSTART} inside a sentence (it must follow an empty line)")
        if len(fields) != fmt.n_columns:
            raise DataFormatError(
                path, lineno,
                f"expected {fmt.n_columns} columns separated by {fmt.sep!r}, found {len(fields)}: {line!r}",
            )
        if fields[-1] not in tags:
            raise DataFormatError(path, lineno, f"unknown tag {fields[-1]!r} (allowed: {', '.join(sorted(tags))})")
        if fields[0] == "" and not (fmt.drop_empty_o_tokens and fields[-1] == "O"):
            raise DataFormatError(path, lineno, f"empty token (tag {fields[-1]!r})")
    raise AssertionError(f"{path}: block at line {first_line} failed validation but no problem was found")


def _parse_sentences(
    path: Path, text: str, fmt: ColumnFormat, tags_allowed: frozenset[str], report: ReadReport
) -> list[tuple[list[str], list[str]]]:
    """Split a column file into validated (tokens, tags) sentences; count documents and dropped tokens.

    Each blank-line-separated block is checked with a few whole-block operations (measured 2x faster
    than whole-file list comprehensions); a block that fails is re-scanned line by line to name the line.
    """
    out: list[tuple[list[str], list[str]]] = []
    lineno = 1
    for block in text.split("\n\n"):
        body = block.lstrip("\n")
        start = lineno + (len(block) - len(body))
        lineno += block.count("\n") + 2
        body = body.rstrip("\n")
        if not body:
            continue
        lines = body.split("\n")
        if fmt.docstart and lines[0].startswith(DOCSTART):
            report.documents += 1
            lines = lines[1:]
            start += 1
            if not lines:
                continue
        rows = [line.split(fmt.sep) for line in lines]
        if set(map(len, rows)) != {fmt.n_columns}:
            _diagnose(path, lines, start, fmt, tags_allowed)
        columns = list(zip(*rows))
        tokens, tags = list(columns[0]), list(columns[-1])
        if not tags_allowed.issuperset(tags) or (fmt.docstart and DOCSTART in tokens):
            _diagnose(path, lines, start, fmt, tags_allowed)
        if "" in tokens:
            if not fmt.drop_empty_o_tokens or any(tok == "" and tag != "O" for tok, tag in zip(tokens, tags)):
                _diagnose(path, lines, start, fmt, tags_allowed)
            keep = [i for i, tok in enumerate(tokens) if tok != ""]
            report.dropped_empty_tokens += len(tokens) - len(keep)
            tokens = [tokens[i] for i in keep]
            tags = [tags[i] for i in keep]
            if not tokens:
                continue
        out.append((tokens, tags))
    return out


def _has_orphan(tag_lists: list[list[str]]) -> bool:
    """Whether some ``I-X`` follows neither ``B-X`` nor ``I-X`` in any sentence (one pass over tag bigrams)."""
    flat = ["O"]
    for tags in tag_lists:
        flat.extend(tags)
        flat.append("O")
    return any(t[0] == "I" and p[2:] != t[2:] for p, t in set(pairwise(flat)))


def read_ner_file(
    path: Path | str, fmt: ColumnFormat, labels: tuple[str, ...] | list[str], *, id_prefix: str = ""
) -> tuple[list[Sentence], ReadReport]:
    """Read a column NER file into IOB2 :class:`Sentence` objects and a :class:`ReadReport`.

    Sentence ids are ``f"{id_prefix}{index}"`` (0-based, in file order, document separators excluded).
    """
    path = Path(path)
    report = ReadReport(path=str(path))
    parsed = _parse_sentences(path, _read_text(path), fmt, valid_tags(labels), report)
    tag_lists = [tags for _, tags in parsed]
    if fmt.scheme == "iob1":
        tag_lists = [iob1_to_iob2(tags) for tags in tag_lists]
    elif _has_orphan(tag_lists):
        for i, tags in enumerate(tag_lists):
            tag_lists[i], repaired = repair_iob2(tags)
            report.repairs += repaired
    sentences = [
        Sentence(tokens, tags, f"{id_prefix}{i}") for i, ((tokens, _), tags) in enumerate(zip(parsed, tag_lists))
    ]
    report.sentences = len(sentences)
    report.tokens = sum(map(len, tag_lists))
    begins = {f"B-{label}" for label in labels}
    report.entities = sum(map(begins.__contains__, chain.from_iterable(tag_lists)))
    if report.repairs:
        log.warning("%s: repaired %d orphan I- tags (I-X with no B-X/I-X before it -> B-X)", path, report.repairs)
    if report.dropped_empty_tokens:
        log.warning("%s: dropped %d empty tokens tagged O", path, report.dropped_empty_tokens)
    return sentences, report


def _read_lines(path: Path) -> list[str]:
    """Lines of a one-segment-per-line file (a final newline does not start a new segment)."""
    text = _read_text(path)
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n") if text else []


def read_parallel_text(
    src_path: Path | str, tgt_path: Path | str, src_lang: str, tgt_lang: str, *, id_prefix: str = ""
) -> list[ParallelPair]:
    """Read two line-aligned files; different line counts or an empty segment on either side is an error."""
    src_path, tgt_path = Path(src_path), Path(tgt_path)
    src, tgt = _read_lines(src_path), _read_lines(tgt_path)
    if len(src) != len(tgt):
        longer, n = (src_path, len(src)) if len(src) > len(tgt) else (tgt_path, len(tgt))
        raise DataFormatError(
            longer,
            min(len(src), len(tgt)) + 1,
            f"files are not line-aligned: {src_path.name} has {len(src)} lines, {tgt_path.name} has {len(tgt)}"
            f" (this line of the {n}-line file has no counterpart)",
        )
    pairs: list[ParallelPair] = []
    for i, (s, t) in enumerate(zip(src, tgt)):
        for path, seg in ((src_path, s), (tgt_path, t)):
            if not seg.strip():
                raise DataFormatError(path, i + 1, "empty segment in a line-aligned parallel file")
        pairs.append(ParallelPair(s, t, src_lang, tgt_lang, f"{id_prefix}{i}"))
    return pairs


def read_parallel_jsonl(path: Path | str, src_lang: str, tgt_lang: str, *, id_prefix: str = "") -> list[ParallelPair]:
    """Read JSON lines ``{"translation": {src_lang: ..., tgt_lang: ...}}`` (the MAFAND JSON layout)."""
    path = Path(path)
    pairs: list[ParallelPair] = []
    for i, line in enumerate(_read_lines(path)):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataFormatError(path, i + 1, f"bad JSON: {err.msg} at column {err.colno}") from None
        seg = record.get("translation") if isinstance(record, dict) else None
        if not isinstance(seg, dict):
            raise DataFormatError(path, i + 1, 'expected an object with a "translation" object')
        for lang in (src_lang, tgt_lang):
            if not isinstance(seg.get(lang), str) or not seg[lang].strip():
                raise DataFormatError(path, i + 1, f"missing or empty {lang!r} segment in \"translation\"")
        pairs.append(ParallelPair(seg[src_lang], seg[tgt_lang], src_lang, tgt_lang, f"{id_prefix}{i}"))
    return pairs
