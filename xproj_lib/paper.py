"""The paper's published per-run results (MLflow CSV exports), as a tidy table for side-by-side comparison.

Variant names follow ``method-paper.md`` §6: ``mt``, ``align_src_<aligner>``, ``align_tgt_<aligner>``,
``cand_<aligner>_<selection>``, ``btcand_<aligner>_<selection>``.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

FILES = {"masakhaner2": "masakhaner2_metrics.csv", "wikiann": "xtreme40_metrics.csv",
         "europarl_ner": "europarlner_metrics.csv"}
_PREFIX = {"model_transfer": "mt", "align_src": "align_src", "align_tgt": "align_tgt",
           "candidates": "cand", "backtrans_candidates": "btcand"}


def reference_root() -> Path:
    """``$XPROJ_REFERENCE_DIR``, else the ``reference/`` folder beside the datasets (``$XPROJ_DATA_DIR/../reference``)."""
    if os.environ.get("XPROJ_REFERENCE_DIR"):
        return Path(os.environ["XPROJ_REFERENCE_DIR"])
    data = os.environ.get("XPROJ_DATA_DIR")
    if not data:
        raise FileNotFoundError("set XPROJ_REFERENCE_DIR (or XPROJ_DATA_DIR with reference/ beside it) "
                                "to the folder holding paper_results/")
    return Path(data).resolve().parent / "reference"


def variant_name(row: pd.Series) -> str:
    """The short variant name of one paper run."""
    prefix = _PREFIX[row["pipeline_type"]]
    if prefix == "mt":
        return prefix
    name = f"{prefix}_{row['aligner']}"
    if prefix in ("cand", "btcand"):
        name += f"_{row['candidate_selection']}"
    return name


def paper_results(dataset: str, root: Path | None = None) -> pd.DataFrame:
    """Columns ``lang``, ``variant``, ``f1``, ``precision``, ``recall``, ``proj_ratio`` for one dataset."""
    if dataset not in FILES:
        raise KeyError(f"the paper has no results for dataset {dataset!r} (it has {sorted(FILES)})")
    path = (root or reference_root()) / "paper_results" / FILES[dataset]
    raw = pd.read_csv(path, keep_default_na=False)
    return pd.DataFrame({
        "lang": raw["lang"],
        "variant": raw.apply(variant_name, axis=1),
        "f1": raw["overall_f1"].astype(float),
        "precision": raw["overall_precision"].astype(float),
        "recall": raw["overall_recall"].astype(float),
        "proj_ratio": pd.to_numeric(raw["proj_ratio"], errors="coerce"),
    })
