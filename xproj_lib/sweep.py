"""The adversarial-alignment sweep (issue 29): its method files, its table, its label-free selection, its figures.

The grid lives in ``params/sweeps/adversarial.yaml``: two families (adversarial alignment only; translate-train +
adversarial), λ_max over a range at the first discriminator setting, and one-factor variants of the discriminator
(token-level input, capacity, k updates per encoder step, the layer it reads). ``python -m xproj_lib.sweep
methods`` writes one method file per (family, setting) and one per label-free reference (``probe-<method>``:
the method itself, probed), all with ``probe: true``, so every cell records the held-out language-probe accuracy
and the English dev F1 (:func:`xproj_lib.pipelines.transfer.label_free_checks`). A cell stays one (language,
setting, seed) with its own record and rendered notebook; profile ``offline-adv-sweep`` plans them.

:func:`write_sweep` (called by the report) writes ``results/tables/masakhaner2_adversarial_sweep.csv`` (one row
per record of a sweep setting, a reference, or the first adversarial methods), the setting × language summary,
the paired gains with Wilcoxon p, BH q and Spearman ρ against URIEL syntactic distance, the selection rule's
choice per family, and the figures probe accuracy vs λ_max and F1 vs probe accuracy. Sweep records are kept out of
the study's main tables (:func:`drop_sweep`), so they change none of its numbers or q-values.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .adversarial import AdversarialConfig
from .languages import params_root

log = logging.getLogger(__name__)

GRID_FILE = Path("sweeps") / "adversarial.yaml"
DATASET = "masakhaner2"
TABLE = "masakhaner2_adversarial_sweep"
# the first adversarial methods: the base setting at λ_max 0.1, recorded before the probe existed
FIRST_METHODS = {"adversarial-e5": "adv-only", "proj-greedy-eflomal-e5adv": "tt-adv"}
REFERENCE_PREFIX = "probe-"
GENERATED = "# written by `python -m xproj_lib.sweep methods` from params/sweeps/adversarial.yaml; do not edit\n"
DISCRIMINATOR_NAMES = {"mean": "sentence", "cls": "sentence-cls", "token": "token", "first-subword": "first-subword"}


def load_grid(params_dir: Path | str | None = None) -> dict[str, Any]:
    """The sweep's grid file."""
    return yaml.safe_load((params_root(params_dir) / GRID_FILE).read_text(encoding="utf-8"))


def _lam(value: float) -> str:
    return f"{value:g}"


