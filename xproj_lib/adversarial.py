"""Language-adversarial fine-tuning of a token classifier (Keung et al. 2019, arXiv 1909.00153).

A language discriminator (a small MLP) reads the encoder's sentence representation of unlabelled
sentences in several languages (English and the target) through a gradient-reversal layer (GRL,
Ganin & Lempitsky 2015): the discriminator learns to tell the languages apart while the encoder
receives the reversed, λ-scaled gradient and learns to make them indistinguishable. λ follows the
DANN schedule ``λ(p) = λ_max · (2 / (1 + exp(−γ·p)) − 1)`` over training progress ``p ∈ [0, 1]``.
Each optimiser step adds the discriminator's cross-entropy on one unlabelled batch (an equal number
of sentences per language) to the usual NER loss on one labelled batch.

:class:`AdversarialTrainer` extends :class:`~xproj_lib.train.TokenClassifierTrainer`; it runs
inside :func:`~xproj_lib.train.train_tagger` with an :class:`AdversarialTrainConfig`, which
carries the adversarial settings and the unlabelled text so that the model cache key covers both.
Only the tagger is saved; the discriminator is a training device and is discarded.

Besides the first setting (a two-layer MLP on mean-pooled last hidden states, one discriminator update per
encoder step), :class:`AdversarialConfig` covers the choices the sweep of issue 29 varies: the discriminator's
input (``pooling``: a sentence vector, or every sub-word / the first sub-word of each word, classified one by
one), its capacity (``hidden_size``, ``layers``), ``disc_steps`` discriminator updates per encoder step (the
extra ones on detached features) and the encoder ``layer`` it reads. Their defaults are the first setting, and a
field at its default is left out of the model cache key (models trained before the field existed keep their keys).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase, get_linear_schedule_with_warmup

from .train import TokenClassifierTrainer, TrainConfig, TrainRecord, collate, split_rows, train_tagger
from .types import Sentence

log = logging.getLogger(__name__)

# Bump when the adversarial procedure changes in a way that changes the trained model.
ADVERSARIAL_VERSION = 1
SENTENCE_POOLINGS = ("mean", "cls")
TOKEN_POOLINGS = ("token", "first-subword")  # one discriminator decision per sub-word / per word's first sub-word
POOLINGS = SENTENCE_POOLINGS + TOKEN_POOLINGS
# fields added after the first adversarial models were trained, with the defaults that reproduce them: left out of
# the model cache key at these values
LATER_FIELDS = {"layers": 1, "disc_steps": 1, "layer": None}


@dataclass(frozen=True)
class AdversarialConfig:
    """Settings of the language discriminator and the gradient-reversal schedule."""

    lambda_max: float = 0.1  # final GRL scale λ_max
    gamma: float = 10.0  # steepness γ of the DANN schedule
    hidden_size: int = 256  # discriminator hidden layer width
    dropout: float = 0.1  # discriminator dropout
    unlabelled_batch_size: int = 16  # unlabelled sentences per language per optimiser step
    # A fresh MLP learns little at a fine-tuning learning rate: at 1e-4 it stayed near chance
    # (accuracy 0.54) over 80 steps on en/hau with e5-small. None: the tagger's learning rate.
    discriminator_lr: float | None = 1e-3
    # what the discriminator reads: "mean" (hidden states averaged over attended tokens) or "cls" (first token),
    # one vector per sentence; "token" (every sub-word, special tokens left out) or "first-subword" (the first
    # sub-word of each word), one decision per unit, the loss balanced over languages
    pooling: str = "mean"
    layers: int = 1  # hidden layers of the discriminator MLP (0: a linear discriminator)
    disc_steps: int = 1  # discriminator updates per encoder step, k (k - 1 of them on detached features)
    layer: int | None = None  # encoder hidden state read (0: embeddings, i: output of layer i); None: the last

    def __post_init__(self) -> None:
        """Reject settings that cannot work."""
        if self.layers < 0 or self.disc_steps < 1 or (self.layer is not None and self.layer < 0):
            raise ValueError(f"AdversarialConfig needs layers >= 0, disc_steps >= 1 and layer >= 0, got {self}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"AdversarialConfig.pooling must be one of {POOLINGS}, got {self.pooling!r}")
        if self.lambda_max < 0 or self.gamma <= 0:
            raise ValueError(f"AdversarialConfig needs lambda_max >= 0 and gamma > 0, "
                             f"got {self.lambda_max}, {self.gamma}")
        bad_lr = self.discriminator_lr is not None and self.discriminator_lr <= 0
        if self.hidden_size < 1 or self.unlabelled_batch_size < 1 or not 0 <= self.dropout < 1 or bad_lr:
            raise ValueError(f"AdversarialConfig: bad sizes or dropout in {self}")


@dataclass(frozen=True)
class AdversarialTrainConfig(TrainConfig):
    """A :class:`TrainConfig` plus what adversarial training needs, all of it in the model cache key.

    ``unlabelled[k]`` holds the word lists of ``languages[k]`` (the discriminator's class ``k``).
    Build it with :func:`adversarial_train_config` rather than by hand.
    """

    adversarial: AdversarialConfig = AdversarialConfig()
    languages: tuple[str, ...] = ()
    unlabelled: tuple[tuple[tuple[str, ...], ...], ...] = ()
    adversarial_version: int = ADVERSARIAL_VERSION

    def cache_fields(self) -> dict:
        """The plain fields, and the adversarial ones without those of :data:`LATER_FIELDS` at their default."""
        out = super().cache_fields()
        out["adversarial"] = {k: v for k, v in out["adversarial"].items()
                              if not (k in LATER_FIELDS and v == LATER_FIELDS[k])}
        return out


def grl_lambda(progress: float, lambda_max: float, gamma: float = 10.0) -> float:
    """The DANN schedule ``λ_max · (2 / (1 + exp(−γ·p)) − 1)`` at progress ``p`` (clipped to [0, 1])."""
    p = min(max(progress, 0.0), 1.0)
    return lambda_max * (2.0 / (1.0 + math.exp(-gamma * p)) - 1.0)


class _ReverseGradient(torch.autograd.Function):
    """Identity forward; the backward pass multiplies the incoming gradient by ``−λ``."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor, lam: float) -> torch.Tensor:
        """Return ``x`` unchanged (as a new view) and remember ``λ``."""
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        """Reverse and scale the gradient; ``λ`` gets none."""
        return -ctx.lam * grad, None


def reverse_gradient(x: torch.Tensor, lam: float) -> torch.Tensor:
    """Apply the gradient-reversal layer with scale ``lam`` to ``x``."""
    return _ReverseGradient.apply(x, lam)


class GradientReversal(nn.Module):
    """The gradient-reversal layer as a module; set :attr:`lam` to change the scale."""

    def __init__(self, lam: float = 1.0) -> None:
        """Start with scale ``lam``."""
        super().__init__()
        self.lam = lam

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Identity forward, ``−lam``-scaled gradient backward."""
        return reverse_gradient(x, self.lam)


UNIT_MASK = "unit_mask"  # feature key: the sub-tokens a token-level discriminator classifies


def unit_mask(word_ids: Sequence[int | None], pooling: str, special: Sequence[int] | None = None) -> list[int]:
    """1 at the sub-tokens a token-level discriminator classifies: every sub-word that is no special token
    (``token``; ``special`` is the tokenizer's special-tokens mask), or the first sub-word of each word
    (``first-subword``); 0 elsewhere."""
    if pooling == "token":
        if special is None:
            raise ValueError("unit_mask(pooling='token') needs the special-tokens mask")
        return [int(not s and w is not None) for w, s in zip(word_ids, special)]
    if pooling != "first-subword":
        raise ValueError(f"unit_mask: pooling must be one of {TOKEN_POOLINGS}, got {pooling!r}")
    return [int(w is not None and (i == 0 or word_ids[i - 1] != w)) for i, w in enumerate(word_ids)]


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """Sentence vectors from ``hidden`` (batch × length × size): masked mean, or the first ([CLS]) token."""
    if pooling == "cls":
        return hidden[:, 0]
    if pooling != "mean":
        raise ValueError(f"pooling must be one of {SENTENCE_POOLINGS}, got {pooling!r}")
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


class LanguageDiscriminator(nn.Module):
    """An MLP (``layers`` × (linear, ReLU, dropout), then linear) from a vector to logits over ``n_languages``;
    ``layers=1`` is the first setting's two-layer MLP, ``layers=0`` a linear discriminator."""

    def __init__(self, input_size: int, n_languages: int, hidden_size: int = 256, dropout: float = 0.1,
                 layers: int = 1) -> None:
        """Build the layers."""
        super().__init__()
        if n_languages < 2:
            raise ValueError(f"a language discriminator needs at least 2 languages, got {n_languages}")
        modules: list[nn.Module] = []
        width = input_size
        for _ in range(layers):
            modules += [nn.Linear(width, hidden_size), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden_size
        self.net = nn.Sequential(*modules, nn.Linear(width, n_languages))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Language logits (batch × n_languages)."""
        return self.net(features)


class AdversarialTrainer(TokenClassifierTrainer):
    """NER loss on the labelled batch plus the discriminator loss on unlabelled sentences, through a GRL.

    The training history gains, per evaluation, the discriminator's mean loss and accuracy on the
    unlabelled batches since the previous evaluation (``disc_loss``, ``disc_acc``) and the current
    ``lambda``; the history ``loss`` stays the NER loss alone, comparable with a plain run.
    """

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, config: TrainConfig,
                 device: torch.device) -> None:
        """Build the discriminator (seeded by ``train_tagger``'s ``set_seed``) and tokenise the unlabelled text."""
        if not isinstance(config, AdversarialTrainConfig):
            raise TypeError("AdversarialTrainer needs an AdversarialTrainConfig (see adversarial_train_config)")
        if len(config.languages) != len(config.unlabelled):
            raise ValueError(f"{len(config.languages)} languages but {len(config.unlabelled)} unlabelled sets")
        super().__init__(model, tokenizer, config, device)
        adv = config.adversarial
        self.adversarial = adv
        n_layers = model.config.num_hidden_layers
        if adv.layer is not None and adv.layer > n_layers:
            raise ValueError(f"AdversarialConfig.layer={adv.layer}, but the encoder has {n_layers} layers")
        self.discriminator = LanguageDiscriminator(model.config.hidden_size, len(config.languages),
                                                   adv.hidden_size, adv.dropout, adv.layers).to(device)
        self.disc_optimizer: torch.optim.Optimizer | None = None  # its own optimiser when disc_steps > 1
        self.disc_scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
        self.unlabelled = [self._tokenise(lang, sents) for lang, sents in zip(config.languages, config.unlabelled)]
        self.rng = np.random.default_rng([config.seed, 1])
        self.total_steps = 1
        self.steps_done = 0
        self.lam = 0.0
        self._disc: list[tuple[float, float]] = []  # (loss, accuracy) per step since the last evaluation

    def _tokenise(self, lang: str, sentences: Sequence[Sequence[str]]) -> list[dict[str, list[int]]]:
        """Sub-token features of unlabelled word lists, truncated to ``max_length`` (counted in the log)."""
        if not sentences:
            raise ValueError(f"no unlabelled sentences for language {lang!r}")
        pooling = self.adversarial.pooling
        enc = self.tokenizer([list(s) for s in sentences], is_split_into_words=True, truncation=True,
                             max_length=self.config.max_length, return_special_tokens_mask=pooling == "token")
        features = [{key: enc[key][row] for key in enc.keys() if key != "special_tokens_mask"}
                    for row in range(len(sentences))]
        if pooling in TOKEN_POOLINGS:  # which sub-tokens the discriminator classifies (padding adds 0s)
            for row, feat in enumerate(features):
                feat[UNIT_MASK] = unit_mask(enc.word_ids(row), pooling, enc["special_tokens_mask"][row]
                                            if pooling == "token" else None)
        cut = sum(max((w for w in enc.word_ids(row) if w is not None), default=-1) < len(words) - 1
                  for row, words in enumerate(sentences))
        if cut:
            log.info("%s: %d of %d unlabelled sentences cut to %d sub-tokens", lang, cut, len(features),
                     self.config.max_length)
        return features

    def unlabelled_batch(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """``unlabelled_batch_size`` random sentences of every language, padded, and their language ids."""
        size = self.adversarial.unlabelled_batch_size
        chosen, langs = [], []
        for k, feats in enumerate(self.unlabelled):
            idx = self.rng.choice(len(feats), size=size, replace=len(feats) < size)
            chosen += [feats[i] for i in idx]
            langs += [k] * size
        batch = collate(chosen, self.tokenizer.pad_token_id)
        return {k: v.to(self.device) for k, v in batch.items()}, torch.tensor(langs, device=self.device)

    def make_optimizer(self) -> torch.optim.Optimizer:
        """The tagger's AdamW plus a group for the discriminator (its own learning rate, no weight decay).

        The learning-rate schedule scales both; gradient clipping covers the tagger's parameters only. With
        ``disc_steps > 1`` the discriminator has an AdamW of its own instead (the same learning rate, weight decay
        and warm-up/decay schedule, stepped at every discriminator update), so that its extra updates leave the
        tagger alone.
        """
        optimizer = super().make_optimizer()
        lr = self.adversarial.discriminator_lr or self.config.learning_rate
        if self.adversarial.disc_steps == 1:
            optimizer.add_param_group({"params": list(self.discriminator.parameters()), "lr": lr,
                                       "weight_decay": 0.0})
            return optimizer
        self.disc_optimizer = torch.optim.AdamW(self.discriminator.parameters(), lr=lr, weight_decay=0.0)
        self.disc_scheduler = get_linear_schedule_with_warmup(
            self.disc_optimizer, int(self.config.warmup_ratio * self.total_steps), self.total_steps)
        return optimizer

    def hidden_states(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The encoder hidden states the discriminator reads (``layer``; the last by default)."""
        if self.adversarial.layer is None:
            return self.model.base_model(**batch)[0]
        return self.model.base_model(**batch, output_hidden_states=True).hidden_states[self.adversarial.layer]

    def discriminator_loss(self, batch: dict[str, torch.Tensor], langs: torch.Tensor) -> tuple[torch.Tensor, float]:
        """Cross-entropy of the discriminator on ``batch``, reading the encoder through the GRL, and its accuracy."""
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            hidden = self.hidden_states(batch)
            logits = self.discriminator(reverse_gradient(pool(hidden, batch["attention_mask"],
                                                              self.adversarial.pooling), self.lam))
        logits = logits.float()
        return nn.functional.cross_entropy(logits, langs), float((logits.argmax(-1) == langs).float().mean())

    def unit_loss(self, batch: dict[str, torch.Tensor], langs: torch.Tensor, weight: torch.Tensor,
                  encoder_grad: bool = True) -> tuple[torch.Tensor, float]:
        """Token-level discriminator loss of ``batch`` (its ``unit_mask`` sub-tokens, each with its sentence's
        language), each unit weighted by ``weight[language]``, and the weighted accuracy. The weights give the
        mean over a whole batch's units with every language counted equally, summed over its micro-batches.
        ``encoder_grad=False`` reads the encoder without a graph (a discriminator-only update)."""
        units = batch[UNIT_MASK].bool()
        inputs = {k: v for k, v in batch.items() if k != UNIT_MASK}
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            with torch.set_grad_enabled(encoder_grad):
                vectors = self.hidden_states(inputs)[units]
            unit_langs = langs.unsqueeze(1).expand_as(units)[units]
            logits = self.discriminator(reverse_gradient(vectors, self.lam) if encoder_grad else vectors.detach())
        logits = logits.float()
        w = weight[unit_langs]
        loss = (nn.functional.cross_entropy(logits, unit_langs, reduction="none") * w).sum()
        return loss, float(((logits.argmax(-1) == unit_langs).float() * w).sum())

    def _discriminator_pass(self, encoder_grad: bool) -> tuple[float, float]:
        """Back-propagate the discriminator loss of one fresh unlabelled batch (micro-batched, see
        ``max_batch_tokens``); through the GRL into the encoder, or (``encoder_grad=False``) into the
        discriminator alone. Returns the batch's loss and accuracy."""
        batch, langs = self.unlabelled_batch()
        token_level = self.adversarial.pooling in TOKEN_POOLINGS
        if token_level:  # every language weighs the same, however many units its sentences have
            counts = torch.stack([batch[UNIT_MASK][langs == k].sum() for k in range(len(self.unlabelled))])
            weight = 1.0 / (counts.clamp(min=1).float() * len(self.unlabelled))
        parts = split_rows({**batch, "langs": langs}, self.config.max_batch_tokens)
        loss_sum = accuracy_sum = 0.0
        for part in parts:
            inputs = {k: v for k, v in part.items() if k != "langs"}
            if token_level:
                loss, accuracy = self.unit_loss(inputs, part["langs"], weight, encoder_grad)
                loss.backward()
                loss_sum += float(loss.detach())
                accuracy_sum += accuracy
                continue
            share = len(part["langs"]) / len(langs)
            if encoder_grad:
                loss, accuracy = self.discriminator_loss(inputs, part["langs"])
            else:
                loss, accuracy = self._detached_loss(inputs, part["langs"])
            (loss * share).backward()
            loss_sum += float(loss.detach()) * share
            accuracy_sum += accuracy * share
        return loss_sum, accuracy_sum

    def _detached_loss(self, batch: dict[str, torch.Tensor], langs: torch.Tensor) -> tuple[torch.Tensor, float]:
        """The sentence-level discriminator loss on encoder vectors read without a graph (discriminator only)."""
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            with torch.no_grad():
                vectors = pool(self.hidden_states(batch), batch["attention_mask"], self.adversarial.pooling)
            logits = self.discriminator(vectors.detach())
        logits = logits.float()
        return nn.functional.cross_entropy(logits, langs), float((logits.argmax(-1) == langs).float().mean())

    def _step_discriminator(self) -> None:
        """One update of the discriminator's own optimiser (``disc_steps > 1``)."""
        self.disc_optimizer.step()
        self.disc_optimizer.zero_grad(set_to_none=True)

    def extra_backward(self) -> None:
        """The discriminator loss on a fresh unlabelled batch (in micro-batches, see ``max_batch_tokens``).

        With ``disc_steps = k > 1``, first ``k − 1`` discriminator-only updates on fresh batches (the encoder read
        without gradient), then the adversarial batch, after which the discriminator's optimiser steps again (its
        gradient comes from that batch alone; the tagger's gradient waits for the tagger's update)."""
        self.discriminator.train()
        self.lam = grl_lambda(self.steps_done / max(self.total_steps, 1), self.adversarial.lambda_max,
                              self.adversarial.gamma)
        for _ in range(self.adversarial.disc_steps - 1):
            self._discriminator_pass(encoder_grad=False)
            self._step_discriminator()
        self._disc.append(self._discriminator_pass(encoder_grad=True))
        if self.disc_optimizer is not None:
            self._step_discriminator()
            self.disc_scheduler.step()
        self.steps_done += 1

    def evaluation_log(self) -> dict[str, float]:
        """The discriminator's mean loss and accuracy since the last evaluation, and the current λ."""
        losses, accs = zip(*self._disc) if self._disc else ((math.nan,), (math.nan,))
        self._disc = []
        return {"disc_loss": float(np.mean(losses)), "disc_acc": float(np.mean(accs)), "lambda": self.lam}


def adversarial_train_config(
    config: TrainConfig,
    adversarial: AdversarialConfig,
    unlabelled: Mapping[str, Sequence[Sequence[str]]],
) -> AdversarialTrainConfig:
    """Combine a plain configuration, the adversarial settings and the unlabelled text (languages sorted)."""
    if len(unlabelled) < 2:
        raise ValueError(f"adversarial training needs unlabelled text in >= 2 languages, got {sorted(unlabelled)}")
    languages = tuple(sorted(unlabelled))
    for lang in languages:
        if not unlabelled[lang]:
            raise ValueError(f"unlabelled[{lang!r}]: no sentences")
        for i, words in enumerate(unlabelled[lang]):
            if not words or any(not isinstance(w, str) or not w for w in words):
                raise ValueError(f"unlabelled[{lang!r}] sentence {i}: empty, or a word that is not a non-empty "
                                 f"string: {list(words)[:10]!r}")
    plain = {f.name: getattr(config, f.name) for f in fields(TrainConfig)}
    return AdversarialTrainConfig(
        **plain, adversarial=adversarial, languages=languages,
        unlabelled=tuple(tuple(tuple(words) for words in unlabelled[lang]) for lang in languages),
    )


def train_adversarial_tagger(
    train: Sequence[Sentence],
    dev: Sequence[Sentence],
    unlabelled: Mapping[str, Sequence[Sequence[str]]],
    config: TrainConfig,
    adversarial: AdversarialConfig = AdversarialConfig(),
    *,
    device: str | torch.device | None = None,
    cpu_threads: int = 1,
) -> TrainRecord:
    """Fine-tune with the language-adversarial loss, or reuse the cached model (key: data, both configs, text).

    ``unlabelled`` maps a language name (e.g. ``"en"``, ``"hau"``) to its word lists; load the result
    with ``TransformersTagger(record.model_dir)``. The record's history carries ``disc_loss``,
    ``disc_acc`` and ``lambda`` per evaluation.
    """
    run = adversarial_train_config(config, adversarial, unlabelled)
    return train_tagger(train, dev, run, trainer_cls=AdversarialTrainer, device=device, cpu_threads=cpu_threads)

