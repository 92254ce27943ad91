"""Evaluation: seqeval micro P/R/F1 overall and per type, and the paper's ``proj_ratio``."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from seqeval.metrics import classification_report

from .tags import restrict_labels


def proj_ratio(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    """Mean over sentences of n_pred/n_gold ``B-`` tags (1 if both are 0, 0 if only gold is 0), as in the paper."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    total = 0.0
    for g, p in zip(gold, pred):
        n_gold = sum(t.startswith("B-") for t in g)
        n_pred = sum(t.startswith("B-") for t in p)
        total += n_pred / n_gold if n_gold else float(n_pred == 0)
    return total / len(gold) if gold else 0.0


def evaluate(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    ignore_labels: Iterable[str] = (),
) -> dict:
    """seqeval (default, non-strict mode) metrics with ``ignore_labels`` mapped to O on both sides.

    Returns ``{"precision", "recall", "f1", "accuracy", "proj_ratio", "n_sentences", "per_type": {type: {...}}}``.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    ignore = tuple(ignore_labels)
    gold_l = [restrict_labels(s, drop_labels=ignore)[0] for s in gold]
    pred_l = [restrict_labels(s, drop_labels=ignore)[0] for s in pred]
    for i, (g, p) in enumerate(zip(gold_l, pred_l)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: {len(g)} gold tags but {len(p)} predicted")
    n_tokens = sum(len(g) for g in gold_l)
    correct = sum(a == b for g, p in zip(gold_l, pred_l) for a, b in zip(g, p))
    if any(t != "O" for s in gold_l + pred_l for t in s):
        report = classification_report(gold_l, pred_l, output_dict=True, zero_division=0)
    else:  # seqeval averages over an empty set of entities here; nothing to score
        report = {}
    per_type = {
        name: {
            "precision": float(v["precision"]),
            "recall": float(v["recall"]),
            "f1": float(v["f1-score"]),
            "support": int(v["support"]),
        }
        for name, v in report.items()
        if not name.endswith(" avg")
    }
    micro = report.get("micro avg", {"precision": 0.0, "recall": 0.0, "f1-score": 0.0})
    return {
        "precision": float(micro["precision"]),
        "recall": float(micro["recall"]),
        "f1": float(micro["f1-score"]),
        "accuracy": correct / n_tokens if n_tokens else 0.0,
        "proj_ratio": proj_ratio(gold_l, pred_l),
        "n_sentences": len(gold_l),
        "per_type": per_type,
    }
