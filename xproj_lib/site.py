"""The study's front page, ``results/index.html``, built from the result records and the report's tables.

It states the question, then the answer with its evidence (the paired-gain summary the README quotes, phrased from
its numbers), the key figures, one language × method F1 matrix per (dataset, pipeline) (mean ± seed spread,
colour-scaled, languages grouped by family and ordered by URIEL syntactic distance, each value linking to its
rendered runs), the adversarial sweep's and the human translate-test's findings where they have run, and every run
in a table that filters and sorts in the browser. One static file, relative links only, no CDN: it works from
``file://``.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from .cache import atomic_write_text
from .records import latest_records, read_records, records_frame, run_name
from .render import STYLESHEET, write_stylesheet
from .study import load_method

QUESTION = (
    "Does projection-based data transfer (English NER labels carried across a word alignment to the target "
    "language) beat zero-shot model transfer for low-resource languages, does adding adversarial language "
    "alignment help, and do the gains change with the typological distance of the language from English?")
SIGNIFICANT = 0.05  # Benjamini-Hochberg q below which a difference counts as established
KEY_QUESTIONS = [  # (question, (method, the method it adds to)) in the gains summary
    ("Does projection (translate-train) beat zero-shot model transfer?", ("proj-greedy-eflomal-e5", "model-transfer")),
    ("Does adversarial alignment add to translate-train?", ("proj-greedy-eflomal-e5adv", "proj-greedy-eflomal-e5")),
    ("Does adversarial alignment alone add to the same extra training without it?",
     ("adversarial-e5", "continued-e5")),
    ("Does adversarial alignment alone beat model transfer?", ("adversarial-e5", "model-transfer")),
]
FIGURES = [  # (file stem under figures/, what it shows)
    ("masakhaner2_f1_by_distance", "MasakhaNER2: F1 of every method per language, languages ordered by URIEL "
                                   "syntactic distance from English (bars: seed spread)"),
    ("masakhaner2_gains_by_distance", "MasakhaNER2: each method's paired F1 gain over the method it adds to, per "
                                      "language by distance"),
    ("masakhaner2_gain_vs_distance", "MasakhaNER2: gain of the best projection method over model transfer "
                                     "against each URIEL distance (Spearman's ρ)"),
]
PAGE_CSS = """\
h1 { margin: 0.5rem 0 0.2rem; } .lead { font-size: 1.05em; }
section { margin: 2rem 0; } .question { border-left: 4px solid #0969da; padding: 0.3rem 0.8rem; background: #f1f8ff; }
ul.answer li, dl.answer dd { margin: 0.35rem 0 0.6rem; } dl.answer dt { font-weight: 600; margin-top: 0.6rem; } .verdict-yes { color: #1a7f37; font-weight: 600; }
.verdict-no { color: #6e7781; font-weight: 600; } .verdict-worse { color: #cf222e; font-weight: 600; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #d8dee4; }
figcaption { font-size: 0.9em; color: #57606a; }
.matrix-wrap { overflow-x: auto; } table.matrix { border-collapse: collapse; font-size: 12px; }
table.matrix th, table.matrix td { border: 1px solid #d8dee4; padding: 0.2rem 0.35rem; text-align: center; }
table.matrix th.method { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left;
  font-weight: 600; white-space: nowrap; }
table.matrix td.lang { text-align: left; white-space: nowrap; } table.matrix tr.family th { text-align: left;
  background: #f6f8fa; } .sd { font-size: 0.85em; opacity: 0.8; } .seeds a { font-size: 0.8em; margin: 0 1px; }
table.matrix td a { color: inherit; } table.runs { border-collapse: collapse; font-size: 13px; width: 100%; }
table.runs th, table.runs td { border-bottom: 1px solid #d8dee4; padding: 0.2rem 0.4rem; text-align: left; }
table.runs th { cursor: pointer; background: #f6f8fa; position: sticky; top: 0; }
table.runs td.num { text-align: right; } .filters { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.5rem 0; }
.filters input, .filters select { font: inherit; padding: 0.15rem 0.3rem; } .failed { color: #cf222e; }
"""
SCRIPT = """\
(function () {
  const table = document.getElementById('runs'), rows = Array.from(table.tBodies[0].rows);
  const text = document.getElementById('filter-text'), count = document.getElementById('run-count');
  const selects = Array.from(document.querySelectorAll('.filters select'));
  function apply() {
    const words = text.value.toLowerCase().split(/\\s+/).filter(Boolean);
    let shown = 0;
    rows.forEach(function (row) {
      const hay = row.textContent.toLowerCase();
      const ok = words.every(function (w) { return hay.includes(w); }) && selects.every(function (s) {
        return !s.value || row.dataset[s.dataset.key] === s.value; });
      row.hidden = !ok; shown += ok;
    });
    count.textContent = shown + ' of ' + rows.length + ' runs';
  }
  text.addEventListener('input', apply); selects.forEach(function (s) { s.addEventListener('change', apply); });
  Array.from(table.tHead.rows[0].cells).forEach(function (th, i) {
    th.addEventListener('click', function () {
      const dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir === 1 ? 'asc' : 'desc';
      const num = th.classList.contains('num');
      rows.sort(function (a, b) {
        const x = a.cells[i].dataset.v ?? a.cells[i].textContent, y = b.cells[i].dataset.v ?? b.cells[i].textContent;
        if (num) { return dir * ((parseFloat(x) || -1) - (parseFloat(y) || -1)); }
        return dir * x.localeCompare(y);
      });
      rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
    });
  });
  apply();
})();
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _run_page(dataset: str, language: str, method: str, seed: float | int | None) -> str:
    """The rendered run of a record, relative to ``results/``."""
    return f"runs/{dataset}/{language}/{run_name(method, seed)}.html"


def _fmt(value: float, digits: int = 3) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def _p(value: float) -> str:
    """A p- or q-value with its relation: '= 0.29', '&lt; 0.001'."""
    return "= –" if pd.isna(value) else (f"= {value:.2g}" if value >= 0.001 else "&lt; 0.001")


def _verdict(row: Any) -> tuple[str, str]:
    if pd.notna(row.wilcoxon_q) and row.wilcoxon_q < SIGNIFICANT:
        return ("verdict-yes", "yes, better") if row.mean_gain > 0 else ("verdict-worse", "no, worse")
    return "verdict-no", "no clear difference"


def _evidence(row: Any, labels: dict[str, str]) -> str:
    """One compared pair of the gains summary in words, with its numbers."""
    distance = ""
    if pd.notna(row.spearman_rho):
        moves = pd.notna(row.spearman_q) and row.spearman_q < SIGNIFICANT
        distance = (f" Against URIEL syntactic distance ({row.n_langs_distance} languages): Spearman ρ = "
                    f"{row.spearman_rho:+.2f}, q {_p(row.spearman_q)}"
                    + (" — the gain moves with distance." if moves else " — no trend with distance."))
    return (f"<b>{_e(labels.get(row.method, row.method))}</b> vs {_e(labels.get(row.baseline, row.baseline))}: "
            f"mean F1 gain {row.mean_gain:+.3f} over {row.n_langs} languages, higher in {row.langs_above}, lower in "
            f"{row.langs_below} (Wilcoxon p {_p(row.wilcoxon_p)}, BH q {_p(row.wilcoxon_q)}).{distance}")


def answer_html(summary: pd.DataFrame, labels: dict[str, str]) -> str:
    """The answer: each key question's verdict with its evidence, the pairs whose gain moves with distance, and
    every compared pair (largest mean gain first)."""
    rows = {(r.method, r.baseline): r for r in summary.itertuples()}
    parts = []
    for question, pair in KEY_QUESTIONS:
        if pair in rows:
            css, word = _verdict(rows[pair])
            parts.append(f"<dt>{_e(question)}</dt><dd><span class='{css}'>{word}</span> — "
                         f"{_evidence(rows[pair], labels)}</dd>")
    moving = [r for r in summary.itertuples() if pd.notna(r.spearman_q) and r.spearman_q < SIGNIFICANT]
    trend = ("; ".join(f"{_e(labels.get(r.method, r.method))} vs {_e(labels.get(r.baseline, r.baseline))} "
                       f"(ρ = {r.spearman_rho:+.2f}, q {_p(r.spearman_q)})" for r in moving)
             or "none of the compared pairs")
    parts.append("<dt>Do the gains change with typological distance?</dt><dd>A gain that moves with URIEL "
                 f"syntactic distance (Spearman, BH q &lt; {SIGNIFICANT}): {trend}. A positive ρ: the gain grows, or the loss shrinks, with distance. Distance moves with "
                 "family and region here, so this is a correlation, not a cause.</dd>")
    every = "".join(f"<li><span class='{_verdict(r)[0]}'>{_verdict(r)[1]}</span>: {_evidence(r, labels)}</li>"
                    for r in summary.sort_values("mean_gain", key=lambda s: -s.abs()).itertuples())
    return (f"<dl class='answer'>{''.join(parts)}</dl><details><summary>Every compared pair</summary>"
            f"<ul class='answer'>{every}</ul></details>")


def _colour(value: float, low: float, high: float) -> str:
    """A blue scale from white (``low``) to dark (``high``), with readable text."""
    t = 0.0 if high <= low or pd.isna(value) else min(1.0, max(0.0, (value - low) / (high - low)))
    light = 97 - 52 * t
    return f"background:hsl(212,70%,{light:.0f}%);color:{'#fff' if light < 62 else '#1f2328'}"


def matrix_html(study: pd.DataFrame, runs: pd.DataFrame, dataset: str, pipeline: str) -> str:
    """The language × method F1 matrix of one dataset and pipeline."""
    sub = study[(study["dataset"] == dataset) & (study["pipeline"] == pipeline)]
    if sub.empty:
        return ""
    methods = sorted(sub["method"].unique(), key=lambda m: (sub.loc[sub["method"] == m, "kind"].iloc[0] != "model_transfer",
                                                              m))
    labels = sub.drop_duplicates("method").set_index("method")["label"]
    langs = sub.drop_duplicates("lang").copy()
    langs["family"] = langs["family"].fillna("other")
    family_order = langs.groupby("family")["syntactic"].mean().sort_values(na_position="last").index
    low, high = sub["f1"].min(), sub["f1"].max()
    seeds = runs[(runs["dataset"] == dataset) & (runs["status"] == "ok")].groupby(["lang", "method"])["seed"].apply(
        lambda s: sorted(s.dropna().astype(int)))
    head = "".join(f"<th class='method' title='{_e(labels[m])}'>{_e(m)}</th>" for m in methods)
    legend = "".join(f"<li><code>{_e(m)}</code>: {_e(labels[m])}</li>" for m in methods)
    body = []
    for family in family_order:
        group = langs[langs["family"] == family].sort_values("syntactic", na_position="last")
        body.append(f"<tr class='family'><th colspan='{len(methods) + 2}'>{_e(family)}</th></tr>")
        for lang in group.itertuples():
            cells = []
            for method in methods:
                hit = sub[(sub["lang"] == lang.lang) & (sub["method"] == method)]
                if hit.empty:
                    cells.append("<td></td>")
                    continue
                row = hit.iloc[0]
                run_seeds = seeds.get((lang.lang, method), [])
                first = _run_page(dataset, lang.lang, method, run_seeds[0] if run_seeds else None)
                spread = f"<span class='sd'>±{row.f1_std:.3f}</span>" if row.n_seeds > 1 else ""
                more = "".join(f"<a href='{_run_page(dataset, lang.lang, method, s)}' title='seed {s}'>s{s}</a>"
                               for s in run_seeds) if len(run_seeds) > 1 else ""
                cells.append(f"<td style='{_colour(row.f1, low, high)}' title='{_e(labels[method])}, {_e(lang.lang)}'>"
                             f"<a href='{first}'>{row.f1:.3f}</a>{spread}"
                             + (f"<div class='seeds'>{more}</div>" if more else "") + "</td>")
            distance = _fmt(lang.syntactic, 2)
            body.append(f"<tr><td class='lang'>{_e(lang.name)} ({_e(lang.lang)})</td><td>{distance}</td>"
                        + "".join(cells) + "</tr>")
    return (f"<h3>{_e(dataset)} · {_e(pipeline)}</h3><div class='matrix-wrap'><table class='matrix' "
            f"data-dataset='{_e(dataset)}' data-pipeline='{_e(pipeline)}'><thead><tr><th>language</th>"
            f"<th>URIEL syn.</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
            f"<details><summary>The methods</summary><ul>{legend}</ul></details>")


def runs_html(runs: pd.DataFrame, results_dir: Path) -> str:
    """Every latest record, and every rendered run without one, as a filterable, sortable table."""
    rows, seen = [], set()
    times = runs.filter(like="time_")
    runs = runs.assign(minutes=times.sum(axis=1, min_count=1) / 60)
    for r in runs.sort_values(["dataset", "lang", "method", "seed"], na_position="first").itertuples():
        page = _run_page(r.dataset, r.lang, r.method, r.seed)
        seen.add(page)
        link = f"<a href='{page}'>{_e(r.method)}</a>" if (results_dir / page).is_file() else _e(r.method)
        seed = "" if pd.isna(r.seed) else int(r.seed)
        minutes = r.minutes
        rows.append(f"<tr data-dataset='{_e(r.dataset)}' data-pipeline='{_e(r.pipeline)}' data-status='{_e(r.status)}'>"
                    f"<td>{_e(r.dataset)}</td><td>{_e(r.pipeline)}</td><td>{_e(r.lang)}</td><td>{link}</td>"
                    f"<td class='num'>{seed}</td><td class='{'failed' if r.status == 'failed' else ''}'>"
                    f"{_e(r.status)}</td><td class='num' data-v='{'' if pd.isna(r.f1) else r.f1}'>{_fmt(r.f1)}</td>"
                    f"<td class='num' data-v='{'' if pd.isna(minutes) else minutes}'>{_fmt(minutes, 1)}</td></tr>")
    for page in sorted((results_dir / "runs").rglob("*.html")):
        rel = page.relative_to(results_dir).as_posix()
        if rel not in seen:
            dataset, language = page.parent.parent.name, page.parent.name
            rows.append(f"<tr data-dataset='{_e(dataset)}' data-pipeline='' data-status='no record'><td>{_e(dataset)}"
                        f"</td><td></td><td>{_e(language)}</td><td><a href='{rel}'>{_e(page.stem)}</a></td><td></td>"
                        "<td>no record</td><td class='num'></td><td class='num'></td></tr>")

    def select(key: str, values: Any) -> str:
        options = "".join(f"<option>{_e(v)}</option>" for v in sorted(set(values)) if v)
        return f"<label>{key} <select data-key='{key}'><option value=''>all</option>{options}</select></label>"

    filters = ("<div class='filters'><input id='filter-text' type='search' placeholder='filter: language, method…' "
               "size='30'>" + select("dataset", runs["dataset"]) + select("pipeline", runs["pipeline"].dropna())
               + select("status", list(runs["status"]) + ["no record"]) + "<span id='run-count'></span></div>")
    head = ("<thead><tr><th>dataset</th><th>pipeline</th><th>language</th><th>method</th><th class='num'>seed</th>"
            "<th>status</th><th class='num'>F1</th><th class='num'>minutes</th></tr></thead>")
    return f"{filters}<table id='runs' class='runs'>{head}<tbody>{''.join(rows)}</tbody></table>"


def _figure(results_dir: Path, stem: str, caption: str) -> str:
    png = results_dir / "figures" / f"{stem}.png"
    if not png.is_file():
        return ""
    svg = f"figures/{stem}.svg" if png.with_suffix(".svg").is_file() else f"figures/{stem}.png"
    return (f"<figure><a href='{svg}'><img src='figures/{stem}.png' alt='{_e(caption)}'></a>"
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _findings(results_dir: Path, params_dir: Path | str | None) -> str:
    """The adversarial sweep's and the human translate-test's own findings, where their records exist."""
    import mistune

    parts = []
    if (results_dir / "tables" / "masakhaner2_adversarial_sweep.csv").is_file():
        from .sweep import sweep_findings

        parts.append("<section id='sweep'><h2>Adversarial alignment, swept</h2>"
                     + mistune.html(sweep_findings(results_dir, params_dir))
                     + _figure(results_dir, "masakhaner2_adversarial_sweep_probe_vs_lambda",
                               "Held-out language-probe accuracy against λ_max, per setting")
                     + _figure(results_dir, "masakhaner2_adversarial_sweep_f1_vs_probe",
                               "MasakhaNER2 F1 against held-out language-probe accuracy")
                     + "<p>Table: <a href='tables/masakhaner2_adversarial_sweep.csv'>masakhaner2_adversarial_sweep.csv"
                     "</a></p></section>")
    human = results_dir / "tables" / "masakhaner2_translate_test_human.csv"
    if human.is_file():
        from .report import translate_test_human_findings

        parts.append("<section id='translate-test-human'><h2>Translate-test with human translations</h2><p>The "
                     "paper's translate-test pipelines on the MasakhaNER2 test sentences that MAFAND-MT translated "
                     "to English by hand (a perfect translator); runs in the matrix <i>masakhaner2 · "
                     "translate_test</i> above.</p>" + mistune.html(translate_test_human_findings(pd.read_csv(human)))
                     + f"<p>Table: <a href='tables/{human.name}'>{human.name}</a></p></section>")
    return "".join(parts)


def write_site(results_dir: Path, params_dir: Path | str | None = None) -> Path:
    """Write ``results/index.html`` from the records and the report's tables and figures."""
    from .report import load_study
    from .sweep import drop_sweep

    records = latest_records(read_records(results_dir / "records"))
    runs = records_frame(records) if records else pd.DataFrame(
        columns=["dataset", "pipeline", "lang", "method", "seed", "status", "f1"])
    study = drop_sweep(load_study(results_dir, params_dir), params_dir) if records else pd.DataFrame()
    summary_path = results_dir / "tables" / "masakhaner2_gains_summary.csv"
    answer = ""
    if summary_path.is_file():
        summary = pd.read_csv(summary_path)
        labels = {m: load_method(m, params_dir).get("label", m) for m in {*summary["method"], *summary["baseline"]}}
        answer = ("<p>From the paired F1 gains on MasakhaNER2 (each method against the method it adds to, paired "
                  "by language and seed; Wilcoxon signed-rank test over languages, Benjamini–Hochberg q over all "
                  "pairs; <a href='tables/masakhaner2_gains_summary.csv'>table</a>):</p>"
                  + answer_html(summary, labels))
    matrices = "".join(matrix_html(study, runs, d, p) for d, p in
                       study[["dataset", "pipeline"]].drop_duplicates().sort_values(["dataset", "pipeline"])
                       .itertuples(index=False)) if not study.empty else "<p>No result records yet.</p>"
    n_ok = int((runs["status"] == "ok").sum())
    body = (
        f"<h1>xproj: projection-based data transfer for cross-lingual NER</h1>"
        f"<p class='lead'>A rerun and extension of Politov et al. (NoDaLiDa 2025) on this study's offline models: "
        f"{len(runs)} runs ({n_ok} ok) from the records in <code>results/records/</code>. "
        f"<a href='report.html'>The full report</a> (every table and figure) · <a href='tables/'>tables</a> · "
        f"<a href='figures/'>figures</a></p>"
        f"<section id='answer'><h2>The question</h2><p class='question'>{_e(QUESTION)}</p>"
        f"<h2>The answer</h2>{answer or '<p>No gains summary yet: run the study and <code>xproj report</code>.</p>'}"
        "</section><section id='figures'><h2>Key figures</h2>"
        + "".join(_figure(results_dir, stem, caption) for stem, caption in FIGURES)
        + "</section><section id='matrix'><h2>F1 by language and method</h2><p>Mean over seeds ± their standard "
        "deviation; colour from the lowest to the highest F1 of each table; languages grouped by family (families "
        "by mean distance) and ordered by URIEL syntactic distance from English. Each value opens its run; "
        "s0, s1, … open one seed's run.</p>" + matrices + "</section>"
        + _findings(results_dir, params_dir)
        + "<section id='all-runs'><h2>Every run</h2>" + runs_html(runs, results_dir) + "</section>")
    page = ("<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><title>xproj results</title>"
            f"<link rel='stylesheet' href='{STYLESHEET}'><style>{PAGE_CSS}</style></head>\n<body><main>{body}</main>"
            f"<script>{SCRIPT}</script></body></html>\n")
    index = results_dir / "index.html"
    write_stylesheet(results_dir)
    atomic_write_text(index, page)
    return index

