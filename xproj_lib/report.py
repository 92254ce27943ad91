"""The study report: F1 tables (CSV, Markdown, LaTeX) and figures across typologically distant languages.

Everything is computed from the result records under ``results/records``; nothing is typed in by hand.
The paper's numbers come from its published CSVs (``xproj_lib.paper``) and are shown beside ours only as
labelled context: the protocol or models differ unless a method file names the same ``paper_variant``.
"""
from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "xproj"  # stable element ids: a re-rendered SVG is byte-identical
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import false_discovery_control, spearmanr, wilcoxon  # noqa: E402

from .languages import all_languages  # noqa: E402
from .records import latest_records, read_records, records_frame  # noqa: E402
from .render import palette_png  # noqa: E402
from .study import load_method, params_root  # noqa: E402
from .typology import KINDS as DISTANCE_KINDS  # noqa: E402
from .typology import table_path  # noqa: E402

log = logging.getLogger(__name__)


def load_study(results_dir: Path, params_dir: Path | None = None) -> pd.DataFrame:
    """One row per (dataset, language, method): F1 mean/std over seeds, method kind, family and URIEL distances."""
    frame = records_frame(latest_records(read_records(results_dir / "records")))
    if frame.empty:
        return frame
    ok = frame[frame["status"] == "ok"]
    agg = (ok.groupby(["dataset", "lang", "method"])
           .agg(f1=("f1", "mean"), f1_std=("f1", "std"), n_seeds=("f1", "size"),
                precision=("precision", "mean"), recall=("recall", "mean"),
                pipeline=("pipeline", "first"), profile=("profile", "first"))
           .reset_index())
    methods = {m: load_method(m, params_dir) for m in agg["method"].unique()}
    agg["kind"] = agg["method"].map(lambda m: methods[m].get("kind", "projection"))
    agg["seeded"] = agg["method"].map(lambda m: bool(methods[m].get("seeded", False)))
    agg["label"] = agg["method"].map(lambda m: methods[m].get("label", m))
    agg["paper_variant"] = agg["method"].map(lambda m: methods[m].get("paper_variant"))
    langs = all_languages(params_root(params_dir))
    by_code = {(ds, code): lang for lang in langs.values() for ds, code in lang.datasets.items()}
    meta = agg.apply(lambda r: by_code.get((r["dataset"], r["lang"])), axis=1)
    agg["iso"] = [m.iso639_3 if m else None for m in meta]
    agg["family"] = [m.family if m else None for m in meta]
    agg["name"] = [m.name if m else r for m, r in zip(meta, agg["lang"])]
    dist = pd.read_csv(table_path(params_dir)).set_index("iso639_3")
    for kind in DISTANCE_KINDS:
        agg[kind] = agg["iso"].map(dist[kind]) if kind in dist else np.nan
    return agg


def f1_table(study: pd.DataFrame, dataset: str, paper: pd.DataFrame | None = None) -> pd.DataFrame:
    """Language × method F1 for one dataset, the best projection's gain over model transfer, and paper columns."""
    sub = study[study["dataset"] == dataset]
    table = sub.pivot_table(index="lang", columns="method", values="f1")
    kinds = sub.drop_duplicates("method").set_index("method")["kind"]
    projection = [m for m in table.columns if kinds[m] == "projection"]
    transfer = [m for m in table.columns if kinds[m] == "model_transfer"]
    if projection and transfer:
        scored = table[projection].dropna(how="all")  # languages whose projection cells have not run yet
        table["best_projection"] = scored.idxmax(axis=1).reindex(table.index)
        table["gain_over_model_transfer"] = table[projection].max(axis=1) - table[transfer[0]]
    if paper is not None and not paper.empty:
        variants = sorted(v for v in sub["paper_variant"].dropna().unique())
        wide = paper.pivot_table(index="lang", columns="variant", values="f1")
        for v in variants:
            if v in wide:
                table[f"paper:{v}"] = wide[v].reindex(table.index)
    return table.round(4)


