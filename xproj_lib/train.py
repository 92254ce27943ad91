"""Fine-tune a transformers encoder for word-level NER (token classification), with a model cache.

A plain torch loop: first-sub-word labelling (other sub-tokens and specials get -100),
length-bucketed batches, AdamW with linear warm-up/decay, gradient clipping, seeded with
``transformers.set_seed``, early stopping on dev seqeval F1. The trained model is stored under
``cache_dir("models", "ner-<key>")``; the key hashes the base model's files, the configuration,
the trainer class and every training and dev token and tag, so a second call loads instead of
training. :class:`TokenClassifierTrainer` keeps the loss and the optimisation step in overridable
methods, for extensions such as language-adversarial training.
"""
from __future__ import annotations

import json
import logging
import math
import resource
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
from transformers import (
    AutoConfig,
    AutoModelForTokenClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    get_linear_schedule_with_warmup,
    set_seed,
)

from .cache import atomic_write_text, built_folder, cache_dir, content_key
from .evaluate import evaluate
from .models import model_fingerprint, resolve_model
from .ner import TransformersTagger, check_iob_labels, first_subtoken_index, pick_device
from .types import Sentence, require_tokens

log = logging.getLogger(__name__)

RECORD_FILE = "train_record.json"
# Bump when the training procedure changes in a way that changes the trained model.
TRAINER_VERSION = 1
IGNORE_INDEX = -100


@dataclass(frozen=True)
class TrainConfig:
    """Everything (besides the data) that determines a fine-tuned tagger."""

    base_model: str
    epochs: int = 3
    max_steps: int | None = None  # cap on optimiser steps (None: epochs decide)
    batch_size: int = 32
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    max_length: int = 128  # sub-tokens per training sentence; longer ones lose their tail words
    eval_every: int | None = None  # optimiser steps between dev evaluations (None: once per epoch)
    patience: int = 3  # evaluations without dev-F1 improvement before stopping
    freeze_embeddings: bool = False  # keep the input word embeddings fixed (faster on CPU)
    # padded sub-tokens per forward pass: a larger batch runs as micro-batches whose gradients add up to the
    # batch's (same update, up to float rounding; activation memory bounded). None: whole batches
    max_batch_tokens: int | None = None
    seed: int = 0

    def cache_fields(self) -> dict:
        """The fields in the model's cache key: all but ``base_model`` (fingerprinted on its own), and
        ``max_batch_tokens`` at None left out, so that keys made before the field existed stay valid."""
        return {k: v for k, v in asdict(self).items()
                if k != "base_model" and not (k == "max_batch_tokens" and v is None)}


@dataclass
class TrainRecord:
    """What a training run produced and cost; ``cached`` is True when nothing was trained.

    A cached record repeats the costs of the run that trained the model. ``peak_rss_mb`` is the
    training process's peak resident memory up to the end of training.
    """

    model_dir: Path
    cached: bool
    labels: list[str]
    train_seconds: float
    peak_rss_mb: float
    steps: int
    best_step: int
    best_dev_f1: float
    n_train: int
    n_dev: int
    truncated_words: int  # training words past max_length, left unlabelled
    history: list[dict] = field(default_factory=list)  # {"step", "epoch", "loss", "dev_f1"} per evaluation


def label_list(sentences: Sequence[Sentence]) -> list[str]:
    """The label set of the data: ``O`` then ``B-X``, ``I-X`` for every entity type seen, types sorted."""
    types = sorted({tag[2:] for s in sentences for tag in s.tags if tag != "O"})
    labels = ["O"] + [f"{p}-{t}" for t in types for p in ("B", "I")]
    seen = {tag for s in sentences for tag in s.tags}
    check_iob_labels(sorted(seen | {"O"}), "training data")
    return labels


def first_subword_labels(word_ids: Sequence[int | None], word_labels: Sequence[int]) -> list[int]:
    """Per sub-token label ids: a word's label on its first sub-token, ``-100`` elsewhere."""
    first = first_subtoken_index(word_ids, len(word_labels))
    out = [IGNORE_INDEX] * len(word_ids)
    for word, pos in enumerate(first):
        if pos >= 0:
            out[pos] = word_labels[word]
    return out


