"""What the experiment notebook shows a reader: highlighted projections, an alignment picture, per-type scores."""
from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .tags import tags_to_spans
from .types import Alignment

COLOURS = {"PER": "#fbb4ae", "ORG": "#b3cde3", "LOC": "#ccebc5", "MISC": "#decbe4", "DATE": "#fed9a6"}


@dataclass
class Example:
    """One sentence pair as the notebook shows it."""

    src_tokens: list[str]
    src_tags: list[str]
    tgt_tokens: list[str]
    pred_tags: list[str]
    gold_tags: list[str] | None = None
    alignment: Alignment = field(default_factory=list)


def highlight(tokens: Sequence[str], tags: Sequence[str]) -> str:
    """HTML for a sentence with its entity spans coloured by type and labelled."""
    starts = {s.start: s for s in tags_to_spans(tags)}
    out, i = [], 0
    while i < len(tokens):
        span = starts.get(i)
        if span is None:
            out.append(html.escape(tokens[i]))
            i += 1
            continue
        text = html.escape(" ".join(tokens[span.start:span.end]))
        colour = COLOURS.get(span.label, "#eeeeee")
        out.append(f'<span style="background:{colour};padding:1px 3px;border-radius:3px">{text}'
                   f'<sub style="font-size:70%"> {html.escape(span.label)}</sub></span>')
        i = span.end
    return " ".join(out)


def examples_html(examples: Sequence[Example]) -> str:
    """A table of source sentence, projected target and gold target for each example."""
    rows = []
    for ex in examples:
        gold = highlight(ex.tgt_tokens, ex.gold_tags) if ex.gold_tags is not None else "&ndash;"
        rows.append(f"<tr><td>{highlight(ex.src_tokens, ex.src_tags)}</td>"
                    f"<td>{highlight(ex.tgt_tokens, ex.pred_tags)}</td><td>{gold}</td></tr>")
    head = "<tr><th>source (English, labelled)</th><th>target, projected</th><th>target, gold</th></tr>"
    return f'<table style="text-align:left">{head}{"".join(rows)}</table>'


def plot_alignment(example: Example, max_words: int = 40) -> plt.Figure:
    """The word alignment of one pair as a source × target matrix, entity words marked on both axes."""
    src, tgt = example.src_tokens[:max_words], example.tgt_tokens[:max_words]
    grid = np.zeros((len(src), len(tgt)))
    for s, t in example.alignment:
        if s < len(src) and t < len(tgt):
            grid[s, t] = 1
    fig, ax = plt.subplots(figsize=(0.28 * len(tgt) + 2, 0.28 * len(src) + 2))
    ax.imshow(grid, cmap="Greys", vmin=0, vmax=1)
    ax.set_xticks(range(len(tgt)), [f"{w} [{t}]" if t != "O" else w for w, t in zip(tgt, example.pred_tags)],
                  rotation=90, fontsize=7)
    ax.set_yticks(range(len(src)), [f"{w} [{t}]" if t != "O" else w for w, t in zip(src, example.src_tags)],
                  fontsize=7)
    ax.set_xlabel("target words (projected tag)")
    ax.set_ylabel("source words (source tag)")
    ax.set_title("word alignment (black = link)")
    fig.tight_layout()
    return fig


def per_type_table(metrics: dict) -> pd.DataFrame:
    """Per-type and overall precision/recall/F1 from an ``evaluate`` result."""
    rows = dict(metrics.get("per_type", {}))
    rows["overall (micro)"] = {k: metrics[k] for k in ("precision", "recall", "f1")}
    return pd.DataFrame(rows).T.round(3)