def seeds_table(study: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """The methods trained with seeds: F1 mean and standard deviation over the seeds run so far (no std for one
    seed), the mean F1's difference from model transfer (the untrained baseline of the same source model), and
    the language's supervised ceilings (a column per supervised method, its mean F1) for context."""
    sub = study[study["dataset"] == dataset]
    table = sub.loc[sub["seeded"], ["lang", "method", "f1", "f1_std", "n_seeds"]].copy()
    if table.empty:
        return table
    transfer = sub[sub["kind"] == "model_transfer"].groupby("lang")["f1"].first()
    table["model_transfer"] = table["lang"].map(transfer).astype(float)
    table["gain_over_model_transfer"] = table["f1"] - table["model_transfer"]
    supervised = sub[sub["kind"] == "supervised"]
    for method in sorted(supervised["method"].unique()):
        table[method] = table["lang"].map(supervised[supervised["method"] == method].set_index("lang")["f1"])
    return table.sort_values(["lang", "method"]).set_index(["lang", "method"]).round(4)


def seeds_summary(seeded: pd.DataFrame) -> pd.DataFrame:
    """Per method of :func:`seeds_table`, across languages: how many, mean F1 and seed std, mean gain over model
    transfer, and in how many languages the seed mean beats model transfer."""
    rows = seeded.reset_index().groupby("method")
    return pd.DataFrame({
        "n_langs": rows.size(),
        "f1": rows["f1"].mean(),
        "mean_seed_std": rows["f1_std"].mean(),
        "gain_over_model_transfer": rows["gain_over_model_transfer"].mean(),
        "langs_above_model_transfer": rows["gain_over_model_transfer"].apply(lambda g: int((g > 0).sum())),
    }).round(4)


def paired_gains(runs: pd.DataFrame, dataset: str, params_dir: Path | None = None) -> pd.DataFrame:
    """F1 gain of each method over each of its ``baselines`` (method file), paired by language and seed (an
    unseeded baseline, such as model transfer, pairs with every seed); ``runs`` has one row per record
    (:func:`~xproj_lib.records.records_frame`). One row per (lang, method, baseline): pairs, gain mean, min, max.

    An ensemble pairs with a baseline that is one of its members through the member's own test F1 in the
    ensemble's record; an older record without it pairs with the baseline's record only if that record's model
    is the member (a member retrained on another machine, e.g. on another eflomal sample, is another model:
    that pair is left out and logged)."""
    ok = runs[(runs["status"] == "ok") & (runs["dataset"] == dataset)]
    rows_by_key = {(r.lang, r.method, None if pd.isna(r.seed) else int(r.seed)): r for r in ok.itertuples()}
    rows, unmatched = [], []
    for method in ok["method"].unique():
        own = [(key, row) for key, row in rows_by_key.items() if key[1] == method]
        for baseline in load_method(method, params_dir).get("baselines", []):
            for (lang, _, seed), row in own:
                base = rows_by_key.get((lang, baseline, seed), rows_by_key.get((lang, baseline, None)))
                member = (getattr(row, "members", None) or {}).get(baseline)
                if member and member["f1"] is not None:
                    other = member["f1"]
                elif member and base is not None and base.model != member["model"]:
                    unmatched.append(f"{lang} {method} seed {seed} / {baseline}")
                    continue
                else:
                    other = None if base is None else base.f1
                if other is not None:
                    rows.append({"lang": lang, "method": method, "baseline": baseline, "gain": row.f1 - other})
    if unmatched:
        log.warning("%d pairs left out: the ensemble's member is not the model of the baseline's record: %s",
                    len(unmatched), "; ".join(unmatched))
    pairs = pd.DataFrame(rows, columns=["lang", "method", "baseline", "gain"])
    return (pairs.groupby(["lang", "method", "baseline"])["gain"]
            .agg(n_pairs="size", gain="mean", gain_min="min", gain_max="max").round(4))


def gains_summary(gains: pd.DataFrame, distance: pd.Series | None = None, min_langs: int = 6) -> pd.DataFrame:
    """Per (method, baseline) of :func:`paired_gains`, across languages: how many, the mean of the per-language
    mean gains, in how many languages it is above or below 0, and the two-sided Wilcoxon signed-rank p-value of
    the per-language gains (from ``min_langs`` languages on; fewer cannot reach p < 0.05). Given ``distance``
    (language -> URIEL distance from English), also Spearman's rho of gain against distance and its p-value, over
    the languages of known distance (from ``min_langs`` on): does the gain grow or shrink with distance?
    Each p-value column gets its Benjamini-Hochberg q-value over the table's rows (``*_q``): the table tests many
    (method, baseline) pairs at once, and a lone p < 0.05 among them is weak evidence."""
    def wilcoxon_p(g: pd.Series) -> float:
        return float(wilcoxon(g).pvalue) if len(g) >= min_langs and (g != 0).any() else np.nan

    def spearman(g: pd.Series) -> tuple[int, float, float]:
        d = np.asarray(g.index.get_level_values("lang").map(distance), dtype=float)
        known = ~np.isnan(d)
        if known.sum() < min_langs:
            return int(known.sum()), np.nan, np.nan
        rho, p = spearmanr(d[known], g.to_numpy()[known])
        return int(known.sum()), float(rho), float(p)

    rows = gains.groupby(["method", "baseline"])["gain"]
    summary = pd.DataFrame({
        "n_langs": rows.size(),
        "mean_gain": rows.mean(),
        "langs_above": rows.apply(lambda g: int((g > 0).sum())),
        "langs_below": rows.apply(lambda g: int((g < 0).sum())),
        "wilcoxon_p": rows.apply(wilcoxon_p),
    })
    summary["wilcoxon_q"] = _bh_q(summary["wilcoxon_p"])
    if distance is not None:
        rho = rows.apply(spearman)
        summary["n_langs_distance"], summary["spearman_rho"], summary["spearman_p"] = rho.str[0], rho.str[1], rho.str[2]
        summary["spearman_q"] = _bh_q(summary["spearman_p"])
    return summary.round(4)


def _bh_q(p: pd.Series) -> pd.Series:
    """Benjamini-Hochberg q-values of the known p-values of ``p`` (NaN stays NaN and is not counted as a test)."""
    known = p.notna()
    q = pd.Series(np.nan, index=p.index)
    if known.any():
        q[known] = false_discovery_control(p[known].to_numpy())
    return q


def write_table(table: pd.DataFrame, stem: Path, caption: str) -> list[Path]:
    """Write a table as CSV, Markdown and LaTeX (same stem)."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".csv"), stem.with_suffix(".md"), stem.with_suffix(".tex")]
    table.to_csv(paths[0])
    markdown = table.reset_index().to_markdown(index=False, floatfmt=".3f")  # index levels as plain columns
    paths[1].write_text(f"{caption}\n\n{markdown}\n", encoding="utf-8")
    paths[2].write_text(table.to_latex(float_format="%.3f", caption=caption, na_rep="--"), encoding="utf-8")
    return paths


def _save(fig: plt.Figure, stem: Path, caption: str) -> list[Path]:
    width = max(60, int(fig.get_figwidth() * 14))  # characters per caption line at font size 7
    text = textwrap.fill(caption, width)
    fig.text(0.01, 0.005, text, fontsize=7, ha="left", va="bottom")
    lines = text.count("\n") + 1  # reserve the caption's height (about 8.5 points a line) below the axes
    fig.tight_layout(rect=(0, min(0.4, (8.5 * lines + 6) / (72 * fig.get_figheight())), 1, 1))
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    stem.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context({"svg.fonttype": "none"}):  # SVG text as text, not glyph paths: a fraction of the size
        for p in paths:
            fig.savefig(p, dpi=150, bbox_inches="tight", metadata={"Date": None} if p.suffix == ".svg" else None)
    paths[0].write_bytes(palette_png(paths[0].read_bytes()))
    plt.close(fig)
    return paths


def plot_f1_by_distance(study: pd.DataFrame, dataset: str, stem: Path, caption: str,
                        distance: str = "syntactic") -> list[Path]:
    """F1 of each method per language, languages ordered by URIEL distance from English."""
    sub = study[study["dataset"] == dataset].sort_values(distance)
    order = sub.drop_duplicates("lang")[["lang", distance]]
    methods = sorted(sub["method"].unique())
    fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(order) + 4.5), 4.5))
    x = np.arange(len(order))
    width = 0.7 / max(1, len(methods))
    colours = plt.get_cmap("tab20")(np.linspace(0, 1, max(2, len(methods))))
    markers = "osD^v<>PXh*"
    for i, method in enumerate(methods):
        grp = sub[sub["method"] == method].set_index("lang").reindex(order["lang"])
        ax.errorbar(x - 0.35 + (i + 0.5) * width, grp["f1"], yerr=grp["f1_std"].fillna(0), fmt=markers[i % len(markers)],
                    color=colours[i], capsize=2, label=grp["label"].dropna().iloc[0])
    ax.set_xticks(x, [f"{lang}\n{d:.2f}" if pd.notna(d) else f"{lang}\n?" for lang, d in zip(order["lang"], order[distance])],
                  fontsize=8)
    ax.set_xlabel(f"language (URIEL {distance} distance from English, increasing)")
    ax.set_ylabel("F1 (seqeval micro, 0-1)")
    ax.set_ylim(max(0.0, np.floor(10 * (sub["f1"].min() - 0.05)) / 10), 1.0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(f"{dataset}: F1 by method and language (bars: std over seeds)", fontsize=10)
    return _save(fig, stem, caption)


def _by_language(study: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """One row per language of ``dataset`` (its family and URIEL distances), indexed by language."""
    return study[study["dataset"] == dataset].drop_duplicates("lang").set_index("lang")


def plot_gain_vs_distance(study: pd.DataFrame, dataset: str, stem: Path, caption: str) -> list[Path]:
    """Gain of the best projection method over model transfer against each URIEL distance, with Spearman's rho."""
    table = f1_table(study, dataset)
    if "gain_over_model_transfer" not in table:
        return []
    dist = _by_language(study, dataset)
    fig, axes = plt.subplots(2, 3, figsize=(11, 6.5), sharey=True)
    for ax, kind in zip(axes.flat, DISTANCE_KINDS):
        x, y = dist[kind].reindex(table.index), table["gain_over_model_transfer"]
        ok = x.notna() & y.notna()
        ax.axhline(0, color="grey", lw=0.8)
        ax.scatter(x[ok], y[ok])
        for lang in table.index[ok]:
            ax.annotate(lang, (x[lang], y[lang]), fontsize=7, xytext=(2, 2), textcoords="offset points")
        rho, p = spearmanr(x[ok], y[ok]) if ok.sum() >= 3 else (np.nan, np.nan)
        ax.set_title(f"{kind}: Spearman rho={rho:.2f} (p={p:.2f}, n={int(ok.sum())})", fontsize=9)
        ax.set_xlabel(f"URIEL {kind} distance from English (0-1)")
    for ax in axes[:, 0]:
        ax.set_ylabel("F1 gain, best projection - model transfer")
    return _save(fig, stem, caption)


def plot_paired_gains(gains: pd.DataFrame, study: pd.DataFrame, dataset: str, stem: Path, caption: str,
                      distance: str = "syntactic") -> list[Path]:
    """One panel per baseline: the paired F1 gain over it of each method that adds to it, per language (marker:
    mean over seeds, bar: min to max), languages ordered by URIEL distance from English."""
    dist = _by_language(study, dataset)[distance]
    table = gains.reset_index()
    known = dist.fillna(np.inf)  # unknown distance last
    langs = sorted(table["lang"].unique(), key=lambda lang: (known.get(lang, np.inf), lang))
    methods = sorted(table["method"].unique())
    baselines = table["baseline"].value_counts().index.tolist()  # the most compared-with first
    fig, axes = plt.subplots(len(baselines), 1, figsize=(max(9.0, 0.5 * len(langs) + 6.0), 3.0 * len(baselines) + 1.0),
                             sharex=True, squeeze=False)
    x = np.arange(len(langs))
    colours = plt.get_cmap("tab10")(np.arange(len(methods)) % 10)
    for ax, baseline in zip(axes[:, 0], baselines):
        compared = [m for m in methods if ((table["method"] == m) & (table["baseline"] == baseline)).any()]
        width = 0.7 / len(compared)
        for i, method in enumerate(compared):
            grp = table[(table["method"] == method) & (table["baseline"] == baseline)].set_index("lang").reindex(langs)
            err = np.vstack([grp["gain"] - grp["gain_min"], grp["gain_max"] - grp["gain"]])
            k = methods.index(method)
            ax.errorbar(x - 0.35 + (i + 0.5) * width, grp["gain"], yerr=err, fmt="osD^v<>PXh*"[k % 11],
                        color=colours[k], capsize=2, label=method)
        ax.axhline(0, color="grey", lw=0.8)
        ax.grid(axis="y", alpha=0.3)
        ax.set_ylabel("F1 gain (paired by seed)")
        ax.set_title(f"gain over {baseline}", fontsize=9)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    axes[-1, 0].set_xticks(x, [f"{lang}\n{dist[lang]:.2f}" if pd.notna(dist.get(lang)) else f"{lang}\n?"
                               for lang in langs], fontsize=8)
    axes[-1, 0].set_xlabel(f"language (URIEL {distance} distance from English, increasing)")
    fig.suptitle(f"{dataset}: each method's F1 gain over the methods it adds to (bars: min-max over seeds)",
                 fontsize=10)
    return _save(fig, stem, caption)


def plot_heatmap(study: pd.DataFrame, dataset: str, stem: Path, caption: str) -> list[Path]:
    """Language × method F1 heat map, languages grouped by family."""
    sub = study[study["dataset"] == dataset]
    table = sub.pivot_table(index="lang", columns="method", values="f1")
    fam = sub.drop_duplicates("lang").set_index("lang")["family"].fillna("?")
    order = sorted(table.index, key=lambda lang: (fam[lang], lang))
    table = table.loc[order]
    fig, ax = plt.subplots(figsize=(1.1 * table.shape[1] + 3, 0.35 * table.shape[0] + 2))
    im = ax.imshow(table.values, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(table.shape[0]), [f"{lang} ({fam[lang]})" for lang in table.index], fontsize=8)
    for (i, j), v in np.ndenumerate(table.values):
        if not np.isnan(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v < 0.6 else "black")
    fig.colorbar(im, ax=ax, label="F1 (0-1)")
    ax.set_title(f"{dataset}: F1, languages grouped by family")
    return _save(fig, stem, caption)


PROTOCOLS = {
    "intrinsic": "Protocol: gold English entities projected onto the gold target sentences (the paper's Europarl "
                 "protocol); seqeval micro F1 on all classes. The offline profile scores sentences 200-798 (the "
                 "first 200 chose the encoder layer); the paper's numbers are on all 799 with mBERT.",
    "transfer": "Protocol: zero-shot model transfer of an English-trained tagger, supervised ceilings, and projection "
                "of English (or French) source NER through human parallel text (MAFAND-MT) with a target tagger "
                "trained on the projection; seqeval micro F1 on the test split (MasakhaNER2: DATE ignored). The "
                "paper's columns use another protocol (translate-test with NLLB + XLM-R-large): context only.",
    "translate_test": "Protocol: the paper's translate-test (target test sentence -> NLLB -> English NER -> "
                      "projection back); seqeval micro F1.",
}


def _caption(study: pd.DataFrame, dataset: str, what: str) -> str:
    sub = study[study["dataset"] == dataset]
    protocols = " ".join(PROTOCOLS.get(p, p) for p in sorted(sub["pipeline"].dropna().unique()))
    profiles = ", ".join(sorted(sub["profile"].dropna().unique()))
    return f"{what} - {dataset}, profile(s) {profiles}. {protocols}"


def intrinsic_table(study: pd.DataFrame, paper: pd.DataFrame, params_dir: Path | None = None) -> pd.DataFrame:
    """The Europarl table: one row per target language × aligner × projection method, with the paper's F1.

    ``paper_f1`` is the paper's run of the same method (``paper_variant``); ``paper_<method>_simalign`` and
    ``paper_<method>_awesome`` give the paper's same projection method on mBERT with either aligner.
    """
    sub = study[study["pipeline"] == "intrinsic"].copy()
    methods = {m: load_method(m, params_dir) for m in sub["method"].unique()}
    sub["aligner"] = sub["method"].map(lambda m: methods[m].get("aligner"))
    sub["projection"] = sub["method"].map(lambda m: _projection_name(methods[m].get("projection", {})))
    paper_f1 = paper.set_index(["lang", "variant"])["f1"]
    sub["paper_f1"] = [paper_f1.get((lang, v), np.nan) if isinstance(v, str) else np.nan
                       for lang, v in zip(sub["lang"], sub["paper_variant"])]
    for aligner in ("simalign", "awesome"):
        sub[f"paper_mbert_{aligner}_f1"] = [
            paper_f1.get((lang, PAPER_PROJECTIONS[p].format(aligner=aligner)), np.nan) if p in PAPER_PROJECTIONS
            else np.nan for lang, p in zip(sub["lang"], sub["projection"])]
    sub["paper_model_transfer_f1"] = sub["lang"].map(lambda lang: paper_f1.get((lang, "mt"), np.nan))
    cols = ["lang", "aligner", "projection", "method", "f1", "precision", "recall", "paper_variant", "paper_f1",
            "paper_mbert_simalign_f1", "paper_mbert_awesome_f1", "paper_model_transfer_f1"]
    return (sub[cols].rename(columns={"method": "xproj_method"}).rename(columns={"projection": "method"})
            .sort_values(["lang", "aligner", "method"]).reset_index(drop=True).round(4))


# xproj projection method -> the paper's variant of the same method ({aligner} = simalign or awesome)
PAPER_PROJECTIONS = {"heuristic": "align_src_{aligner}", "ngram-greedy": "cand_{aligner}_dummy"}


# (dataset, pipeline) -> the per-run table the issues name
RUN_TABLES = {("masakhaner2", "transfer"): "masakhaner2_offline", ("wikiann", "transfer"): "panx_offline"}


def runs_table(results_dir: Path, dataset: str, pipeline: str, paper: pd.DataFrame) -> pd.DataFrame:
    """One row per ok record (every seed), with runtime, notes and the paper's translate-test numbers as context."""
    records = [r for r in latest_records(read_records(results_dir / "records"))
               if r.dataset == dataset and r.config.get("pipeline") == pipeline and r.status == "ok"]
    rows = [{"lang": r.language, "method": r.method, "seed": r.seed, "f1": r.metrics["f1"],
             "precision": r.metrics["precision"], "recall": r.metrics["recall"],
             "proj_ratio": r.metrics.get("proj_ratio"), "n_sentences": r.metrics.get("n_sentences"),
             "runtime_s": round(sum(r.timings.values()), 1), "config_hash": r.config_hash, "notes": r.notes}
            for r in records]
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    if not paper.empty:
        wide = paper.pivot_table(index="lang", columns="variant", values="f1")
        table["paper_tt_model_transfer"] = table["lang"].map(wide["mt"]) if "mt" in wide else np.nan
        projection = wide.drop(columns=["mt"], errors="ignore")
        table["paper_tt_best_projection"] = table["lang"].map(projection.max(axis=1))
        table["paper_tt_best_variant"] = table["lang"].map(projection.idxmax(axis=1))
    return table.sort_values(["lang", "method", "seed"], na_position="first").round(4)


def human_profiles(frame: pd.DataFrame, params_dir: Path | None = None) -> set[str]:
    """The profiles in ``frame`` (column ``profile``) whose translator is MAFAND's human translations."""
    from .human_translation import is_human
    from .study import load_profile

    if frame.empty or "profile" not in frame:
        return set()
    return {p for p in frame["profile"].dropna().unique()
            if is_human(load_profile(p, params_dir).models.get("translator"))}


def translate_test_human_table(results_dir: Path, paper: pd.DataFrame, params_dir: Path | None = None) -> pd.DataFrame:
    """Translate-test with MAFAND's human English translations (profile offline-tt-human): one row per (language,
    method), scored on the test sentences that have a translation, beside the paper's NLLB translate-test F1 of
    the same language and method (``paper_variant`` of the method file; other sentences, machine translation)."""
    records = [r for r in latest_records(read_records(results_dir / "records"))
               if r.status == "ok" and r.config.get("pipeline") == "translate_test"
               and "translation_source" in r.metrics]
    wide = paper.pivot_table(index="lang", columns="variant", values="f1") if not paper.empty else pd.DataFrame()
    rows = []
    for r in records:
        method = r.config["method_params"]
        variant = load_method(r.method, params_dir).get("paper_variant")
        paper_f1 = wide.at[r.language, variant] if variant in wide and r.language in wide.index else np.nan
        rows.append({"lang": r.language, "method": r.method, "kind": method.get("kind"),
                     "aligner": method.get("aligner", "none"), "f1": r.metrics["f1"],
                     "precision": r.metrics["precision"], "recall": r.metrics["recall"],
                     "n_sentences": r.metrics["test_sentences_translated"],
                     "n_test_sentences": r.metrics["test_sentences_total"], "paper_variant": variant,
                     "paper_f1_nllb": paper_f1})
    table = pd.DataFrame(rows)
    return table.sort_values(["lang", "method"]).round(4) if not table.empty else table


def translate_test_human_findings(table: pd.DataFrame) -> str:
    """What the human-translation translate-test shows, in words computed from its table (Markdown)."""
    if table.empty:
        return "No translate-test record with human translations yet (`xproj study run --profile offline-tt-human`)."
    mt = table[table["kind"] == "model_transfer"].set_index("lang")["f1"]
    proj = table[table["kind"] == "projection"]
    by_method = proj.groupby("method")["f1"].mean().sort_values(ascending=False)
    best = proj.loc[proj.groupby("lang")["f1"].idxmax()].set_index("lang")
    paired = proj.dropna(subset=["paper_f1_nllb"])
    gap = (paired["f1"] - paired["paper_f1_nllb"])
    lines = [f"Languages: {', '.join(f'{l} ({n} sentences)' for l, n in table.groupby('lang')['n_sentences'].max().items())}; "
             f"{proj['method'].nunique()} projection methods and model transfer, each on the same sentences.",
             f"- Best projection method on average: `{by_method.index[0]}` (mean F1 {by_method.iloc[0]:.3f}); "
             f"model transfer on the same sentences: mean F1 {mt.mean():.3f}.",
             "- Best method per language: " + "; ".join(
                 f"{l}: `{b.method}` {b.f1:.3f} vs model transfer {mt.get(l, float('nan')):.3f}" for l, b in best.iterrows()) + "."]
    if len(paired):
        lines.append(f"- Against the paper's NLLB translate-test F1 for the same language and method ({len(paired)} pairs, "
                     f"{paired['lang'].nunique()} languages; other sentences and MT, XLM-R-large tagger): human "
                     f"translation with the offline models is {gap.mean():+.3f} F1 on average (higher in "
                     f"{int((gap > 0).sum())}, lower in {int((gap < 0).sum())}).")
    ensembles = table[table["kind"] == "ensemble"]
    if len(ensembles):  # each against model transfer and translate-test align-src with the same aligner
        single = proj.set_index(["lang", "aligner"]).query("method.str.startswith('tt-align-src-')")["f1"]
        pairs = ensembles.assign(mt=ensembles["lang"].map(mt),
                                 tt=[single.get((l, a), np.nan) for l, a in zip(ensembles.lang, ensembles.aligner)])
        lines.append(f"- Translate-test + model transfer ensemble (word probabilities averaged; {len(pairs)} runs, "
                     f"{pairs['aligner'].nunique()} aligners): mean F1 {pairs['f1'].mean():.3f}, "
                     f"{(pairs['f1'] - pairs['mt']).mean():+.3f} over model transfer (above it in "
                     f"{int((pairs['f1'] > pairs['mt']).sum())} of {len(pairs)}) and "
                     f"{(pairs['f1'] - pairs['tt']).mean():+.3f} over translate-test align-src with the same aligner "
                     f"(above it in {int((pairs['f1'] > pairs['tt']).sum())} of {int(pairs['tt'].notna().sum())}).")
    return "\n".join(lines)


def _projection_name(cfg: dict) -> str:
    if cfg.get("name") == "candidates":
        return f"{cfg.get('candidates', 'ngram')}-{cfg.get('matcher', 'greedy')}"
    return cfg.get("name", "none")


def write_report(results_dir: Path, params_dir: Path | None = None) -> dict[str, list[Path]]:
    """Write every table and figure of the study under ``results/tables`` and ``results/figures``."""
    from .paper import paper_results

    from .sweep import drop_sweep, write_sweep

    # the adversarial sweep's records have tables of their own (xproj_lib.sweep); the study's stay as they were
    study = drop_sweep(load_study(results_dir, params_dir), params_dir)
    runs = drop_sweep(records_frame(latest_records(read_records(results_dir / "records"))), params_dir)
    out: dict[str, list[Path]] = write_sweep(results_dir, params_dir)
    # translate-test with human translations has a table of its own (translate_test_human_table)
    human = human_profiles(runs, params_dir)
    if human:
        study, runs = study[~study["profile"].isin(human)], runs[~runs["profile"].isin(human)]
    if study.empty:
        log.warning("no result records under %s", results_dir / "records")
        return out
    tables, figures = results_dir / "tables", results_dir / "figures"
    for dataset in sorted(study["dataset"].unique()):
        try:
            paper = paper_results(dataset)
        except KeyError:
            paper = pd.DataFrame(columns=["lang", "variant", "f1"])
        out[f"{dataset}: F1 table"] = write_table(
            f1_table(study, dataset, paper), tables / f"{dataset}_f1",
            _caption(study, dataset, "F1 per language and method (mean over seeds); paper columns for reference"))
        seeded = seeds_table(study, dataset)
        if not seeded.empty:
            out[f"{dataset}: seeds"] = write_table(seeded, tables / f"{dataset}_seeds", _caption(
                study, dataset, "Methods trained over several seeds: F1 mean and std over seeds, and the mean's "
                                "gain over model transfer"))
            out[f"{dataset}: seeds summary"] = write_table(seeds_summary(seeded), tables / f"{dataset}_seeds_summary", _caption(
                study, dataset, "Methods trained over several seeds, across the languages of the seeds table: mean F1, "
                                "mean seed std, mean gain over model transfer, languages where the seed mean beats it"))
        gains = paired_gains(runs, dataset, params_dir)
        if not gains.empty:
            what = "F1 gain of each method over each method it adds to (its baselines), paired by language and seed"
            out[f"{dataset}: paired gains"] = write_table(gains, tables / f"{dataset}_gains", _caption(
                study, dataset, f"{what}: pairs, mean, min and max"))
            syntactic = _by_language(study, dataset)["syntactic"]
            out[f"{dataset}: paired gains summary"] = write_table(
                gains_summary(gains, syntactic), tables / f"{dataset}_gains_summary",
                _caption(study, dataset, f"{what}, across languages: mean of the per-language means, languages above "
                                         "and below 0, Wilcoxon signed-rank p over languages, and Spearman's rho of "
                                         "the gain against URIEL syntactic distance from English over the languages "
                                         "of known distance, with its p (both from 6 languages on); q: "
                                         "Benjamini-Hochberg q-value of each p over the rows of this table"))
            out[f"{dataset}: paired gains by distance"] = plot_paired_gains(
                gains, study, dataset, figures / f"{dataset}_gains_by_distance",
                _caption(study, dataset, f"{what}; languages by URIEL syntactic distance from English"))
        out[f"{dataset}: F1 by distance"] = plot_f1_by_distance(
            study, dataset, figures / f"{dataset}_f1_by_distance", _caption(study, dataset, "F1 by method"))
        out[f"{dataset}: gain vs distance"] = plot_gain_vs_distance(
            study, dataset, figures / f"{dataset}_gain_vs_distance",
            _caption(study, dataset, "Gain of the best projection method over model transfer"))
        out[f"{dataset}: heat map"] = plot_heatmap(
            study, dataset, figures / f"{dataset}_heatmap", _caption(study, dataset, "F1 heat map"))
        for pipeline in sorted(study.loc[study["dataset"] == dataset, "pipeline"].dropna().unique()):
            name = RUN_TABLES.get((dataset, pipeline))
            if name:
                path = tables / f"{name}.csv"
                drop_sweep(runs_table(results_dir, dataset, pipeline, paper), params_dir).to_csv(path, index=False)
                out[f"{dataset}: every run ({pipeline})"] = [path]
        if dataset == "masakhaner2":
            human = translate_test_human_table(results_dir, paper, params_dir)
            if not human.empty:
                path = tables / "masakhaner2_translate_test_human.csv"
                human.to_csv(path, index=False)
                out["masakhaner2: translate-test with human translations"] = [path]
        if dataset == "europarl_ner":
            table = intrinsic_table(study, paper, params_dir)
            path = tables / "europarl_intrinsic.csv"
            table.to_csv(path, index=False)
            out["europarl intrinsic table"] = [path]
    return out
