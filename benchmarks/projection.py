"""Projection speed: heuristic, all-n-gram greedy and all-n-gram exact ILP.

Prints sentences/second per method on the Europarl conformance workloads and on long synthetic
sentences, the seconds and peak traced memory (tracemalloc; the CBC subprocess is not traced) of the
greedy and the ILP on the 2,000-sentence workload, and as its last line a JSON object with every figure
(key ``greedy_ngram_2000_s`` among them).

    OMP_NUM_THREADS=1 python benchmarks/projection.py [--fixtures DIR] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xproj_lib.project import (
    ExactMatcher,
    ProjectionInput,
    project_candidates_batch,
    project_heuristic_batch,
)
from xproj_lib.project.fixtures import load_reference, load_workload
from xproj_lib.types import Span


def synthetic_sentences(n: int, n_words: int, seed: int) -> list[ProjectionInput]:
    """Long sentence pairs: one entity (1–4 words) every ~15 source words, near-diagonal links with 10%
    unaligned source words, 15% one-to-two links and 3% random noise links."""
    rng = np.random.default_rng(seed)
    inputs = []
    for i in range(n):
        entities, pos = [], int(rng.integers(0, 10))
        while pos + 4 < n_words:
            length = int(rng.choice([1, 2, 3, 4], p=[0.5, 0.3, 0.14, 0.06]))
            entities.append(Span(pos, pos + length, str(rng.choice(["PER", "ORG", "LOC", "MISC"]))))
            pos += length + int(rng.integers(5, 20))
        links: set[tuple[int, int]] = set()
        for k in range(n_words):
            if rng.random() < 0.1:
                continue
            tgt = int(np.clip(round(k + rng.normal(0, 0.7)), 0, n_words - 1))
            links.add((k, tgt))
            if rng.random() < 0.15 and tgt + 1 < n_words:
                links.add((k, tgt + 1))
            if rng.random() < 0.03:
                links.add((k, int(rng.integers(0, n_words))))
        tokens = [f"w{j}" for j in range(n_words - 1)] + ["."]
        inputs.append(ProjectionInput(tokens, entities, sorted(links), src_tokens=["s"] * n_words, id=f"syn{i}"))
    return inputs


def _timed(run: Callable[[], Any], repeats: int) -> float:
    """Median wall seconds of ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_mb(run: Callable[[], Any]) -> float:
    """Peak memory (MB) traced by tracemalloc during one run."""
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def _methods() -> dict[str, Callable[[Sequence[ProjectionInput]], Any]]:
    return {
        "heuristic": lambda inputs: project_heuristic_batch(inputs),
        "greedy_ngram": lambda inputs: project_candidates_batch(inputs),
        "ilp_ngram_cbc": lambda inputs: project_candidates_batch(inputs, matcher=ExactMatcher(solver="cbc")),
        "ilp_ngram_highs": lambda inputs: project_candidates_batch(inputs, matcher=ExactMatcher(solver="highs")),
    }


def main() -> None:
    """Run the benchmark and print the figures."""
    default = Path(os.environ.get("XPROJ_DATA_DIR", "/work/shared/data")).parent / "reference" / "projection_conformance"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=default)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    methods = _methods()

    workloads = {name: load_workload(args.fixtures / f"workload_{name}.json") for name in
                 ("europarl_de", "europarl_es", "europarl_it")}
    workloads["synthetic_200w"] = synthetic_sentences(20, 200, seed=1)
    workloads["synthetic_400w"] = synthetic_sentences(10, 400, seed=2)
    for name, inputs in workloads.items():
        for method, run in methods.items():
            seconds = _timed(lambda: run(inputs), args.repeats)
            figures[f"{method}_{name}_sent_per_s"] = round(len(inputs) / seconds, 1)
            print(f"{name:16s} {method:16s} {len(inputs):4d} sentences {seconds:8.3f} s "
                  f"{len(inputs) / seconds:10.1f} sentences/s")

    inputs = load_workload(args.fixtures / "workload_2000.json")
    reference = load_reference(args.fixtures / "ref_outputs_2000.json")["ngram_argmax"]
    results, _ = methods["greedy_ngram"](inputs)
    figures["greedy_ngram_2000_identical_to_official"] = all(
        r.tags == o["labels"] and [list(m) for m in r.matches] == o["matches"] for r, o in zip(results, reference)
    )
    for method in ("heuristic", "greedy_ngram", "ilp_ngram_cbc", "ilp_ngram_highs"):
        run = methods[method]
        seconds = _timed(lambda: run(inputs), args.repeats)
        peak = _peak_mb(lambda: run(inputs))
        figures[f"{method}_2000_s"] = round(seconds, 3)
        figures[f"{method}_2000_peak_mb"] = round(peak, 1)
        print(f"workload_2000    {method:16s} {seconds:8.3f} s  peak {peak:7.1f} MB traced")
    official = json.loads((args.fixtures / "summary_2000.json").read_text())["ngram_argmax"]
    figures["official_greedy_ngram_2000_s"] = official["wall_s"]
    figures["greedy_speedup_vs_official"] = round(official["wall_s"] / figures["greedy_ngram_2000_s"], 1)
    figures["ilp_cbc_over_greedy"] = round(figures["ilp_ngram_cbc_2000_s"] / figures["greedy_ngram_2000_s"], 2)
    figures["ilp_highs_over_greedy"] = round(figures["ilp_ngram_highs_2000_s"] / figures["greedy_ngram_2000_s"], 2)
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
