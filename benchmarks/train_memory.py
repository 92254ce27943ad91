"""Peak memory and speed of e5-small training steps on long sentences, whole batches against micro-batches.

The workload is the longest ``--sentences`` training sentences of a MasakhaNER2 language (needs
``XPROJ_DATA_DIR``), cut to ``--max-length`` sub-tokens, in batches of 32: the batches that set a
CPU training process's peak. Each ``max_batch_tokens`` setting runs in its own child process, so
its peak resident memory (``ru_maxrss``) is its own. Prints one line per setting and a final JSON
line with every figure.

    python benchmarks/train_memory.py [--lang yor] [--sentences 320] [--settings none 2048 1024]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch


def measure(lang: str, sentences: int, max_length: int, max_batch_tokens: int | None) -> dict[str, float]:
    """Train one pass over the longest sentences; return steps/s, padded tokens/s and peak RSS."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from xproj_lib.datasets import load_ner
    from xproj_lib.encoder import ensure_e5_small
    from xproj_lib.train import (
        TokenClassifierTrainer,
        TrainConfig,
        collate,
        encode,
        label_list,
    )

    torch.set_num_threads(1)
    base = str(ensure_e5_small())
    train = load_ner("masakhaner2", lang, "train")
    labels = label_list(train)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForTokenClassification.from_pretrained(base, num_labels=len(labels))
    config = TrainConfig(base_model=base, max_length=max_length, freeze_embeddings=True,
                         max_batch_tokens=max_batch_tokens)
    features, _ = encode(train, tokenizer, {t: i for i, t in enumerate(labels)}, max_length)
    longest = sorted(features, key=lambda f: -len(f["input_ids"]))[:sentences]
    batches = [collate(longest[i:i + config.batch_size], tokenizer.pad_token_id)
               for i in range(0, len(longest), config.batch_size)]
    trainer = TokenClassifierTrainer(model, tokenizer, config, torch.device("cpu"))
    optimizer = trainer.make_optimizer()
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    start = time.perf_counter()
    for batch in batches:
        trainer.train_step(batch, optimizer, scheduler)
    seconds = time.perf_counter() - start
    return {"steps_per_s": len(batches) / seconds,
            "padded_tokens_per_s": sum(b["input_ids"].numel() for b in batches) / seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    """Run every setting in a child process and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="yor", help="MasakhaNER2 language whose train split is used")
    parser.add_argument("--sentences", type=int, default=320)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--settings", nargs="+", default=["none", "2048", "1024"],
                        help="max_batch_tokens values ('none': whole batches)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        tokens = None if args.child == "none" else int(args.child)
        print(json.dumps(measure(args.lang, args.sentences, args.max_length, tokens)))
        return
    figures = {}
    for setting in args.settings:
        out = subprocess.run([sys.executable, __file__, "--lang", args.lang, "--sentences", str(args.sentences),
                              "--max-length", str(args.max_length), "--child", setting],
                             check=True, capture_output=True, text=True).stdout
        figures[setting] = json.loads(out.strip().splitlines()[-1])
        f = figures[setting]
        print(f"max_batch_tokens={setting:>5}: {f['steps_per_s']:.3f} steps/s, "
              f"{f['padded_tokens_per_s']:.0f} padded tokens/s, peak RSS {f['peak_rss_mb']:.0f} MB")
    print(json.dumps({k: {n: round(v, 3) for n, v in f.items()} for k, f in figures.items()}))


if __name__ == "__main__":
    main()
