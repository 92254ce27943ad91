"""How well can the language discriminator tell English from a target language in a tagger's representation?

Adversarial alignment only has something to remove if the two languages are separable in the
sentence vectors the discriminator reads (mean-pooled last hidden states, as in training). This
probe freezes a tagger, pools the vectors of the two sides of the cell's transfer text (MAFAND-MT,
the first ``max_transfer_pairs`` pairs that repeat no MasakhaNER2 dev or test sentence, as the
adversarial cells use them), and trains a fresh
discriminator of the first training configuration on them alone (no gradient reversal): :mod:`xproj_lib.probe`,
which the sweep's cells (``probe: true``) also run and record. It prints the
held-out accuracy after as many discriminator steps as an adversarial cell takes and after
longer training; comparing a source model with an adversarially trained one shows whether the
adversarial training removed the language signal. Needs ``XPROJ_DATA_DIR``.

    python benchmarks/language_probe.py --language luo --model source \
        --model results/records/masakhaner2/luo/adversarial-e5-3a1c2d60c9ae.jsonl

A ``--model`` is ``source`` (the offline profile's English source model, trained on first use, ~10
CPU-min), a trained NER model folder, or a cell's result record (its target model, which must be in
the cache: run the cell first).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from xproj_lib.languages import load_language
from xproj_lib.paths import resolve
from xproj_lib.pipelines.components import source_tagger
from xproj_lib.pipelines.transfer import held_out_sentences, transfer_text
from xproj_lib.probe import ProbeConfig, language_probe
from xproj_lib.study import load_profile


def model_folder(name: str, models: dict) -> str:
    """The folder of a ``--model``: the source model, a folder, or the target model of a result record."""
    if name == "source":
        return source_tagger(models)[1]["model_dir"]
    if name.endswith(".jsonl"):
        record = json.loads(Path(name).read_text(encoding="utf-8").splitlines()[-1])
        name = str(resolve(record["metrics"]["target_model"]["model_dir"]))  # records say $XPROJ_CACHE_DIR/...
    if not (Path(name) / "config.json").is_file():
        raise SystemExit(f"{name}: no model there (a record's model is in the cache only once its cell has run)")
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--language", default="hau", help="ISO 639-3 code with MAFAND-MT text")
    parser.add_argument("--model", action="append",
                        help="'source', a trained NER model folder or a result record (.jsonl); repeatable")
    parser.add_argument("--profile", default="offline")
    parser.add_argument("--sentences", type=int, default=600, help="sentences per language (a fifth held out)")
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 30, 90, 300])
    args = parser.parse_args()
    torch.set_num_threads(1)

    profile = load_profile(args.profile)
    language = load_language(args.language).model_dump(mode="json")
    held_out = held_out_sentences({"dataset": "masakhaner2", "dataset_code": language["datasets"]["masakhaner2"],
                                   "split": "test"})
    text = transfer_text(language, profile.settings, profile.models, held_out)
    src, tgt = [s.tokens for s in text.src], [t.tokens for t in text.tgt]
    config = ProbeConfig(sentences=args.sentences, steps=tuple(sorted(args.steps)))
    print(f"{args.language}: {text.notes}; {min(args.sentences, len(src))} sentences per language, "
          f"{int(2 * min(args.sentences, len(src)) * config.test_fraction)} held out; probe {config}")
    results = []
    for name in args.model or ["source"]:
        folder = model_folder(name, profile.models)
        start = time.perf_counter()
        accuracy = language_probe(folder, src, tgt, config)[None]
        print(f"{name}: held-out accuracy " + ", ".join(f"{acc:.3f} after {step} steps"
                                                         for step, acc in accuracy.items())
              + f" ({time.perf_counter() - start:.0f} s)")
        results.append({"model": name, "model_dir": folder, "accuracy": accuracy})
    print(json.dumps({"language": args.language, "results": results}))


if __name__ == "__main__":
    main()
