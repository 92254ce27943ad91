"""Choose an encoder's alignment layer by annotation-projection F1 on a dev slice of Europarl NER.

Europarl NER is the only parallel corpus here with gold entities on both sides, and it is also an
evaluation set. The layer is therefore chosen on a fixed **dev slice** (the first
``DEV_SENTENCES`` sentence pairs of en→de/es/it); results that depend on this choice should be
reported on the remaining sentences as well. Projection: the paper's n-gram candidate matching
(alignment score, greedy) and the paper's alignment heuristic, scored with seqeval F1 against the
gold target tags.

Run: ``python -m xproj_lib.align.layer_selection --layers 1-12 --out scores.json``.
"""
from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xproj_lib.align.awesome import AwesomeAligner
from xproj_lib.align.base import Aligner
from xproj_lib.align.simalign_aligner import SimAlignAligner
from xproj_lib.datasets import load_parallel_ner
from xproj_lib.encoder import ensure_e5_small
from xproj_lib.evaluate import evaluate
from xproj_lib.project import ProjectionInput, project_candidates, project_heuristic
from xproj_lib.tags import tags_to_spans
from xproj_lib.types import Sentence

DEV_SENTENCES = 200
TARGETS = ("de", "es", "it")


def projection_f1(aligner: Aligner, pairs: Sequence[tuple[Sentence, Sentence]]) -> dict[str, float]:
    """Candidate-matching and heuristic projection F1 of gold source entities through ``aligner``."""
    results = aligner.align([(src.tokens, tgt.tokens) for src, tgt in pairs])
    gold = [tgt.tags for _, tgt in pairs]
    candidates, heuristic = [], []
    for (src, tgt), result in zip(pairs, results):
        entities = tags_to_spans(src.tags)
        inp = ProjectionInput(tgt.tokens, entities, result.links, src_tokens=src.tokens)
        candidates.append(project_candidates(inp).tags)
        heuristic.append(project_heuristic(len(tgt.tokens), entities, result.links))
    return {"candidates_f1": evaluate(gold, candidates)["f1"], "heuristic_f1": evaluate(gold, heuristic)["f1"]}


def layer_scores(model: str, layers: Sequence[int], *, targets: Sequence[str] = TARGETS,
                 n_sentences: int = DEV_SENTENCES) -> list[dict[str, Any]]:
    """One row per (layer, aligner, target language) with projection F1 on the dev slice."""
    data = {lang: load_parallel_ner("europarl_ner", "en", lang, "test", limit=n_sentences) for lang in targets}
    rows = []
    for layer in layers:
        for name, aligner in (("simalign-itermax", SimAlignAligner(model, method="itermax", layer=layer)),
                              ("awesome", AwesomeAligner(model, layer=layer))):
            for lang, pairs in data.items():
                start = time.perf_counter()
                scores = projection_f1(aligner, pairs)
                rows.append({"layer": layer, "aligner": name, "lang": lang, **scores,
                             "seconds": round(time.perf_counter() - start, 2)})
                print(json.dumps(rows[-1]), flush=True)
    return rows


def _layers(text: str) -> list[int]:
    """``"1-12"`` or ``"6,8,10"`` → list of layers."""
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(x) for x in text.split(",")]


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: score layers of the offline encoder (or ``--model``) and write JSON rows."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="model folder or hub id (default: converted e5-small)")
    parser.add_argument("--layers", type=_layers, default=list(range(1, 13)))
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--sentences", type=int, default=DEV_SENTENCES)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    model = args.model or str(ensure_e5_small())
    rows = layer_scores(model, args.layers, targets=args.targets.split(","), n_sentences=args.sentences)
    args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
