"""Projection speed: heuristic, all-n-gram greedy and all-n-gram exact ILP.

Prints sentences/second per method on the Europarl conformance workloads and on long synthetic
sentences, the seconds and peak traced memory (tracemalloc; the CBC subprocess is not traced) of the
greedy, the ILP (CBC, HiGHS) and the exact DP on the 2,000-sentence workload, and as its last line a JSON
object with every figure (key ``greedy_ngram_2000_s`` among them). Wall and CPU seconds (this process plus
the CBC subprocesses) are both given: on a shared machine CPU seconds are the steadier figure.

    OMP_NUM_THREADS=1 python benchmarks/projection.py [--fixtures DIR] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
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


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (CBC runs as a subprocess)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _timed(run: Callable[[Sequence[ProjectionInput]], Any], inputs: Sequence[ProjectionInput],
           repeats: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of ``repeats`` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        cpu, wall = _cpu_s(), time.perf_counter()
        run(inputs)
        walls.append(time.perf_counter() - wall)
        cpus.append(_cpu_s() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _peak_mb(run: Callable[[Sequence[ProjectionInput]], Any], inputs: Sequence[ProjectionInput]) -> float:
    """Peak memory (MB) traced by tracemalloc during one run (numpy buffers included)."""
    tracemalloc.start()
    run(inputs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


METHODS: dict[str, Callable[[Sequence[ProjectionInput]], Any]] = {
    "heuristic": project_heuristic_batch,
    "greedy_ngram": project_candidates_batch,
    "ilp_ngram_cbc": lambda inputs: project_candidates_batch(inputs, matcher=ExactMatcher(solver="cbc")),
    "ilp_ngram_highs": lambda inputs: project_candidates_batch(inputs, matcher=ExactMatcher(solver="highs")),
    "exact_ngram_dp": lambda inputs: project_candidates_batch(inputs, matcher=ExactMatcher(solver="dp")),
}


def main() -> None:
    """Run the benchmark and print the figures."""
    data_dir = Path(os.environ.get("XPROJ_DATA_DIR", "/work/shared/data"))
    default = data_dir.parent / "reference" / "projection_conformance"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=default)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, Any] = {"load_average_at_start": round(os.getloadavg()[0], 2)}

    workloads = {name: load_workload(args.fixtures / f"workload_{name}.json")
                 for name in ("europarl_de", "europarl_es", "europarl_it")}
    workloads["synthetic_200w"] = synthetic_sentences(20, 200, seed=1)
    workloads["synthetic_400w"] = synthetic_sentences(10, 400, seed=2)
    for name, inputs in workloads.items():
        for method, run in METHODS.items():
            wall, cpu = _timed(run, inputs, args.repeats)
            figures[f"{method}_{name}_sent_per_s"] = round(len(inputs) / wall, 1)
            print(f"{name:16s} {method:16s} {len(inputs):4d} sentences  wall {wall:8.3f} s  cpu {cpu:8.3f} s  "
                  f"{len(inputs) / wall:10.1f} sentences/s")

    inputs = load_workload(args.fixtures / "workload_2000.json")
    reference = load_reference(args.fixtures / "ref_outputs_2000.json")["ngram_argmax"]
    results, _ = project_candidates_batch(inputs)
    figures["greedy_ngram_2000_identical_to_official"] = all(
        r.tags == o["labels"] and [list(m) for m in r.matches] == o["matches"]
        for r, o in zip(results, reference, strict=True)
    )
    for method, run in METHODS.items():
        wall, cpu = _timed(run, inputs, args.repeats)
        peak = _peak_mb(run, inputs)
        figures.update({f"{method}_2000_s": round(wall, 3), f"{method}_2000_cpu_s": round(cpu, 3),
                        f"{method}_2000_peak_mb": round(peak, 1)})
        print(f"workload_2000    {method:16s} wall {wall:8.3f} s  cpu {cpu:8.3f} s  peak {peak:7.1f} MB traced")
    official = json.loads((args.fixtures / "summary_2000.json").read_text())["ngram_argmax"]
    figures["official_greedy_ngram_2000_s"] = official["wall_s"]
    figures["greedy_speedup_vs_official"] = round(official["wall_s"] / figures["greedy_ngram_2000_s"], 1)
    for method in ("ilp_ngram_cbc", "ilp_ngram_highs", "exact_ngram_dp"):
        figures[f"{method}_over_greedy_cpu"] = round(
            figures[f"{method}_2000_cpu_s"] / figures["greedy_ngram_2000_cpu_s"], 2)
    figures["process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # whole run
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
