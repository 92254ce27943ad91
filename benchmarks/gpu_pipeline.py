"""Throughput and peak memory of the translate-test stages: translation, NER, alignment, NMT scoring.

The workload is the first ``--sentences`` gold test sentences of one language (needs ``XPROJ_DATA_DIR``).
Two modes:

* default: the project's own components with real models (cached in the Hugging Face cache, or
  internet): :class:`xproj_lib.translate.Translator` (translate, then ``probability`` on entity-sized
  phrase pairs), :class:`xproj_lib.ner.TransformersTagger` and the AWESoME aligner, caches off;
* ``--random-weights``: no download at all. Models of the real architectures and sizes are built from
  configs written below from the public model cards (NLLB-200-distilled-600M or NLLB-200-3.3B,
  XLM-R-large, mBERT) with random weights, fed random token ids whose lengths follow the sentences
  (``SUBWORDS_PER_WORD`` sub-words per word); translation generates exactly as many tokens as the
  longest input of its batch (a random model has no meaningful EOS), NER is one forward pass, alignment
  is the mBERT forward up to layer 8 of both sides plus AWESoME's two-way softmax extraction, NMT
  scoring a teacher-forced forward pass. ``--sizes tiny`` swaps in tiny configs for a quick CPU check.

Each stage prints sentences/s and peak memory (``torch.cuda.max_memory_allocated`` on CUDA, the
process's max RSS on CPU); the last line is JSON with every figure.

    python benchmarks/gpu_pipeline.py --random-weights [--sizes paper|tiny] [--nllb 600M|3.3B]
        [--dataset masakhaner2] [--lang hau] [--sentences 256] [--dtype auto|float32|float16|bfloat16]
"""
from __future__ import annotations

import argparse
import json
import math
import resource
import time
from collections.abc import Callable
from typing import Any

import torch
from transformers import (
    AutoModelForSeq2SeqLM,
    BertConfig,
    BertModel,
    M2M100Config,
    XLMRobertaConfig,
    XLMRobertaForTokenClassification,
)

from xproj_lib.datasets import load_ner
from xproj_lib.ner import pick_device
from xproj_lib.translate import resolve_dtype

SUBWORDS_PER_WORD = 1.5  # rough sub-word fertility of NLLB/XLM-R/mBERT on MasakhaNER2 text

# Public architecture sizes (model cards / config.json of the hub models), written out so no download is needed.
NLLB = {
    "600M": dict(vocab_size=256206, d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
                 decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096),
    "3.3B": dict(vocab_size=256206, d_model=2048, encoder_layers=24, decoder_layers=24, encoder_attention_heads=16,
                 decoder_attention_heads=16, encoder_ffn_dim=8192, decoder_ffn_dim=8192),
    "tiny": dict(vocab_size=1000, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                 decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64),
}
XLMR_LARGE = dict(vocab_size=250002, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                  intermediate_size=4096, max_position_embeddings=514, type_vocab_size=1, pad_token_id=1,
                  layer_norm_eps=1e-5)
MBERT = dict(vocab_size=119547, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
             intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2, pad_token_id=0)
TINY_ENCODER = dict(vocab_size=1000, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=64)
ALIGN_LAYER = 8


def nllb_config(size: str) -> M2M100Config:
    """An NLLB-200 (M2M100 architecture) config of ``size``."""
    return M2M100Config(**NLLB[size], max_position_embeddings=1024, scale_embedding=True, activation_function="relu",
                        pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2)


def peak_memory(device: torch.device) -> float:
    """Peak memory in GiB since the last reset (CUDA allocator, else process max RSS)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def measure(name: str, n: int, device: torch.device, fn: Callable[[], Any]) -> dict[str, float]:
    """Run ``fn`` once (after CUDA sync), print and return sentences/s and peak memory."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    figures = {"seconds": round(seconds, 3), "sentences_per_s": round(n / seconds, 2),
               "peak_gib": round(peak_memory(device), 3)}
    print(f"{name:12s} {n} sentences in {seconds:.2f}s = {n / seconds:.1f}/s, peak {figures['peak_gib']:.2f} GiB")
    return figures


def batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Index batches of ``batch_size``, longest first (as the project's components batch)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def random_ids(lengths: list[int], vocab: int, pad: int, device: torch.device,
               seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded random token ids (ids ≥ 4, clear of the special tokens) and the attention mask."""
    gen = torch.Generator().manual_seed(seed)
    width = max(lengths)
    ids = torch.full((len(lengths), width), pad, dtype=torch.long)
    mask = torch.zeros((len(lengths), width), dtype=torch.long)
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.randint(4, vocab, (n,), generator=gen)
        mask[row, :n] = 1
    return ids.to(device), mask.to(device)


def build(make: Callable[[], torch.nn.Module], device: torch.device, dtype: torch.dtype) -> torch.nn.Module:
    """A seeded random-weight model on ``device`` in ``dtype``, in eval mode."""
    torch.manual_seed(0)
    return make().to(device=device, dtype=dtype).eval()


@torch.inference_mode()
def nllb_figures(args: argparse.Namespace, lengths: list[int], device: torch.device,
                 dtype: torch.dtype) -> dict[str, Any]:
    """Translation (greedy generation) and NMT scoring (teacher-forced forward) with a random NLLB."""
    config = nllb_config("tiny" if args.sizes == "tiny" else args.nllb)
    nllb = build(lambda: AutoModelForSeq2SeqLM.from_config(config), device, dtype)

    def translate() -> None:
        for idx in batches(lengths, args.mt_batch):
            ids, mask = random_ids([lengths[i] for i in idx], config.vocab_size, 1, device)
            new = ids.shape[1]
            nllb.generate(input_ids=ids, attention_mask=mask, forced_bos_token_id=5, num_beams=1, do_sample=False,
                          min_new_tokens=new, max_new_tokens=new)

    phrases = [min(n, 8) for n in lengths]  # entity/candidate phrases: a few sub-words each

    def score() -> None:
        for idx in batches(phrases, args.score_batch):
            ids, mask = random_ids([phrases[i] for i in idx], config.vocab_size, 1, device, seed=1)
            nllb(input_ids=ids, attention_mask=mask, decoder_input_ids=ids)

    return {"translation": measure("translation", len(lengths), device, translate),
            "nmt_score_pairs": measure("nmt_score", len(lengths), device, score)}


@torch.inference_mode()
def ner_figures(args: argparse.Namespace, lengths: list[int], device: torch.device,
                dtype: torch.dtype) -> dict[str, Any]:
    """One token-classification forward pass with a random XLM-R-large."""
    config = XLMRobertaConfig(**(TINY_ENCODER if args.sizes == "tiny" else XLMR_LARGE), num_labels=9)
    ner = build(lambda: XLMRobertaForTokenClassification(config), device, dtype)

    def tag() -> None:
        for idx in batches(lengths, args.ner_batch):
            ids, mask = random_ids([lengths[i] for i in idx], config.vocab_size, config.pad_token_id, device)
            ner(input_ids=ids, attention_mask=mask).logits.softmax(-1)

    return {"ner": measure("ner", len(lengths), device, tag)}


@torch.inference_mode()
def alignment_figures(args: argparse.Namespace, lengths: list[int], device: torch.device,
                      dtype: torch.dtype) -> dict[str, Any]:
    """mBERT up to layer 8 on both sides plus AWESoME's two-way softmax extraction, random weights."""
    config = BertConfig(**(TINY_ENCODER if args.sizes == "tiny" else MBERT))
    encoder = build(lambda: BertModel(config, add_pooling_layer=False), device, dtype)
    encoder.encoder.layer = encoder.encoder.layer[:min(ALIGN_LAYER, config.num_hidden_layers)]

    def align() -> None:
        for idx in batches(lengths, args.align_batch):
            ids, mask = random_ids([lengths[i] for i in idx], config.vocab_size, config.pad_token_id, device)
            hidden = encoder(input_ids=ids, attention_mask=mask).last_hidden_state.float()
            sim = hidden @ hidden.flip(0).transpose(1, 2)  # pair each sentence with another of the batch
            keep = (sim.softmax(-1) > 1e-3) & (sim.softmax(-2) > 1e-3)
            keep.nonzero()

    return {"alignment": measure("alignment", len(lengths), device, align)}


def random_weight_figures(args: argparse.Namespace, words: list[int], device: torch.device,
                          dtype: torch.dtype) -> dict[str, Any]:
    """Every stage with random-weight models of the real (or tiny) sizes, one model in memory at a time."""
    lengths = [max(1, math.ceil(n * SUBWORDS_PER_WORD)) + 2 for n in words]
    figures: dict[str, Any] = {}
    for stage in (nllb_figures, ner_figures, alignment_figures):
        figures.update(stage(args, lengths, device, dtype))
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return figures


def real_model_figures(args: argparse.Namespace, sentences: list[list[str]], language: dict[str, Any],
                       device: torch.device) -> dict[str, Any]:
    """Every stage with the project's components and real models (no caches)."""
    from xproj_lib.align import build_aligner
    from xproj_lib.ner import TransformersTagger
    from xproj_lib.translate import Decoding, Translator
    from xproj_lib.words import detokenize, split_words

    out: dict[str, Any] = {}
    translator = Translator(args.translator, batch_size=args.mt_batch, dtype=args.dtype, device=device, cache=False)
    texts = [detokenize(s, language["word_split"]) for s in sentences]
    english: list[str] = []
    out["translation"] = measure("translation", len(texts), device, lambda: english.extend(
        translator.translate(texts, language["nllb"], "eng_Latn", Decoding())))
    words = [split_words(t, "whitespace") for t in english]
    sources = [" ".join(w[:2]) or "x" for w in words]
    targets = [" ".join(s[:2]) for s in sentences]
    out["nmt_score_pairs"] = measure("nmt_score", len(texts), device, lambda: translator.probability(
        sources, targets, "eng_Latn", language["nllb"]))
    tagger = TransformersTagger(args.ner, batch_size=args.ner_batch, device=device)
    out["ner"] = measure("ner", len(words), device, lambda: tagger.predict(words))
    aligner = build_aligner("awesome", model=args.encoder, layer=ALIGN_LAYER, batch_size=args.align_batch,
                            cache=False)
    out["alignment"] = measure("alignment", len(words), device, lambda: aligner.align(list(zip(words, sentences))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random-weights", action="store_true", help="random models of the real sizes (no download)")
    parser.add_argument("--sizes", choices=["paper", "tiny"], default="paper", help="with --random-weights")
    parser.add_argument("--nllb", choices=["600M", "3.3B"], default="600M", help="NLLB size with --random-weights")
    parser.add_argument("--dataset", default="masakhaner2")
    parser.add_argument("--lang", default="hau", help="the dataset's language code")
    parser.add_argument("--sentences", type=int, default=256)
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "float16", "bfloat16"])
    parser.add_argument("--mt-batch", type=int, default=32)
    parser.add_argument("--score-batch", type=int, default=128)
    parser.add_argument("--ner-batch", type=int, default=128)
    parser.add_argument("--align-batch", type=int, default=128)
    parser.add_argument("--translator", default="facebook/nllb-200-distilled-600M")
    parser.add_argument("--ner", default="FacebookAI/xlm-roberta-large-finetuned-conll03-english")
    parser.add_argument("--encoder", default="bert-base-multilingual-cased")
    args = parser.parse_args()

    from xproj_lib.languages import language_by_dataset_code

    torch.set_num_threads(1)
    device = pick_device(None)
    dtype = resolve_dtype(args.dtype, device)
    sentences = [s.tokens for s in load_ner(args.dataset, args.lang, "test", limit=args.sentences)]
    language = language_by_dataset_code(args.dataset, args.lang).model_dump()
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    mode = f"random weights ({args.sizes})" if args.random_weights else "real models"
    print(f"device {gpu}, dtype {dtype}, {len(sentences)} {args.dataset}/{args.lang} test sentences, {mode}")
    if args.random_weights:
        figures = random_weight_figures(args, [len(s) for s in sentences], device, dtype)
    else:
        figures = real_model_figures(args, sentences, language, device)
    translator = ("tiny" if args.sizes == "tiny" else args.nllb) if args.random_weights else args.translator
    print(json.dumps({"device": gpu, "dtype": str(dtype), "sentences": len(sentences), "dataset": args.dataset,
                      "lang": args.lang, "random_weights": args.random_weights, "sizes": args.sizes,
                      "translator": translator, **figures}))


if __name__ == "__main__":
    main()
