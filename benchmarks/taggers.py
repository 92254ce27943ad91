"""Training and inference throughput (sentences/s) of the offline NER taggers: e5-small and CRF.

A small fixed workload from CoNLL-2003 English (needs ``XPROJ_DATA_DIR``): the first
``--train`` training sentences for one training pass, the first ``--infer`` dev sentences for
inference. Training runs in a throw-away cache folder, so cached models never hide the cost.
Prints one line per measurement and a final JSON line with every figure. Each rate is given per
wall-clock second and per CPU second of this process (``*_per_cpu_s``); on a shared machine the
second is the steadier one.

    python benchmarks/taggers.py [--train 320] [--infer 500] [--threads 1]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForTokenClassification, AutoTokenizer

from xproj_lib.crf import train_crf
from xproj_lib.datasets import load_ner
from xproj_lib.encoder import ensure_e5_small
from xproj_lib.ner import TransformersTagger
from xproj_lib.train import TokenClassifierTrainer, TrainConfig, collate, encode, label_list, length_batches
from xproj_lib.types import Sentence


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``fn`` and return its result, wall-clock seconds and CPU seconds of this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def rates(name: str, n: int, wall: float, cpu: float) -> dict[str, float]:
    """``n`` items per wall-clock and per CPU second."""
    return {f"{name}_per_s": n / wall, f"{name}_per_cpu_s": n / cpu}


def e5_figures(train: list[Sentence], infer: list[Sentence], config: TrainConfig) -> dict[str, float]:
    """One pass of fine-tuning steps over ``train``, then inference on ``infer``."""
    labels = label_list(train)
    tokenizer = AutoTokenizer.from_pretrained(config.base_model)
    model = AutoModelForTokenClassification.from_pretrained(
        config.base_model, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={lab: i for i, lab in enumerate(labels)})
    trainer = TokenClassifierTrainer(model, tokenizer, config, torch.device("cpu"))
    features, _ = encode(train, tokenizer, model.config.label2id, config.max_length)
    optimizer = trainer.make_optimizer()
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    batches = length_batches([len(f["input_ids"]) for f in features], config.batch_size,
                             np.random.default_rng(config.seed))

    def train_pass() -> None:
        for idx in batches:
            trainer.train_step(collate([features[i] for i in idx], tokenizer.pad_token_id), optimizer, scheduler)

    _, train_wall, train_cpu = timed(train_pass)
    tagger = TransformersTagger.from_components(trainer.model, tokenizer, batch_size=64,
                                                cpu_threads=torch.get_num_threads())
    _, infer_wall, infer_cpu = timed(lambda: tagger.predict([s.tokens for s in infer]))
    return {**rates("e5_train_sent", len(train), train_wall, train_cpu),
            **rates("e5_train_steps", len(batches), train_wall, train_cpu),
            **rates("e5_infer_sent", len(infer), infer_wall, infer_cpu)}


def crf_figures(train: list[Sentence], infer: list[Sentence]) -> dict[str, float]:
    """CRF training on ``train`` (fresh, not cached) and Viterbi inference on ``infer``."""
    (tagger, record), train_wall, train_cpu = timed(lambda: train_crf(train))
    if record.cached:
        raise RuntimeError("CRF benchmark hit the model cache; it must run in an empty cache folder")
    _, infer_wall, infer_cpu = timed(lambda: tagger.predict([s.tokens for s in infer]))
    return {**rates("crf_train_sent", len(train), train_wall, train_cpu),
            **rates("crf_infer_sent", len(infer), infer_wall, infer_cpu)}


def main() -> None:
    """Parse arguments, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=320, help="training sentences (CoNLL-2003 en train)")
    parser.add_argument("--infer", type=int, default=500, help="inference sentences (CoNLL-2003 en dev)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)

    base = ensure_e5_small()  # converted once into the real cache
    train = load_ner("conll2003", "en", "train", limit=args.train)
    infer = load_ner("conll2003", "en", "dev", limit=args.infer)
    config = TrainConfig(base_model=str(base), batch_size=args.batch_size, max_length=args.max_length,
                         freeze_embeddings=True)
    figures: dict[str, float] = {"train_sentences": len(train), "infer_sentences": len(infer),
                                 "threads": args.threads}
    with tempfile.TemporaryDirectory(prefix="xproj-bench-") as scratch:
        os.environ["XPROJ_CACHE_DIR"] = str(Path(scratch))
        figures.update(crf_figures(train, infer))
        figures.update(e5_figures(train, infer, config))
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name, value in figures.items():
        print(f"{name:>24}: {value:.2f}" if isinstance(value, float) else f"{name:>24}: {value}")
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
