"""EasyProject marker back-translation (the paper's tgt2tgt step, method-paper §2).

The English words with ``[`` / ``]`` around every predicted entity are Treebank-detokenised
("… [New York] …") and translated into the target language by a marker-preserving NLLB
(``ychenNLP/nllb-200-3.3B-easyproject``, run with the original NLLB tokenizer); every entity is also
translated on its own. The translated sentence is then scanned left to right for non-greedy
``[ … ]`` spans; each span is compared (difflib ratio, lower-cased, the whole match *with* its
brackets, as the paper does) with the still-unused entity translations, and a span whose ratio
exceeds ``threshold`` takes the label of one of them (one-to-one):

* ``match="best"`` (default): the highest ratio (ties: the first entity);
* ``match="last"``: the paper's code, whose running maximum is never updated, so the **last**
  qualifying entity in list order wins.

A span with no qualifying entity ("unmatched marker") is not an entity:

* ``unmatched="strip"`` (default): its brackets are removed and its text stays as ordinary words;
* ``unmatched="literal"``: the paper's behaviour, the text is kept with its bracket characters,
  which the word splitter turns into ``[`` / ``]`` tokens.

Source entities that no span takes are dropped; spans whose content has no word are dropped too.
Every such case is counted in :class:`MarkerStats`.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from .translate import Decoding, Translator
from .types import Span
from .words import detokenize, split_words

MatchMode = Literal["best", "last"]
UnmatchedMode = Literal["strip", "literal"]
_MARKER = re.compile(r"\[(.*?)\]")


@dataclass(frozen=True)
class BackTranslation:
    """The back-translated sentence as words, its entities, and what happened to the markers."""

    text: str
    words: list[str]
    entities: list[Span]
    markers: int
    unmatched_markers: int
    empty_markers: int
    dropped_entities: int


@dataclass
class MarkerStats:
    """Corpus totals over :class:`BackTranslation` results."""

    sentences: int = 0
    source_entities: int = 0
    markers: int = 0
    matched: int = 0
    unmatched_markers: int = 0
    empty_markers: int = 0
    dropped_entities: int = 0

    def add(self, result: BackTranslation, n_source: int) -> None:
        """Count one sentence."""
        self.sentences += 1
        self.source_entities += n_source
        self.markers += result.markers
        self.matched += len(result.entities)
        self.unmatched_markers += result.unmatched_markers
        self.empty_markers += result.empty_markers
        self.dropped_entities += result.dropped_entities


def surround_entities(words: Sequence[str], entities: Sequence[Span]) -> str:
    """English words with ``[`` before and ``]`` after each entity, Treebank-detokenised."""
    marked: list[str] = []
    previous = 0
    for ent in sorted(entities, key=lambda e: e.start):
        if ent.start < previous:
            raise ValueError(f"overlapping entities {list(entities)}")
        marked += [*words[previous:ent.start], "[", *words[ent.start:ent.end], "]"]
        previous = ent.end
    marked += words[previous:]
    return detokenize(marked, "whitespace")


def similarity(a: str, b: str) -> float:
    """difflib's ratio of the lower-cased strings (the paper's ``similarity_score``)."""
    return SequenceMatcher(None, a.lower(), b.lower()).ratio()


def _choose(span: str, pool: Sequence[str], threshold: float, match: MatchMode) -> int:
    """Index of the pool entry a marked span takes (see the module docstring), or -1."""
    chosen, best = -1, threshold
    for idx, candidate in enumerate(pool):
        score = similarity(span, candidate)
        if match == "last":
            if score > threshold:
                chosen = idx
        elif score > best:
            chosen, best = idx, score
    return chosen


def parse_markers(
    translation: str,
    entity_translations: Sequence[str],
    labels: Sequence[str],
    split: Callable[[str], list[str]],
    *,
    match: MatchMode = "best",
    unmatched: UnmatchedMode = "strip",
    threshold: float = 0.5,
) -> BackTranslation:
    """Words and labelled entity spans of a marker translation; ``labels[i]`` is the class of the
    entity whose own translation is ``entity_translations[i]``."""
    if match not in ("best", "last") or unmatched not in ("strip", "literal"):
        raise ValueError(f"match must be best|last and unmatched strip|literal, got {match!r}, {unmatched!r}")
    if len(entity_translations) != len(labels):
        raise ValueError(f"{len(entity_translations)} entity translations but {len(labels)} labels")
    pool, pool_labels = list(entity_translations), list(labels)
    words: list[str] = []
    entities: list[Span] = []
    pending, previous = "", 0
    markers = unmatched_markers = empty = 0
    for found in _MARKER.finditer(translation):
        markers += 1
        idx = _choose(found.group(), pool, threshold, match)
        if idx < 0:
            unmatched_markers += 1
            if unmatched == "strip":
                pending += translation[previous:found.start()] + found.group(1)
                previous = found.end()
            continue
        label = pool_labels.pop(idx)
        pool.pop(idx)
        words += split(pending + translation[previous:found.start()])
        pending, previous = "", found.end()
        inside = split(found.group(1))
        if inside:
            entities.append(Span(len(words), len(words) + len(inside), label))
            words += inside
        else:
            empty += 1
    words += split(pending + translation[previous:])
    return BackTranslation(translation, words, entities, markers, unmatched_markers, empty,
                           dropped_entities=len(labels) - len(entities))


@dataclass
class EasyProject:
    """Marker back-translation of English words + entities into a target language (see the module docstring)."""

    translator: Translator
    sentence_decoding: Decoding = Decoding(max_length=400)
    entity_decoding: Decoding = Decoding()
    match: MatchMode = "best"
    unmatched: UnmatchedMode = "strip"
    threshold: float = 0.5

    def back_translate(
        self,
        words: Sequence[Sequence[str]],
        entities: Sequence[Sequence[Span]],
        src_lang: str,
        tgt_lang: str,
        word_split: str,
    ) -> tuple[list[BackTranslation], MarkerStats]:
        """Back-translate every sentence; ``word_split`` is the target language's splitting method."""
        if len(words) != len(entities):
            raise ValueError(f"{len(words)} sentences but {len(entities)} entity lists")
        ordered = [sorted(ents, key=lambda e: e.start) for ents in entities]
        marked = [surround_entities(w, ents) for w, ents in zip(words, ordered)]
        phrases = [[detokenize(list(w[e.start:e.end]), "whitespace") for e in ents] for w, ents in zip(words, ordered)]
        sentences = self.translator.translate(marked, src_lang, tgt_lang, self.sentence_decoding)
        flat = [p for sentence in phrases for p in sentence]
        translated = iter(self.translator.translate(flat, src_lang, tgt_lang, self.entity_decoding))
        stats = MarkerStats()
        results = []
        for text, sentence_phrases, ents in zip(sentences, phrases, ordered):
            entity_translations = [next(translated) for _ in sentence_phrases]
            result = parse_markers(text, entity_translations, [e.label for e in ents],
                                   lambda s: split_words(s, word_split), match=self.match,
                                   unmatched=self.unmatched, threshold=self.threshold)
            stats.add(result, len(ents))
            results.append(result)
        return results, stats