def encode(
    sentences: Sequence[Sentence],
    tokenizer: PreTrainedTokenizerBase,
    label2id: dict[str, int],
    max_length: int,
) -> tuple[list[dict[str, list[int]]], int]:
    """Tokenise pre-split sentences with first-sub-word labels; return features and the truncated-word count."""
    enc = tokenizer([s.tokens for s in sentences], is_split_into_words=True, truncation=True,
                    max_length=max_length)
    features, truncated = [], 0
    for row, sent in enumerate(sentences):
        word_ids = enc.word_ids(row)
        labels = first_subword_labels(word_ids, [label2id[t] for t in sent.tags])
        last = max((w for w in word_ids if w is not None), default=-1)
        truncated += len(sent.tokens) - 1 - last
        feat = {key: enc[key][row] for key in enc.keys()}
        feat["labels"] = labels
        features.append(feat)
    return features, truncated


def length_batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator) -> list[list[int]]:
    """Shuffle, sort pools of 50 batches by length, cut into batches, shuffle the batches."""
    order = rng.permutation(len(lengths))
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start:start + pool], key=lambda i: lengths[i])
        batches += [[int(i) for i in chunk[k:k + batch_size]] for k in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def split_rows(batch: dict[str, torch.Tensor], max_tokens: int | None) -> list[dict[str, torch.Tensor]]:
    """Cut a padded batch into row slices of at most ``max_tokens`` padded sub-tokens (at least one row each)."""
    rows, width = batch["input_ids"].shape
    if max_tokens is None or rows * width <= max_tokens:
        return [batch]
    step = max(1, max_tokens // width)
    return [{k: v[i:i + step] for k, v in batch.items()} for i in range(0, rows, step)]


def collate(features: Sequence[dict[str, list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a batch of features into tensors (labels with -100, masks with 0)."""
    width = max(len(f["input_ids"]) for f in features)
    pads = {"input_ids": pad_id, "labels": IGNORE_INDEX}
    return {
        key: torch.tensor([f[key] + [pads.get(key, 0)] * (width - len(f[key])) for f in features])
        for key in features[0]
    }


class TokenClassifierTrainer:
    """The optimisation loop; override :meth:`compute_loss`, :meth:`extra_backward` and
    :meth:`trainable_parameters` to extend it."""

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, config: TrainConfig,
                 device: torch.device) -> None:
        """Hold the model (moved to ``device``) and the configuration."""
        self.model = model.to(device)
        self.tokenizer = tokenizer
        self.config = config
        self.device = device
        self.autocast = device.type == "cuda" and torch.cuda.is_bf16_supported()
        if config.freeze_embeddings:
            model.get_input_embeddings().requires_grad_(False)

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        """Parameters the optimiser updates (an extension adds its own modules' parameters)."""
        return [p for p in self.model.parameters() if p.requires_grad]

    def compute_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Token-classification cross-entropy of one batch (already on the device)."""
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            return self.model(**batch).loss

    def train_step(self, batch: dict[str, torch.Tensor], optimizer: torch.optim.Optimizer,
                   scheduler: torch.optim.lr_scheduler.LRScheduler) -> float:
        """One optimiser step: loss and backward (per micro-batch, see ``max_batch_tokens``), then
        :meth:`extra_backward`, gradient clipping and the update; returns the batch's NER loss."""
        self.model.train()
        parts = split_rows({k: v.to(self.device) for k, v in batch.items()}, self.config.max_batch_tokens)
        labelled = [int((part["labels"] != IGNORE_INDEX).sum()) for part in parts]
        total = 0.0
        for part, n in zip(parts, labelled):
            if n == 0:
                continue  # no labelled token: nothing to learn, and its mean loss would be NaN
            # the model's loss is a mean over labelled tokens; weighting by the share keeps the batch mean
            loss = self.compute_loss(part) * (n / sum(labelled))
            loss.backward()
            total += float(loss.detach())
        self.extra_backward()
        torch.nn.utils.clip_grad_norm_(self.trainable_parameters(), self.config.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        return total

    def extra_backward(self) -> None:
        """Back-propagate a loss that is not the labelled batch's (none here), once per step before the update."""

    def dev_f1(self, dev: Sequence[Sentence]) -> float:
        """seqeval micro F1 of the current model on ``dev``."""
        tagger = TransformersTagger.from_components(self.model, self.tokenizer, batch_size=64,
                                                    cpu_threads=torch.get_num_threads())
        return evaluate([s.tags for s in dev], tagger.predict([s.tokens for s in dev]))["f1"]

    def evaluation_log(self) -> dict[str, float]:
        """Extra statistics a subclass records with each dev evaluation (none here)."""
        return {}

    def make_optimizer(self) -> torch.optim.Optimizer:
        """AdamW with weight decay on matrices only (not on biases and norms)."""
        params = self.trainable_parameters()
        groups = [
            {"params": [p for p in params if p.ndim >= 2], "weight_decay": self.config.weight_decay},
            {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(groups, lr=self.config.learning_rate)

    def fit(self, features: Sequence[dict[str, list[int]]], dev: Sequence[Sentence]) -> tuple[list[dict], int, int]:
        """Train with early stopping; leave the best-dev model loaded. Returns (history, steps, best step)."""
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        per_epoch = math.ceil(len(features) / cfg.batch_size)
        total = per_epoch * cfg.epochs if cfg.max_steps is None else min(cfg.max_steps, per_epoch * cfg.epochs)
        self.total_steps = total
        optimizer = self.make_optimizer()
        scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.warmup_ratio * total), total)
        lengths = [len(f["input_ids"]) for f in features]
        history: list[dict] = []
        best_f1, best_step, best_state, bad, step, losses = -1.0, 0, None, 0, 0, []
        started = time.perf_counter()
        stop = False
        for epoch in range(cfg.epochs):
            if stop:
                break
            batches = length_batches(lengths, cfg.batch_size, rng)
            for k, idx in enumerate(batches):
                losses.append(self.train_step(collate([features[i] for i in idx], self.tokenizer.pad_token_id),
                                              optimizer, scheduler))
                step += 1
                if step % 50 == 0:
                    log.info("step %d/%d loss %.4f (%.2f steps/s)", step, total, np.mean(losses[-50:]),
                             step / (time.perf_counter() - started))
                end_of_epoch = k == len(batches) - 1
                if step == total or (cfg.eval_every and step % cfg.eval_every == 0) or end_of_epoch:
                    f1 = self.dev_f1(dev)
                    history.append({"step": step, "epoch": epoch, "loss": float(np.mean(losses)), "dev_f1": f1,
                                    **self.evaluation_log()})
                    log.info("step %d epoch %d: train loss %.4f, dev F1 %.4f", step, epoch, history[-1]["loss"], f1)
                    losses = []
                    if f1 > best_f1:
                        best_f1, best_step, bad = f1, step, 0
                        best_state = self._changing_state()
                    else:
                        bad += 1
                    stop = bad >= cfg.patience or step == total
                    if stop:
                        break
        if best_state is not None:
            self.model.load_state_dict(best_state, strict=False)
        return history, step, best_step

    def _changing_state(self) -> dict[str, torch.Tensor]:
        """A CPU copy of the model state without frozen parameters (they cannot change)."""
        frozen = {name for name, p in self.model.named_parameters() if not p.requires_grad}
        return {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items() if k not in frozen}


def _read_record(folder: Path) -> TrainRecord:
    """Load the record stored beside a cached model."""
    data = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
    names = {f.name for f in fields(TrainRecord)} - {"model_dir", "cached"}
    return TrainRecord(model_dir=folder, cached=True, **{k: data[k] for k in names})


def new_head_labels(path: str, labels: list[str]) -> list[str]:
    """The labels whose head rows :func:`load_classifier` starts new over a trained NER model at ``path`` (none
    over a bare encoder, whose whole head is new)."""
    base_config = AutoConfig.from_pretrained(path)
    base_labels = {base_config.id2label[i] for i in range(base_config.num_labels)}
    return [lab for lab in labels if lab not in base_labels] if base_labels & set(labels) else []


def load_classifier(path: str, labels: list[str]) -> PreTrainedModel:
    """The base model with a token-classification head for ``labels``.

    A bare encoder gets a new head. A trained NER model (e.g. the English source model as the start of a target
    tagger) keeps its trained head rows for the labels it shares with ``labels``; only the others start new, also
    where the two label sets happen to have the same size (transformers then loads the old head whole, and
    MasakhaNER2's B-DATE/I-DATE rows would start as the CoNLL model's B-LOC/I-LOC).
    """
    base_config = AutoConfig.from_pretrained(path)
    base_labels = {base_config.id2label[i]: i for i in range(base_config.num_labels)}
    shared = [lab for lab in labels if lab in base_labels]
    label_maps = {"id2label": dict(enumerate(labels)), "label2id": {lab: i for i, lab in enumerate(labels)}}
    model = AutoModelForTokenClassification.from_pretrained(
        path, ignore_mismatched_sizes=True, **label_maps)
    if not shared or list(base_labels) == labels:
        return model  # a bare encoder, or the same labels in the same order: the head loaded as it is
    base = AutoModelForTokenClassification.from_pretrained(path)
    old, new = base.classifier, model.classifier
    with torch.no_grad():
        for i, lab in enumerate(labels):
            if lab in base_labels:
                new.weight[i] = old.weight[base_labels[lab]]
                new.bias[i] = old.bias[base_labels[lab]]
            else:  # as transformers initialises a new head
                new.weight[i].normal_(0.0, getattr(model.config, "initializer_range", 0.02))
                new.bias[i].zero_()
    log.info("head rows of %d/%d labels carried over from %s", len(shared), len(labels), path)
    return model


def train_tagger(
    train: Sequence[Sentence],
    dev: Sequence[Sentence],
    config: TrainConfig,
    *,
    trainer_cls: type[TokenClassifierTrainer] = TokenClassifierTrainer,
    device: str | torch.device | None = None,
    cpu_threads: int = 1,
) -> TrainRecord:
    """Fine-tune ``config.base_model`` on ``train`` with early stopping on ``dev``, or reuse the cached model.

    Load the result with ``TransformersTagger(record.model_dir)``. Tags must be IOB2.
    """
    require_tokens(train, "train_tagger train")
    require_tokens(dev, "train_tagger dev")
    labels = label_list(list(train) + list(dev))
    # head rows started new over a trained base are in the key: until this was fixed they were loaded as the base's
    # rows of the same index whenever both label sets had one size; models without such rows keep their keys
    new_rows = new_head_labels(resolve_model(config.base_model), labels)
    key = content_key({
        "kind": "ner",
        "version": TRAINER_VERSION,
        "trainer": f"{trainer_cls.__module__}.{trainer_cls.__qualname__}",
        "base": model_fingerprint(config.base_model),
        "config": config.cache_fields(),  # fields added later are left out at their defaults: old keys stay valid
        "labels": labels,
        **({"new_head_rows": new_rows} if new_rows else {}),
        "train": [[s.tokens, s.tags] for s in train],
        "dev": [[s.tokens, s.tags] for s in dev],
    })
    final = cache_dir("models") / f"ner-{key}"
    # one process trains a given model; parallel cells that need the same one wait and then reuse it
    trained: list[TrainRecord] = []
    built_folder(final, lambda folder: trained.append(
        _fit_and_save(train, dev, config, labels, folder, final, trainer_cls, device, cpu_threads)), RECORD_FILE)
    if trained:
        return trained[0]
    log.info("NER model reused from %s", final)
    return _read_record(final)


def _fit_and_save(train: Sequence[Sentence], dev: Sequence[Sentence], config: TrainConfig, labels: list[str],
                  folder: Path, final: Path, trainer_cls: type[TokenClassifierTrainer],
                  device: str | torch.device | None, cpu_threads: int) -> TrainRecord:
    """Fine-tune, then save the model, tokenizer and record into ``folder`` (renamed to ``final`` once complete)."""
    target = pick_device(device)
    if target.type == "cpu":
        torch.set_num_threads(cpu_threads)
    set_seed(config.seed)
    path = resolve_model(config.base_model)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = load_classifier(path, labels)
    features, truncated = encode(train, tokenizer, model.config.label2id, config.max_length)
    if truncated:
        log.warning("%d training words lie past max_length=%d sub-tokens and are not trained on",
                    truncated, config.max_length)
    trainer = trainer_cls(model, tokenizer, config, target)
    start = time.perf_counter()
    history, steps, best_step = trainer.fit(features, dev)
    seconds = time.perf_counter() - start
    record = TrainRecord(
        model_dir=final, cached=False, labels=labels, train_seconds=seconds,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, steps=steps,
        best_step=best_step, best_dev_f1=max(h["dev_f1"] for h in history), n_train=len(train), n_dev=len(dev),
        truncated_words=truncated, history=history,
    )
    trainer.model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    data = {k: v for k, v in asdict(record).items() if k not in ("model_dir", "cached")}
    atomic_write_text(folder / RECORD_FILE, json.dumps(data, indent=1))
    log.info("NER model trained in %.0f s (%d steps, best dev F1 %.4f) -> %s", seconds, steps,
             record.best_dev_f1, final)
    return record
