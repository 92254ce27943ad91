"""NLLB-200 translation and NMTScore-style translation probabilities, batched and cached on disk.

:class:`Translator` wraps one ``AutoModelForSeq2SeqLM`` (an NLLB/M2M100 checkpoint) and its tokenizer,
which may come from a different id (the EasyProject checkpoint ships broken tokenizer files and is run
with the original ``facebook/nllb-200-3.3B`` tokenizer). It offers:

* :meth:`Translator.translate`: source language code → target language code (``forced_bos_token_id``),
  the paper's decoding by default (greedy, ``num_beams=1``, ``max_length=200``);
* :meth:`Translator.probability`: P(hypothesis | source) = 2^(−mean token NLL in nats) under teacher
  forcing, over the hypothesis tokens after the leading language code, EOS included (NMTScore "direct",
  ``nmtscore/models/m2m100.py: _score``).

Every result is stored in an SQLite file under ``cache_dir("translations")`` keyed by the model
fingerprint (a content hash of its files), the tokenizer, the dtype, the languages, the
decoding settings and the text, so a rerun computes nothing twice; the model itself is loaded only on
a cache miss. Inputs are deduplicated and sorted by length for batching; the output keeps the input
order. On CUDA the model runs in bf16 (fp16 where bf16 is unsupported) unless ``dtype`` says otherwise;
on CPU in fp32 with ``cpu_threads`` torch threads.

:class:`NLLBDirect` adapts :meth:`Translator.probability` to the projection engine's
``DirectProbability`` protocol, and :func:`nmt_pair_scorer` gives the symmetric normalised
``PairScorer`` of thesis §4.3.3.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase
from transformers.models.m2m_100.modeling_m2m_100 import shift_tokens_right

from .models import model_fingerprint
from .cache import cache_dir, content_key
from .models import resolve_model
from .ner import pick_device
from .project import SymmetricNMTScore

DType = Literal["auto", "float32", "float16", "bfloat16"]
_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


@dataclass(frozen=True)
class Decoding:
    """Generation settings; the defaults are the NLLB checkpoints' (greedy, 200 tokens)."""

    max_length: int = 200
    num_beams: int = 1

    def __post_init__(self) -> None:
        if self.max_length < 2 or self.num_beams < 1:
            raise ValueError(f"invalid decoding settings {self}")


@dataclass
class TranslatorStats:
    """What the translator did: requests, distinct inputs, cache hits and model calls."""

    requested: int = 0
    unique: int = 0
    from_cache: int = 0
    computed: int = 0
    batches: int = 0


class KeyValueCache:
    """A small SQLite key → JSON value store, safe for several processes (WAL, busy timeout)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=120)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        """The stored values of those ``keys`` that are present."""
        found: dict[str, Any] = {}
        with self._connect() as db:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start:start + 500])
                marks = ",".join("?" * len(chunk))
                for key, value in db.execute(f"SELECT key, value FROM kv WHERE key IN ({marks})", chunk):
                    found[key] = json.loads(value)
        return found

    def put_many(self, items: dict[str, Any]) -> None:
        """Store (or overwrite) ``items``."""
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)",
                           [(k, json.dumps(v, ensure_ascii=False)) for k, v in items.items()])


def resolve_dtype(dtype: DType, device: torch.device) -> torch.dtype:
    """The torch dtype for ``dtype`` on ``device`` (``auto``: bf16/fp16 on CUDA, fp32 on CPU)."""
    if dtype == "auto":
        if device.type != "cuda":
            return torch.float32
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if dtype not in _DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; use auto, float32, float16 or bfloat16")
    return _DTYPES[dtype]


@lru_cache(maxsize=3)
def _load(model_path: str, tokenizer_path: str, device: str, dtype: torch.dtype
          ) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load (once per process) a seq2seq model and its tokenizer onto ``device`` in ``dtype``."""
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_path, dtype=dtype).to(device).eval()
    return model, tokenizer