def settings(grid: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(setting name, adversarial overrides) in plan order: the λ sweep at the base, then each variant at each of
    ``variant_lambdas``; the overrides name λ_max and only the fields that differ from the base."""
    out = [(f"l{_lam(lam)}", {"lambda_max": lam}) for lam in grid["lambdas"]]
    for variant, change in grid["variants"].items():
        out += [(f"l{_lam(lam)}-{variant}", {"lambda_max": lam, **change}) for lam in grid["variant_lambdas"]]
    return out


def method_files(grid: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every method file of the sweep, by name: ``<family>-<setting>`` and ``probe-<reference>``."""
    from .study import load_method

    files = {}
    for family, spec in grid["families"].items():
        for setting, overrides in settings(grid):
            words = ", ".join(f"{k} {v}" for k, v in overrides.items())
            files[f"{family}-{setting}"] = {
                "label": f"{spec['label']} ({words})", **spec["method"], "adversarial": overrides,
                "probe": True, "sweep": {"family": family, "setting": setting}, "seeded": True,
                "baselines": spec["baselines"]}
    for name in grid["references"]:
        method = load_method(name)
        files[f"{REFERENCE_PREFIX}{name}"] = {
            **method, "label": f"{method.get('label', name)}, language-probed", "probe": True,
            "sweep": {"family": "reference", "setting": name}, "baselines": []}
    return files


def write_method_files(params_dir: Path | str | None = None) -> list[Path]:
    """Write the sweep's method files into ``params/methods`` (unchanged files are left alone)."""
    grid = load_grid(params_dir)
    paths = []
    for name, method in method_files(grid).items():
        path = params_root(params_dir) / "methods" / f"{name}.yaml"
        text = GENERATED + yaml.safe_dump(method, sort_keys=False, allow_unicode=True, width=110)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def is_sweep_method(name: str, params_dir: Path | str | None = None) -> bool:
    """Whether a method belongs to the sweep (its method file has a ``sweep`` block)."""
    from .study import load_method

    try:
        return "sweep" in load_method(name, params_dir)
    except (FileNotFoundError, ValueError):
        return False


def drop_sweep(frame: pd.DataFrame, params_dir: Path | str | None = None) -> pd.DataFrame:
    """``frame`` without the rows of sweep methods (column ``method``), for the study's main tables."""
    if frame.empty or "method" not in frame:
        return frame
    sweep = {m for m in frame["method"].unique() if is_sweep_method(m, params_dir)}
    return frame[~frame["method"].isin(sweep)]


def _setting_of(record: Any, params_dir: Path | str | None) -> dict[str, Any] | None:
    """A record's family and discriminator setting, from its own configuration; None outside the sweep."""
    from .pipelines.components import adversarial_settings

    method = record.config.get("method_params", {})
    sweep = method.get("sweep")
    family = sweep["family"] if sweep else FIRST_METHODS.get(record.method)
    if family is None:
        return None
    if family == "reference":
        return {"family": "reference", "setting": sweep["setting"], "lambda": 0.0, "discriminator": "none",
                "hidden_size": np.nan, "disc_layers": np.nan, "k": np.nan, "layer": "none"}
    adv: AdversarialConfig | None = adversarial_settings(record.config.get("models", {}), method)
    if adv is None:  # a record without its tagger's configuration: its setting is unknown
        return None
    return {"family": family, "setting": sweep["setting"] if sweep else f"l{_lam(adv.lambda_max)}",
            "lambda": adv.lambda_max, "discriminator": DISCRIMINATOR_NAMES[adv.pooling],
            "hidden_size": adv.hidden_size, "disc_layers": adv.layers, "k": adv.disc_steps,
            "layer": "last" if adv.layer is None else str(adv.layer)}


def sweep_table(results_dir: Path, params_dir: Path | str | None = None) -> pd.DataFrame:
    """One row per ok MasakhaNER2 record of a sweep setting, a reference or a first adversarial method: lang,
    method, family, setting, lambda, discriminator, hidden_size, disc_layers, k, layer, seed, f1, english_dev_f1,
    probe_accuracy (held-out, last layer; NaN where the record has no probe), probe_accuracy_at_layer (the
    discriminator's layer, where it read another one), train_disc_accuracy (the training discriminator's accuracy
    at the last dev evaluation, NaN without one), minutes, and the digest of the source-model weights the cell
    started from (None in records made before the probe)."""
    from .records import latest_records, read_records

    rows = []
    for record in latest_records(read_records(results_dir / "records")):
        if record.dataset != DATASET or record.status != "ok":
            continue
        setting = _setting_of(record, params_dir)
        if setting is None:
            continue
        probe = record.metrics.get("language_probe") or {}
        rows.append({"lang": record.language, "method": record.method, **setting, "seed": record.seed,
                     "f1": record.metrics["f1"], "english_dev_f1": record.metrics.get("english_dev_f1", np.nan),
                     "probe_accuracy": probe.get("accuracy", np.nan),
                     "probe_accuracy_at_layer": probe.get("accuracy_at_layer", np.nan),
                     "train_disc_accuracy": _train_disc_accuracy(record),
                     "minutes": sum(record.timings.values()) / 60,
                     "source_model_weights": record.metrics.get("source_model_weights")})
    columns = ["lang", "method", "family", "setting", "lambda", "discriminator", "hidden_size", "disc_layers", "k",
               "layer", "seed", "f1", "english_dev_f1", "probe_accuracy", "probe_accuracy_at_layer",
               "train_disc_accuracy", "minutes", "source_model_weights"]
    table = pd.DataFrame(rows, columns=columns)
    for column in ("seed", "hidden_size", "disc_layers", "k"):  # integers, missing for the untrained references
        table[column] = pd.to_numeric(table[column]).astype("Int64")
    return table.sort_values(["family", "lambda", "setting", "lang", "seed"], na_position="first",
                             ignore_index=True).round(4)


def _train_disc_accuracy(record: Any) -> float:
    """The accuracy of the discriminator inside training (on its own batch, behind the GRL) at the last dev
    evaluation: near 0.5 where it is fooled; far below 0.5 where the encoder flips its decisions instead of
    removing the signal."""
    curve = (record.metrics.get("target_model") or {}).get("dev_curve") or []
    return float(curve[-1]["disc_acc"]) if curve and "disc_acc" in curve[-1] else np.nan


def sweep_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Setting × language × source-model weights: F1 mean ± sd over seeds, English dev F1 and probe accuracy
    (means), seeds."""
    keys = ["family", "method", "setting", "lambda", "discriminator", "k", "layer", "lang", "source_model_weights"]
    grouped = table.groupby(keys, dropna=False, sort=False)
    return grouped.agg(n_seeds=("f1", "size"), f1=("f1", "mean"), f1_sd=("f1", "std"),
                       english_dev_f1=("english_dev_f1", "mean"), probe_accuracy=("probe_accuracy", "mean")).round(4)


def select_settings(table: pd.DataFrame, grid: dict[str, Any]) -> pd.DataFrame:
    """The selection rule of the grid file, per family, on the stage-1 languages and seeds present in ``table``.

    Per (family, setting): mean English dev F1 and probe accuracy over the (language, seed) cells it has that its
    reference has too (references matched by language, and by seed where the reference is seeded), and the
    reference's mean over the same cells. Eligible: English dev F1 at most ``tolerance`` below the reference's;
    selected: the eligible setting with the lowest probe accuracy (ties: smaller λ_max). ``complete`` says whether
    the setting has every stage-1 cell; a choice among incomplete settings is provisional."""
    rule = grid["selection"]
    langs, seeds = set(grid["languages"]), set(grid["seeds"])
    if "source_model_weights" in table:  # one source model: probed cells on other weights neither select nor count
        common = _common_weights(table.loc[table["probe_accuracy"].notna(), "source_model_weights"])
        table = table[table["source_model_weights"] == common] if common else table
    stage = table[table["lang"].isin(langs)]
    refs = stage[stage["family"] == "reference"]
    rows = []
    for family, spec in grid["families"].items():
        ref = refs[refs["setting"] == spec["reference"]]
        ref_dev = {(r.lang, r.seed): r.english_dev_f1 for r in ref.itertuples()}
        ref_dev_any = ref.groupby("lang")["english_dev_f1"].mean().to_dict()
        for setting, cells in stage[stage["family"] == family].groupby("setting", sort=False):
            cells = cells.dropna(subset=["english_dev_f1", "probe_accuracy"])
            base = [ref_dev.get((r.lang, r.seed), ref_dev_any.get(r.lang, np.nan)) for r in cells.itertuples()]
            matched = cells[~np.isnan(np.asarray(base, dtype=float))]
            base = np.asarray([b for b in base if not np.isnan(b)], dtype=float)
            if matched.empty:
                continue
            dev, ref_mean = matched["english_dev_f1"].mean(), float(base.mean())
            rows.append({"family": family, "setting": setting, "lambda": matched["lambda"].iloc[0],
                         "n_cells": len(matched), "complete": len(matched) == len(langs) * len(seeds),
                         "english_dev_f1": dev, "reference_english_dev_f1": ref_mean,
                         "eligible": dev >= ref_mean - rule["tolerance"],
                         "probe_accuracy": matched["probe_accuracy"].mean(), "f1": matched["f1"].mean()})
    frame = pd.DataFrame(rows, columns=["family", "setting", "lambda", "n_cells", "complete", "english_dev_f1",
                                        "reference_english_dev_f1", "eligible", "probe_accuracy", "f1"])
    frame["selected"] = False
    if frame.empty:
        return frame
    for family, group in frame[frame["eligible"].astype(bool)].groupby("family"):
        best = group.sort_values(["probe_accuracy", "lambda"]).index[0]
        frame.loc[best, "selected"] = True
    return frame.round(4)


def sweep_gains(results_dir: Path, params_dir: Path | str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Paired gains of the sweep's settings over their baselines (:func:`xproj_lib.report.paired_gains`) and
    their summary across languages (Wilcoxon p, BH q over the sweep's rows, Spearman ρ against URIEL syntactic
    distance), as the report computes them for the study's methods."""
    from .records import latest_records, read_records, records_frame
    from .report import gains_summary, paired_gains
    from .typology import table_path

    records = latest_records(read_records(results_dir / "records"))
    weights = _common_weights(pd.Series([r.metrics.get("source_model_weights") for r in records
                                         if r.status == "ok" and r.metrics.get("language_probe")]))
    runs = records_frame([r for r in records if r.metrics.get("source_model_weights") == weights])
    if runs.empty:
        return pd.DataFrame(), pd.DataFrame()
    sweep = {m for m in runs["method"].unique()
             if is_sweep_method(m, params_dir) and not m.startswith(REFERENCE_PREFIX)}
    bases = {b for m in sweep for b in _baselines(m, params_dir)}
    gains = paired_gains(runs[runs["method"].isin(sweep | bases)], DATASET, params_dir)
    gains = gains[gains.index.get_level_values("method").isin(sweep)]
    if gains.empty:
        return gains, pd.DataFrame()
    from .languages import all_languages

    iso = {lang.datasets[DATASET]: lang.iso639_3 for lang in all_languages(params_root(params_dir)).values()
           if DATASET in lang.datasets}
    distance = pd.read_csv(table_path(params_dir)).set_index("iso639_3")["syntactic"]
    return gains, gains_summary(gains, pd.Series({code: distance.get(i, np.nan) for code, i in iso.items()}))


def _common_weights(probed: pd.Series) -> str | None:
    """The source-model weights most of the probed records start from (``probed``: their weights): the sweep
    selects and pairs only records built on them (the same cache key holds other weights on another kind of CPU),
    and leaves the others out, logged."""
    seen = probed.dropna()
    if seen.empty:
        return None
    common = seen.value_counts().index[0]
    if (seen != common).any():
        log.warning("sweep: %d probed records start from other source-model weights than %s; left out",
                    int((seen != common).sum()), common)
    return common


def _baselines(method: str, params_dir: Path | str | None) -> list[str]:
    from .study import load_method

    return list(load_method(method, params_dir).get("baselines", []))


def plot_probe_vs_lambda(table: pd.DataFrame, stem: Path, caption: str, chance: float) -> list[Path]:
    """Held-out probe accuracy against λ_max (log scale), one panel per family: a line per language through the
    base setting's seed means, variants as other markers; references at the left edge."""
    import matplotlib.pyplot as plt

    from .report import _save

    families = [f for f in ("adv-only", "tt-adv") if f in set(table["family"])]
    fig, axes = plt.subplots(1, max(1, len(families)), figsize=(5.5 * max(1, len(families)), 4.2), squeeze=False)
    probed = table.dropna(subset=["probe_accuracy"])
    langs = sorted(probed["lang"].unique())
    colours = dict(zip(langs, plt.get_cmap("tab10")(np.arange(len(langs)) % 10)))
    markers = {"sentence": "o", "token": "s", "first-subword": "D"}
    for ax, family in zip(axes[0], families):
        sub = probed[probed["family"] == family]
        for lang in langs:
            base = sub[(sub["lang"] == lang) & sub["setting"].astype(str).str.fullmatch(r"l[\d.]+")]
            mean = base.groupby("lambda")["probe_accuracy"].mean()
            if not mean.empty:
                ax.plot(mean.index, mean.values, "-o", color=colours[lang], ms=4)
            other = sub[(sub["lang"] == lang) & ~sub.index.isin(base.index)]
            for (_, disc), grp in other.groupby(["setting", "discriminator"]):
                ax.scatter(grp["lambda"], grp["probe_accuracy"], marker=markers.get(disc, "^"), color=colours[lang],
                           facecolors="none", s=28)
        ref = probed[probed["family"] == "reference"]
        left = 0.005  # the references' x, left of the grid's λ_max
        for lang in langs:
            r = ref[ref["lang"] == lang]
            if not r.empty:
                ax.scatter([left] * len(r), r["probe_accuracy"], marker="x", color=colours[lang], s=24)
        for lang in langs:  # one legend entry per language, whatever it has so far
            ax.plot([], [], "-o", color=colours[lang], label=lang, ms=4)
        ax.axhline(0.5, color="grey", lw=0.8, ls=":")
        ax.axhline(chance, color="grey", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_xlim(0.003, 1.6)
        ax.set_ylim(0.45, 1.01)
        ax.set_xlabel("λ_max (log; x at the left: non-adversarial references)")
        ax.set_ylabel("held-out language-probe accuracy (chance 0.5)")
        ax.set_title(f"{family}: probe accuracy vs λ_max (line: base setting; hollow: variants)", fontsize=9)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    return _save(fig, stem, caption)


def plot_f1_vs_probe(table: pd.DataFrame, stem: Path, caption: str, chance: float) -> list[Path]:
    """Test F1 against held-out probe accuracy, one point per probed cell (colour: language, marker: family)."""
    import matplotlib.pyplot as plt

    from .report import _save

    probed = table.dropna(subset=["probe_accuracy"])
    langs = sorted(probed["lang"].unique())
    colours = dict(zip(langs, plt.get_cmap("tab10")(np.arange(len(langs)) % 10)))
    markers = {"adv-only": "o", "tt-adv": "s", "reference": "x"}
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for (lang, family), grp in probed.groupby(["lang", "family"]):
        ax.scatter(grp["probe_accuracy"], grp["f1"], color=colours[lang], marker=markers.get(family, "^"),
                   label=f"{lang} {family}", s=26)
    ax.axvline(chance, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("held-out language-probe accuracy (chance 0.5; dashed: 'near chance' bound)")
    ax.set_ylabel("MasakhaNER2 test F1")
    ax.set_title("F1 vs language-probe accuracy, one point per cell", fontsize=9)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return _save(fig, stem, caption)


def write_sweep(results_dir: Path, params_dir: Path | str | None = None) -> dict[str, list[Path]]:
    """Write the sweep's tables and figures (nothing when no sweep record exists)."""
    from .report import write_table

    table = sweep_table(results_dir, params_dir)
    if not (table["family"] == "reference").any() and not table["method"].map(
            lambda m: is_sweep_method(m, params_dir)).any():
        return {}
    grid = load_grid(params_dir)
    chance = grid["selection"]["chance_level"]
    tables, figures = results_dir / "tables", results_dir / "figures"
    tables.mkdir(parents=True, exist_ok=True)
    path = tables / f"{TABLE}.csv"
    table.to_csv(path, index=False)
    what = ("Adversarial-alignment sweep (issue 29), MasakhaNER2 test F1 with DATE ignored; probe: held-out accuracy "
            "of a fresh language discriminator on the frozen model (chance 0.5); English dev: CoNLL dev PER/ORG/LOC")
    out = {"adversarial sweep: every run": [path]}
    out["adversarial sweep: setting x language"] = write_table(
        sweep_summary(table), tables / f"{TABLE}_summary", f"{what}: F1 mean and sd over seeds per setting and language")
    out["adversarial sweep: selection"] = write_table(
        select_settings(table, grid).set_index(["family", "setting"]), tables / f"{TABLE}_selection",
        f"{what}. Selection (label-free): {grid['selection']['rule']} Tolerance {grid['selection']['tolerance']}.")
    gains, summary = sweep_gains(results_dir, params_dir)
    if not gains.empty:
        out["adversarial sweep: gains"] = write_table(gains, tables / f"{TABLE}_gains",
                                                      f"{what}: paired F1 gains over each setting's baselines")
        out["adversarial sweep: gains summary"] = write_table(
            summary, tables / f"{TABLE}_gains_summary",
            f"{what}: gains across languages, Wilcoxon p and Spearman rho against URIEL syntactic distance (from 6 "
            "languages on), BH q over this table's rows")
    out["adversarial sweep: probe vs lambda"] = plot_probe_vs_lambda(
        table, figures / f"{TABLE}_probe_vs_lambda", f"{what}. Probe accuracy against lambda_max.", chance)
    out["adversarial sweep: F1 vs probe"] = plot_f1_vs_probe(
        table, figures / f"{TABLE}_f1_vs_probe", f"{what}. Test F1 against probe accuracy.", chance)
    return out


def sweep_progress(results_dir: Path, params_dir: Path | str | None = None,
                   table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cells planned, done and left, from the plan and the records (nothing hard-coded): stage 1 per family (the
    grid's profile: every setting and reference on the stage-1 languages and seeds); stage 2 per family, the
    selected setting and the family's baselines on the other MasakhaNER2 languages (the selected setting's cells
    are counted, not named, until stage 1 is complete and the selection final). ``todo_cpu_hours``: the left
    cells at the median recorded minutes of the same family's (the same reference's) done cells, NaN without."""
    from .languages import all_languages
    from .study import expand_cells, is_done

    grid = load_grid(params_dir)
    results_dir = Path(results_dir)
    table = sweep_table(results_dir, params_dir) if table is None else table
    profile = grid["profile"]

    def family_of(method: str) -> str:
        sweep = _method(method, params_dir).get("sweep", {})
        return method if sweep.get("family") == "reference" else sweep.get("family", method)

    minutes = table.assign(group=[m if f == "reference" else f for m, f in zip(table["method"], table["family"])]
                           ).groupby("group")["minutes"].median()
    rows = []

    def add(stage: str, group: str, what: str, cells: int, done: int) -> None:
        left = cells - done
        rows.append({"stage": stage, "group": group, "what": what, "cells": cells, "done": done, "todo": left,
                     "todo_cpu_hours": left * minutes.get(group, np.nan) / 60 if left else 0.0})

    stage1 = pd.DataFrame([(family_of(c.method), is_done(c, results_dir))
                           for c in expand_cells(profile, datasets=[DATASET], params_dir=params_dir)],
                          columns=["group", "done"])
    n_settings = len(settings(grid))
    for group, cells in stage1.groupby("group", sort=False):
        what = (f"{n_settings} settings x {len(grid['languages'])} languages x {len(grid['seeds'])} seeds"
                if group in grid["families"] else f"reference on {len(grid['languages'])} languages")
        add("1", group, what, len(cells), int(cells["done"].sum()))
    others = sorted(lang.datasets[DATASET] for lang in all_languages(params_root(params_dir)).values()
                    if DATASET in lang.datasets and lang.datasets[DATASET] not in grid["languages"])
    if not others:
        return pd.DataFrame(rows)
    chosen = select_settings(table, grid)
    for family, spec in grid["families"].items():
        mine = chosen[chosen["family"] == family]
        picked = mine[mine["selected"]]
        final = not picked.empty and bool(mine["complete"].all()) and len(mine) == n_settings
        if final:
            method = f"{family}-{picked['setting'].iloc[0]}"
            cells = expand_cells(profile, datasets=[DATASET], languages=others, methods=[method],
                                 params_dir=params_dir)
            add("2", family, f"{method} on {len(others)} more languages", len(cells),
                sum(is_done(c, results_dir) for c in cells))
        else:
            add("2", family, f"the selected setting (not final yet) on {len(others)} more languages",
                len(others) * len(grid["seeds"]), 0)
    references = list(dict.fromkeys(b for spec in grid["families"].values() for b in spec["baselines"]))
    for method in references:
        cells = expand_cells(profile, datasets=[DATASET], languages=others, methods=[method], params_dir=params_dir)
        add("2", method, f"reference on {len(others)} more languages", len(cells),
            sum(is_done(c, results_dir) for c in cells))
    return pd.DataFrame(rows)


def _method(name: str, params_dir: Path | str | None) -> dict[str, Any]:
    from .study import load_method

    return load_method(name, params_dir)


def _seeds(values: pd.Series) -> str:
    seeds = sorted(int(v) for v in values.dropna())
    return ",".join(map(str, seeds)) if seeds else "-"


def sweep_findings(results_dir: Path, params_dir: Path | str | None = None) -> str:
    """What the sweep shows so far, in Markdown, computed from its records and its plan (for the report): the
    settings run and where, their probe accuracy and F1, whether any brings the probe near chance and its F1
    there, the selection as it stands, and the stage-1 and stage-2 cells left."""
    results_dir = Path(results_dir)
    table = sweep_table(results_dir, params_dir)
    grid = load_grid(params_dir)
    chance = grid["selection"]["chance_level"]
    probed = table.dropna(subset=["probe_accuracy"])
    done = probed[probed["family"] != "reference"]
    refs = probed[probed["family"] == "reference"]
    lines = [f"**Adversarial sweep (issue 29), the cells run so far:** {len(done)} probed setting cells and "
             f"{len(refs)} probed reference cells, {probed['minutes'].sum() / 60:.1f} CPU-hours in their records "
             "(sum of recorded timings; the cells shared 2 cores with other work)."]
    if done.empty:
        lines.append("No sweep setting has a probed record yet.")
    else:
        ran = done.groupby(["family", "setting"], sort=False).apply(
            lambda g: ", ".join(f"{lang} (seed {_seeds(c['seed'])})" for lang, c in g.groupby("lang")))
        lines.append("Settings run: " + "; ".join(f"{f} {s}: {where}" for (f, s), where in ran.items()) + ".")
    if not probed.empty:
        keys = ["family", "setting", "lambda", "discriminator", "k", "layer", "lang"]
        by = probed.groupby(keys, dropna=False, sort=False).agg(
            seeds=("seed", _seeds), probe=("probe_accuracy", "mean"), probe_at_layer=("probe_accuracy_at_layer", "mean"),
            train_disc=("train_disc_accuracy", "mean"), dev=("english_dev_f1", "mean"), f1=("f1", "mean"),
            f1_sd=("f1", "std")).reset_index()
        untrained = by["family"] == "reference"  # no discriminator: no λ_max, no k
        by["lambda"] = by["lambda"].map("{:g}".format).where(~untrained, "–")
        by["k"] = by["k"].astype(object).where(~untrained, "–")
        by["order"] = by["family"].map({"reference": 0}).fillna(1)
        by = by.sort_values(["lang", "order", "family", "lambda", "setting"]).drop(columns="order")
        by.columns = ["family", "setting", "λ_max", "discriminator", "k", "layer", "lang", "seeds",
                      "probe accuracy", "probe at its layer", "discriminator in training", "English dev F1",
                      "test F1 (mean)", "test F1 sd"]
        lines += ["", by.to_markdown(index=False, floatfmt=".3f").replace("nan", "–"), "",
                  "(probe accuracy: a fresh discriminator on the frozen model's mean-pooled last hidden states, "
                  "MAFAND transfer text, 240 of 1,200 sentences held out, chance 0.5; 'discriminator in training': "
                  "the training discriminator's own accuracy at the last dev evaluation; means over the seeds.)"]
    if not done.empty:
        near = done[done["probe_accuracy"] <= chance]
        low = done.loc[done["probe_accuracy"].idxmin()]
        ref_f1 = refs[(refs["lang"] == low["lang"]) & (refs["setting"] == "model-transfer")]["f1"]
        against = f", against model transfer's {ref_f1.mean():.3f} there" if not ref_f1.empty else ""
        if near.empty:
            lines.append(f"\n**Near chance?** No: none of the {len(done)} probed setting cells brings the held-out "
                         f"probe accuracy to ≤ {chance}. The lowest is {low['probe_accuracy']:.3f} ({low['family']} "
                         f"{low['setting']}, {low['lang']} seed {int(low['seed'])}; test F1 {low['f1']:.3f}"
                         f"{against}).")
        else:
            lines.append(f"\n**Near chance?** Yes, in {len(near)} of {len(done)} probed setting cells (≤ {chance}): "
                         + "; ".join(f"{r.family} {r.setting} {r.lang} seed {r.seed}: probe {r.probe_accuracy:.3f}, "
                                     f"test F1 {r.f1:.3f}" for r in near.itertuples()) + ".")
        trained = done.dropna(subset=["train_disc_accuracy"])
        if not trained.empty:
            lines.append(f"Inside training the discriminator ends at accuracy {trained['train_disc_accuracy'].min():.3f}"
                         f"–{trained['train_disc_accuracy'].max():.3f} (chance 0.5), while the fresh probe on the "
                         f"same frozen models reads {trained['probe_accuracy'].min():.3f}–"
                         f"{trained['probe_accuracy'].max():.3f}.")
    chosen = select_settings(table, grid)
    picked = chosen[chosen["selected"]]
    if picked.empty:
        missing = [spec["reference"] for spec in grid["families"].values()
                   if not (refs["setting"] == spec["reference"]).any()]
        lines.append("\n**Selection:** none yet: no setting is eligible"
                     + (f" (the selection rule's references {', '.join(missing)} have no probed record yet)"
                        if missing else "") + ".")
    for row in picked.itertuples():
        state = ("final" if chosen[chosen["family"] == row.family]["complete"].all()
                 else "provisional (stage 1 incomplete)")
        lines.append(f"\n**Selection ({state}):** {row.family} → {row.setting} (probe {row.probe_accuracy:.3f}, "
                     f"English dev F1 {row.english_dev_f1:.3f} vs reference {row.reference_english_dev_f1:.3f}).")
    left = sweep_progress(results_dir, params_dir, table)
    if not left.empty:
        for stage, part in left.groupby("stage"):
            hours = part["todo_cpu_hours"].sum(min_count=1)
            unknown = part[(part["todo"] > 0) & part["todo_cpu_hours"].isna()]["group"].tolist()
            lines.append(f"\n**Stage {stage} left:** {int(part['todo'].sum())} of {int(part['cells'].sum())} cells"
                         + (f", about {hours:.0f} CPU-hours by the done cells' median times" if not np.isnan(hours)
                            else "")
                         + (f" (no time recorded yet for {', '.join(unknown)})" if unknown else "") + ":")
            lines += [f"- {r.group}: {r.what}: {r.done} of {r.cells} done, {r.todo} left" for r in part.itertuples()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["methods"], help="methods: write the sweep's method files")
    parser.add_argument("--params-dir", default=None)
    args = parser.parse_args()
    for path in write_method_files(args.params_dir):
        print(path)


if __name__ == "__main__":
    main()
