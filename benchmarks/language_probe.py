"""How well can the language discriminator tell English from a target language in a tagger's representation?

Adversarial alignment only has something to remove if the two languages are separable in the
sentence vectors the discriminator reads (mean-pooled last hidden states, as in training). This
probe freezes a tagger, pools the vectors of the two sides of the cell's transfer text (MAFAND-MT,
the first ``max_transfer_pairs`` pairs that repeat no MasakhaNER2 dev or test sentence, as the
adversarial cells use them), and trains a fresh
discriminator of the training configuration on them alone (no gradient reversal). It prints the
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

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from xproj_lib.adversarial import AdversarialConfig, LanguageDiscriminator, pool
from xproj_lib.languages import load_language
from xproj_lib.pipelines.components import source_tagger
from xproj_lib.pipelines.transfer import held_out_sentences, transfer_text
from xproj_lib.study import load_profile


def sentence_vectors(model_dir: str, sentences: list[list[str]], max_length: int = 128) -> torch.Tensor:
    """Mean-pooled last hidden states of the model's encoder, as the discriminator reads them in training."""
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    encoder = AutoModel.from_pretrained(model_dir, add_pooling_layer=False).eval()  # the NER encoder, no pooler
    out = []
    with torch.inference_mode():
        for start in range(0, len(sentences), 32):
            enc = tokenizer(sentences[start:start + 32], is_split_into_words=True, truncation=True,
                            max_length=max_length, padding=True, return_tensors="pt")
            out.append(pool(encoder(**enc)[0], enc["attention_mask"], "mean"))
    return torch.cat(out)


def probe(x: torch.Tensor, y: torch.Tensor, train: np.ndarray, test: np.ndarray, checkpoints: list[int],
          adv: AdversarialConfig, lr: float, seed: int = 0) -> dict[int, float]:
    """Held-out accuracy of a fresh discriminator trained on ``train`` rows, at each step count in ``checkpoints``
    (batches of ``unlabelled_batch_size`` sentences per language, Adam at learning rate ``lr``)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    disc = LanguageDiscriminator(x.shape[1], 2, adv.hidden_size, adv.dropout)
    optimizer = torch.optim.Adam(disc.parameters(), lr=lr)
    by_lang = [train[y[train].numpy() == k] for k in (0, 1)]
    accuracy = {}
    for step in range(1, max(checkpoints) + 1):
        disc.train()
        rows = np.concatenate([rng.choice(idx, adv.unlabelled_batch_size) for idx in by_lang])
        loss = torch.nn.functional.cross_entropy(disc(x[rows]), y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step in checkpoints:
            disc.eval()
            with torch.no_grad():
                accuracy[step] = float((disc(x[test]).argmax(-1) == y[test]).float().mean())
    return accuracy


def model_folder(name: str, models: dict) -> str:
    """The folder of a ``--model``: the source model, a folder, or the target model of a result record."""
    if name == "source":
        return source_tagger(models)[1]["model_dir"]
    if name.endswith(".jsonl"):
        record = json.loads(Path(name).read_text(encoding="utf-8").splitlines()[-1])
        name = record["metrics"]["target_model"]["model_dir"]
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
    src, tgt = text.src, text.tgt
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(src), size=min(args.sentences, len(src)), replace=False)
    sentences = [src[i].tokens for i in chosen] + [tgt[i].tokens for i in chosen]
    y = torch.tensor([0] * len(chosen) + [1] * len(chosen))
    order = rng.permutation(len(sentences))
    n_test = len(order) // 5
    test, train = order[:n_test], order[n_test:]
    tagger = profile.models["taggers"]["e5-adv"]
    adv = AdversarialConfig(**tagger.get("adversarial", {}))
    lr = adv.discriminator_lr or tagger["learning_rate"]  # as AdversarialTrainer.make_optimizer
    print(f"{args.language}: {text.notes}; {len(chosen)} sentences per "
          f"language, {n_test} held out; discriminator {adv}")
    results = []
    for name in args.model or ["source"]:
        folder = model_folder(name, profile.models)
        start = time.perf_counter()
        x = sentence_vectors(folder, sentences)
        accuracy = probe(x, y, train, test, sorted(args.steps), adv, lr)
        print(f"{name}: held-out accuracy " + ", ".join(f"{acc:.3f} after {step} steps"
                                                         for step, acc in accuracy.items())
              + f" ({time.perf_counter() - start:.0f} s)")
        results.append({"model": name, "model_dir": folder, "accuracy": accuracy})
    print(json.dumps({"language": args.language, "results": results}))


if __name__ == "__main__":
    main()