class Translator:
    """An NLLB-architecture model for translation and translation probabilities (see the module docstring)."""

    def __init__(
        self,
        model: str | Path,
        *,
        tokenizer: str | Path | None = None,
        batch_size: int = 32,
        device: str | torch.device | None = None,
        dtype: DType = "auto",
        cpu_threads: int = 1,
        cache: bool = True,
    ) -> None:
        """Resolve ``model`` (and ``tokenizer``, default the model's own) offline-safely; nothing is loaded yet."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.name = str(model)
        self.model_path = resolve_model(str(model))
        self.tokenizer_path = resolve_model(str(tokenizer)) if tokenizer is not None else self.model_path
        self.device = pick_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self.batch_size = batch_size
        self.cpu_threads = cpu_threads
        self.stats = TranslatorStats()
        self._store = KeyValueCache(cache_dir("translations") / "nllb.sqlite") if cache else None
        self._memo: dict[str, Any] = {}
        self._identity = {"model": model_fingerprint(self.model_path),
                          "tokenizer": model_fingerprint(self.tokenizer_path), "dtype": str(self.dtype)}

    def loaded(self) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
        """The model and tokenizer, loaded on first use."""
        if self.device.type == "cpu":
            torch.set_num_threads(self.cpu_threads)
        return _load(self.model_path, self.tokenizer_path, str(self.device), self.dtype)

    def language_id(self, code: str) -> int:
        """The token id of an NLLB language code; a clear error if the tokenizer lacks it."""
        tokenizer = self.loaded()[1]
        token_id = tokenizer.convert_tokens_to_ids(code)
        if token_id is None or token_id == tokenizer.unk_token_id:
            raise ValueError(f"{self.name}: the tokenizer ({self.tokenizer_path}) has no language code {code!r}")
        return token_id

    def _cached(self, kind: str, params: dict[str, Any], items: Sequence[Any],
                compute: Callable[[list[Any]], list[Any]]) -> list[Any]:
        """Look ``items`` up (memory, then disk), compute the missing ones with ``compute(list)``, store them."""
        self.stats.requested += len(items)
        unique = list(dict.fromkeys(items))
        self.stats.unique += len(unique)
        keys = {item: content_key({**self._identity, **params, "kind": kind, "item": item}) for item in unique}
        values = {item: self._memo[k] for item, k in keys.items() if k in self._memo}
        missing = [item for item in unique if item not in values]
        if missing and self._store is not None:
            stored = self._store.get_many([keys[item] for item in missing])
            values.update({item: stored[keys[item]] for item in missing if keys[item] in stored})
            missing = [item for item in missing if item not in values]
        self.stats.from_cache += len(unique) - len(missing)
        if missing:
            computed = compute(missing)
            self.stats.computed += len(missing)
            values.update(zip(missing, computed))
            if self._store is not None:
                self._store.put_many({keys[item]: values[item] for item in missing})
        self._memo.update({keys[item]: values[item] for item in unique})
        return [values[item] for item in items]

    def _batches(self, items: list[Any], length: Callable[[Any], int]) -> Iterable[list[int]]:
        """Index batches of ``items``, longest first (less padding), ``batch_size`` each."""
        order = sorted(range(len(items)), key=lambda i: -length(items[i]))
        for start in range(0, len(order), self.batch_size):
            self.stats.batches += 1
            yield order[start:start + self.batch_size]

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str,
                  decoding: Decoding = Decoding()) -> list[str]:
        """Translate ``texts`` from NLLB code ``src_lang`` to ``tgt_lang``; empty texts stay empty."""
        params = {"src": src_lang, "tgt": tgt_lang, "decoding": asdict(decoding)}
        return self._cached("translation", params, list(texts),
                            lambda todo: self._generate(todo, src_lang, tgt_lang, decoding))

    @torch.inference_mode()
    def _generate(self, texts: list[str], src_lang: str, tgt_lang: str, decoding: Decoding) -> list[str]:
        """Model translations of distinct texts (no caching)."""
        out = [""] * len(texts)
        todo = [i for i, t in enumerate(texts) if t.strip()]
        if not todo:
            return out
        model, tokenizer = self.loaded()
        forced = self.language_id(tgt_lang)
        self.language_id(src_lang)
        tokenizer.src_lang = src_lang
        for batch in self._batches(todo, lambda i: len(texts[i])):
            rows = [todo[b] for b in batch]
            enc = tokenizer([texts[i] for i in rows], return_tensors="pt", padding=True).to(self.device)
            generated = model.generate(**enc, forced_bos_token_id=forced, num_beams=decoding.num_beams,
                                       do_sample=False, max_length=decoding.max_length)
            for i, text in zip(rows, tokenizer.batch_decode(generated, skip_special_tokens=True)):
                out[i] = text
        return out

    def probability(self, sources: Sequence[str], hypotheses: Sequence[str], src_lang: str,
                    tgt_lang: str) -> np.ndarray:
        """P(hypothesis | source) for aligned lists (NMTScore "direct": 2^(−mean token NLL))."""
        if len(sources) != len(hypotheses):
            raise ValueError(f"{len(sources)} sources but {len(hypotheses)} hypotheses")
        pairs = list(zip(sources, hypotheses))
        for n, (src, hyp) in enumerate(pairs):
            if not src.strip() or not hyp.strip():
                raise ValueError(f"pair {n}: empty source or hypothesis ({src!r}, {hyp!r})")
        params = {"src": src_lang, "tgt": tgt_lang}
        scores = self._cached("probability", params, pairs,
                              lambda todo: self._score(todo, src_lang, tgt_lang))
        return np.asarray(scores, dtype=np.float64)

    @torch.inference_mode()
    def _score(self, pairs: list[tuple[str, str]], src_lang: str, tgt_lang: str) -> list[float]:
        """Teacher-forced probabilities of distinct pairs (no caching)."""
        model, tokenizer = self.loaded()
        self.language_id(src_lang)
        self.language_id(tgt_lang)
        tokenizer.src_lang, tokenizer.tgt_lang = src_lang, tgt_lang
        pad = tokenizer.pad_token_id
        out = [0.0] * len(pairs)
        for batch in self._batches(list(range(len(pairs))), lambda i: len(pairs[i][0]) + len(pairs[i][1])):
            enc = tokenizer([pairs[i][0] for i in batch], text_target=[pairs[i][1] for i in batch],
                            return_tensors="pt", padding=True).to(self.device)
            labels = enc.pop("labels")
            labels[labels == pad] = -100
            decoder_in = shift_tokens_right(labels, pad, model.config.decoder_start_token_id)
            logits = model(**enc, decoder_input_ids=decoder_in).logits.float()
            target = labels[:, 1:]  # skip the language code; EOS stays
            mask = target != -100
            logp = torch.log_softmax(logits[:, 1:], dim=-1)
            nll = -logp.gather(-1, target.clamp(min=0).unsqueeze(-1)).squeeze(-1)
            mean = (nll * mask).sum(dim=1) / mask.sum(dim=1)
            for i, value in zip(batch, torch.exp2(-mean).tolist()):
                out[i] = value
        return out


@dataclass(frozen=True)
class NLLBDirect:
    """``DirectProbability`` for the projection engine: maps the sides ``src``/``tgt`` to NLLB codes."""

    translator: Translator
    codes: dict[str, str] = field(default_factory=dict)

    def __call__(self, sources: Sequence[str], hypotheses: Sequence[str],
                 source_side: Literal["src", "tgt"], target_side: Literal["src", "tgt"]) -> np.ndarray:
        return self.translator.probability(sources, hypotheses, self.codes[source_side], self.codes[target_side])


def nmt_pair_scorer(translator: Translator, src_lang: str, tgt_lang: str) -> SymmetricNMTScore:
    """The symmetric, self-normalised NMTScore of thesis §4.3.3 between ``src_lang`` and ``tgt_lang`` phrases."""
    return SymmetricNMTScore(NLLBDirect(translator, {"src": src_lang, "tgt": tgt_lang}))
