"""How well can a fresh discriminator tell the source language from the target in a frozen tagger's encoder?

Adversarial alignment only has something to remove if the two languages are separable in the vectors its
discriminator reads, and it has removed it only if a discriminator trained afterwards, on the frozen model, cannot
tell them apart either (the discriminator inside training sits near chance because the encoder fools that one
discriminator, which says little). The probe needs no target labels: the two sides of the cell's transfer text
(MAFAND-MT, the pairs that repeat no MasakhaNER2 dev or test sentence). It samples ``sentences`` pairs (seeded),
takes both sides, holds out a fifth of the sentences, pools each sentence's hidden states (masked mean over its
sub-tokens, as the first adversarial setting reads them; the last layer unless told), trains a fresh
:class:`~xproj_lib.adversarial.LanguageDiscriminator` on the rest (Adam, balanced batches, no gradient reversal)
and reports its held-out accuracy after each of ``steps`` updates; chance is 0.5.

Every setting is probed the same way (:class:`ProbeConfig` defaults: 600 pairs, 300 steps, a 256-unit MLP at
learning rate 1e-3), whatever discriminator it trained with, so the accuracies compare across settings.
``benchmarks/language_probe.py`` runs the probe on models by hand; the study's cells with ``probe: true`` in their
method file run it after training and record it (:func:`probe_metrics`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from .adversarial import LanguageDiscriminator, pool

# Bump when the probe's procedure changes (its numbers would no longer compare with older records).
PROBE_VERSION = 1


@dataclass(frozen=True)
class ProbeConfig:
    """The probe's sample and its discriminator."""

    sentences: int = 600  # transfer pairs sampled (both sides taken: 2 × sentences, half per language)
    test_fraction: float = 0.2  # sentences held out to score the probe
    steps: tuple[int, ...] = (10, 30, 90, 300)  # report the held-out accuracy after these many updates
    batch_size: int = 16  # sentences per language per update
    hidden_size: int = 256
    dropout: float = 0.1
    learning_rate: float = 1e-3
    max_length: int = 128  # sub-tokens per sentence
    seed: int = 0


def probe_split(n_pairs: int, config: ProbeConfig = ProbeConfig()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sampled pairs (indices into the transfer text) and the train and held-out rows of the probe's
    ``2 × len(chosen)`` sentences (rows ``[0, n)``: source sides of ``chosen``, ``[n, 2n)``: target sides)."""
    rng = np.random.default_rng(config.seed)
    chosen = rng.choice(n_pairs, size=min(config.sentences, n_pairs), replace=False)
    order = rng.permutation(2 * len(chosen))
    n_test = int(len(order) * config.test_fraction)
    return chosen, order[n_test:], order[:n_test]


@torch.inference_mode()
def sentence_vectors(model_dir: str, sentences: Sequence[Sequence[str]], layers: Sequence[int | None] = (None,),
                     max_length: int = 128, batch_size: int = 32) -> dict[int | None, torch.Tensor]:
    """Mean-pooled hidden states of the model's encoder (no NER head, no pooler) per requested layer
    (None: the last; 0: the embeddings; i: the output of layer i), one row per sentence."""
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    encoder = AutoModel.from_pretrained(model_dir, add_pooling_layer=False).eval()
    out: dict[int | None, list[torch.Tensor]] = {layer: [] for layer in layers}
    for start in range(0, len(sentences), batch_size):
        enc = tokenizer([list(s) for s in sentences[start:start + batch_size]], is_split_into_words=True,
                        truncation=True, max_length=max_length, padding=True, return_tensors="pt")
        result = encoder(**enc, output_hidden_states=any(layer is not None for layer in layers))
        for layer in layers:
            hidden = result[0] if layer is None else result.hidden_states[layer]
            out[layer].append(pool(hidden, enc["attention_mask"], "mean"))
    return {layer: torch.cat(parts) for layer, parts in out.items()}


def probe_accuracy(x: torch.Tensor, y: torch.Tensor, train: np.ndarray, test: np.ndarray,
                   config: ProbeConfig = ProbeConfig()) -> dict[int, float]:
    """Held-out accuracy of a fresh discriminator trained on the ``train`` rows of ``x`` (labels ``y``: 0 or 1),
    after each step count of ``config.steps`` (balanced batches of ``batch_size`` rows per language, Adam)."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    disc = LanguageDiscriminator(x.shape[1], 2, config.hidden_size, config.dropout)
    optimizer = torch.optim.Adam(disc.parameters(), lr=config.learning_rate)
    by_lang = [train[y[train].numpy() == k] for k in (0, 1)]
    if any(len(rows) == 0 for rows in by_lang):
        raise ValueError("probe_accuracy: the training rows lack one of the two languages")
    checkpoints = set(config.steps)
    accuracy = {}
    for step in range(1, max(checkpoints) + 1):
        disc.train()
        rows = np.concatenate([rng.choice(idx, config.batch_size) for idx in by_lang])
        loss = torch.nn.functional.cross_entropy(disc(x[rows]), y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step in checkpoints:
            disc.eval()
            with torch.no_grad():
                accuracy[step] = float((disc(x[test]).argmax(-1) == y[test]).float().mean())
    return accuracy


def language_probe(model_dir: str, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]],
                   config: ProbeConfig = ProbeConfig(), layers: Sequence[int | None] = (None,),
                   ) -> dict[int | None, dict[int, float]]:
    """The probe's held-out accuracy per layer and step count on the parallel sentences ``src``/``tgt``
    (the two sides of the same pairs)."""
    if len(src) != len(tgt) or len(src) < 2:
        raise ValueError(f"language_probe needs >= 2 parallel pairs, got {len(src)} and {len(tgt)} sentences")
    chosen, train, test = probe_split(len(src), config)
    sentences = [src[i] for i in chosen] + [tgt[i] for i in chosen]
    y = torch.tensor([0] * len(chosen) + [1] * len(chosen))
    vectors = sentence_vectors(model_dir, sentences, layers, config.max_length)
    return {layer: probe_accuracy(x, y, train, test, config) for layer, x in vectors.items()}


def probe_metrics(model_dir: str, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]],
                  config: ProbeConfig = ProbeConfig(), layer: int | None = None) -> dict:
    """What a study cell records: ``accuracy`` (held-out, after the last step count, last layer), the accuracy
    per step count, the same at ``layer`` (the discriminator's, where it read another one), and the settings."""
    layers = (None,) if layer is None else (None, layer)
    result = language_probe(model_dir, src, tgt, config, layers)
    last = max(config.steps)
    out = {"accuracy": result[None][last], "accuracy_by_steps": {str(k): v for k, v in result[None].items()},
           "n_sentences": 2 * min(config.sentences, len(src)), "config": asdict(config), "version": PROBE_VERSION}
    if layer is not None:
        out |= {"layer": layer, "accuracy_at_layer": result[layer][last]}
    return out
