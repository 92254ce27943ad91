"""The study runner: expand profile × datasets × languages × methods into cells and execute each cell's notebook.

A cell is identified by (dataset, language, method) and its configuration hash. A cell whose ``ok`` record
already exists for the same hash is skipped, so a rerun executes only what is missing or changed. Each cell runs
``notebooks/experiment.ipynb`` through papermill; a failing cell gets a ``failed`` record and its executed
notebook, and the other cells go on. Cells run in a local process pool or, through submitit, on SLURM.
"""
from __future__ import annotations

import concurrent.futures as cf
import json
import logging
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field
from tqdm import tqdm

from .languages import params_root
from .pipelines import TRANSFER_PIPELINES
from .records import ResultRecord, config_hash, latest_records, read_record_file, read_records, run_name, write_record
from .paths import cache_root
from .render import finish_notebook

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "experiment.ipynb"
REPORT_NOTEBOOK = REPO / "notebooks" / "report.ipynb"
METHOD_KINDS = ("model_transfer", "projection", "supervised", "adversarial", "ensemble")
# method-file fields for the report only: ``label`` names the method, ``baselines`` lists the methods it adds to
# (the report pairs its F1 with theirs, seed by seed)
DISPLAY_FIELDS = ("label", "baselines")


class DatasetPlan(BaseModel):
    """Which pipeline, languages and methods a profile runs on one dataset."""

    pipeline: str
    languages: list[str]
    methods: list[str]
    split: str = "test"
    skip: int = Field(0, ge=0, description="leave out the first N sentences (e.g. a slice used for model selection)")
    limit: int | None = None
    seeds: list[int] = Field(default_factory=lambda: [0], description="seeds for methods that train a model")


class Profile(BaseModel):
    """A study profile (``params/profiles/<name>.yaml``): models and settings shared by every cell, and the plan."""

    name: str
    description: str = ""
    models: dict[str, Any] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict)
    datasets: dict[str, DatasetPlan]
    resources: dict[str, Any] = Field(default_factory=dict, description="SLURM resources per cell: default and "
                                      "methods.<name> blocks of cpus, mem_gb, time_min, gpus (cell_resources)")
    source_model_weights: str | None = Field(None, description="the source-model weights (digest) the profile's "
                                             "records start from; a run on a machine that trains others is refused "
                                             "(check_source_weights)")


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such parameter file")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: invalid YAML: {exc}") from exc


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge two mappings; ``override`` wins, lists are replaced."""
    out = dict(base)
    for key, value in override.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _profile_data(name: str, params_dir: Path | str | None, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    path = params_root(params_dir) / "profiles" / f"{name}.yaml"
    if name in seen:
        raise ValueError(f"{path}: 'extends' cycle {' -> '.join((*seen, name))}")
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a profile must be a mapping")
    parent = data.pop("extends", None)
    return _merge(_profile_data(parent, params_dir, (*seen, name)), data) if parent else data


def load_profile(name: str, params_dir: Path | str | None = None) -> Profile:
    """Load and validate a profile (``extends: <profile>`` deep-merges a parent); errors name the file and field."""
    path = params_root(params_dir) / "profiles" / f"{name}.yaml"
    try:
        return Profile.model_validate(_profile_data(name, params_dir))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def load_method(name: str, params_dir: Path | str | None = None) -> dict[str, Any]:
    """Load a method file (``params/methods/<name>.yaml``); it must say which ``kind`` of method it is."""
    path = params_root(params_dir) / "methods" / f"{name}.yaml"
    method = _read_yaml(path)
    if not isinstance(method, dict) or method.get("kind") not in METHOD_KINDS:
        raise ValueError(f"{path}: a method file must be a mapping whose 'kind' is one of {METHOD_KINDS}")
    return method


@dataclass(frozen=True)
class Cell:
    """One unit of the study: a (dataset, language, method) under a profile, with its full configuration."""

    profile: str
    dataset: str
    language: str
    method: str
    seed: int | None
    config: dict[str, Any] = field(hash=False, compare=False)

    @property
    def hash(self) -> str:
        """Hash of the cell's configuration; the profile's name and the method's display fields (label,
        baselines) are left out, so profiles share cells and relabelling a method reruns nothing."""
        method = {k: v for k, v in self.config["method_params"].items() if k not in DISPLAY_FIELDS}
        return config_hash({k: v for k, v in self.config.items() if k != "profile"} | {"method_params": method})

    @property
    def name(self) -> str:
        """The method, with the seed for methods that train."""
        return run_name(self.method, self.seed)

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.language}/{self.name}"

    def record_path(self, results_dir: Path) -> Path:
        return results_dir / "records" / self.dataset / self.language / f"{self.method}-{self.hash}.jsonl"

    def notebook_path(self, results_dir: Path) -> Path:
        return results_dir / "runs" / self.dataset / self.language / f"{self.name}.ipynb"


def make_cell(profile: Profile | str, dataset: str, language: str, method: str,
              params_dir: Path | str | None = None, seed: int | None = None) -> Cell:
    """Build a cell and its configuration (profile models/settings + dataset plan + method + language + seed)."""
    from .languages import language_by_dataset_code, load_language

    prof = profile if isinstance(profile, Profile) else load_profile(profile, params_dir)
    plan = prof.datasets.get(dataset)
    if plan is None:
        raise ValueError(f"profile {prof.name!r} has no dataset {dataset!r} (it has {sorted(prof.datasets)})")
    try:
        lang = language_by_dataset_code(dataset, language, params_dir=params_root(params_dir))
    except (KeyError, ValueError):
        lang = load_language(language, params_dir=params_root(params_dir))
    code = lang.datasets.get(dataset)
    if code is None:
        raise ValueError(f"language {lang.iso639_3!r} does not appear in dataset {dataset!r}")
    method_params = load_method(method, params_dir)
    if method_params.get("seeded", False) != (seed is not None):
        raise ValueError(f"method {method!r} {'needs' if method_params.get('seeded') else 'takes no'} seed")
    config = {
        "profile": prof.name,
        "dataset": dataset,
        "pipeline": plan.pipeline,
        "split": plan.split,
        "skip": plan.skip,
        "limit": plan.limit,
        "language": lang.model_dump(mode="json"),
        "dataset_code": code,
        "method": method,
        "method_params": method_params,
        "seed": seed,
        "models": scoped_models(prof.models, method_params, plan.pipeline, params_dir),
        "settings": prof.settings if plan.pipeline in TRANSFER_PIPELINES else {},
    }
    return Cell(prof.name, dataset, code, method, seed, config)


def scoped_models(models: dict[str, Any], method: dict[str, Any], pipeline: str,
                  params_dir: Path | str | None = None) -> dict[str, Any]:
    """The profile's ``models`` block with only the aligners and taggers a method uses (its own, its ensemble
    members' and, in the transfer pipeline, the source model's), so adding a model to a profile does not change
    the other cells' hashes."""
    scoped = dict(models)
    # a translate-test profile may name the trained source model as its English tagger (``ner: {model:
    # source-ner}``); only then do its cells read ``source_ner`` (other non-transfer cells are unchanged)
    if pipeline in TRANSFER_PIPELINES or (models.get("ner") or {}).get("model") == "source-ner":
        taggers = {models.get("source_ner", {}).get("tagger")}  # None where the source model is a trained one
    else:
        taggers = set()
        scoped.pop("source_ner", None)
    aligners: set[str | None] = set()
    pending = [method]
    while pending:
        params = pending.pop()
        aligners.add(params.get("aligner"))
        taggers.add(params.get("tagger"))
        pending += [load_method(name, params_dir) for name in params.get("members", [])]
    for key, used in (("aligners", aligners), ("taggers", taggers)):
        if key in models:
            scoped[key] = {name: spec for name, spec in models[key].items() if name in used}
    return scoped


def expand_cells(profile: str, *, datasets: list[str] | None = None, languages: list[str] | None = None,
                 methods: list[str] | None = None, params_dir: Path | str | None = None) -> list[Cell]:
    """All cells of a profile, optionally restricted; ``languages`` may name languages beyond the profile's plan."""
    prof = load_profile(profile, params_dir)
    cells = []
    for name, plan in prof.datasets.items():
        if datasets and name not in datasets:
            continue
        for lang in languages or plan.languages:
            for method in plan.methods:
                if methods and method not in methods:
                    continue
                if languages and not _language_in_dataset(lang, name, params_dir):
                    continue
                seeds = plan.seeds if load_method(method, params_dir).get("seeded", False) else [None]
                cells += [make_cell(prof, name, lang, method, params_dir, seed) for seed in seeds]
    return cells


def _language_in_dataset(code: str, dataset: str, params_dir: Path | str | None) -> bool:
    from .languages import all_languages

    return any(code in (lang.iso639_3, lang.datasets.get(dataset)) and dataset in lang.datasets
               for lang in all_languages(params_root(params_dir)).values())


def _records(cell: Cell, results_dir: Path) -> list[ResultRecord]:
    """The cell's stored records, oldest first; empty when it has none."""
    path = cell.record_path(results_dir)
    return read_record_file(path) if path.exists() else []


def _all_ok(records: list[ResultRecord]) -> bool:
    """Whether there are records and every one of them is ``ok``."""
    return bool(records) and all(record.status == "ok" for record in records)


def is_done(cell: Cell, results_dir: Path) -> bool:
    """Whether an ``ok`` record for this exact configuration exists."""
    return _all_ok(_records(cell, results_dir))


def progress(cells: list[Cell], results_dir: Path) -> "pd.DataFrame":
    """Per method and seed: cells done and to do, and the to-do cells' expected worker-minutes.

    A to-do cell is expected to take the median recorded time (the sum of a record's timings) of its method's
    done cells in its language, else in every language of the selection, else of every ``ok`` record of the
    method in the dataset under ``results_dir``; NaN where the method has none yet. Cells that share cached work (the source model, labels, alignments) ran faster after the first, and
    cells that shared the CPUs slower, so treat it as a guide.
    """
    frame = _cell_times(cells, results_dir)
    frame["todo_minutes"] = _expected_minutes(frame, results_dir).where(~frame.done, 0.0)
    table = frame.groupby(["method", "seed"], sort=False).agg(
        cells=("done", "size"), done=("done", "sum"), median_minutes=("minutes", "median"),
        todo_minutes=("todo_minutes", lambda m: m.sum(min_count=len(m)))).reset_index()
    table["todo"] = table.cells - table.done
    table["seed"] = table.seed.map(lambda s: "-" if s < 0 else str(s))
    return table[["method", "seed", "cells", "done", "todo", "median_minutes", "todo_minutes"]]


def _cell_times(cells: list[Cell], results_dir: Path) -> "pd.DataFrame":
    """One row per cell: its key, dataset, method, language, seed (-1 for none), whether it is done, and its
    recorded minutes if it is."""
    import pandas as pd

    rows = []
    for cell in cells:
        records = _records(cell, results_dir)
        done = _all_ok(records)
        minutes = sum(records[-1].timings.values()) / 60 if done else float("nan")
        rows.append({"key": cell.key, "dataset": cell.dataset, "method": cell.method, "language": cell.language,
                     "seed": -1 if cell.seed is None else cell.seed, "done": done, "minutes": minutes})
    return pd.DataFrame(rows, columns=["key", "dataset", "method", "language", "seed", "done", "minutes"])


def _expected_minutes(frame: "pd.DataFrame", results_dir: Path) -> "pd.Series":
    """Each cell's (row's) expected minutes: the median recorded time of its method's done cells in its language
    (other seeds), else in every language of ``frame``, else of every ``ok`` record of its dataset and method
    under ``results_dir`` (e.g. when the selection's records were all removed), else of every done cell of
    ``frame`` (a method not run yet), else NaN."""
    import pandas as pd

    done = frame[frame.done]
    by_language = done.groupby(["method", "language"]).minutes.median()
    by_method = done.groupby("method").minutes.median()
    recorded = pd.DataFrame([(r.dataset, r.method, sum(r.timings.values()) / 60)
                             for r in read_records(results_dir / "records") if r.status == "ok"],
                            columns=["dataset", "method", "minutes"])
    by_dataset = recorded.groupby(["dataset", "method"]).minutes.median()
    any_done = done.minutes.median()  # NaN where nothing is done
    return pd.Series([by_language.get((m, lang), by_method.get(m, by_dataset.get((d, m), any_done)))
                      for d, m, lang in zip(frame.dataset, frame.method, frame.language)],
                     index=frame.index, dtype=float)


@dataclass
class CellResult:
    """What the runner learns from executing one cell."""

    key: str
    status: Literal["ok", "failed", "skipped", "deferred"]
    error: str | None = None
    notebook: str | None = None


def notebook_path(path: Path | str) -> str:
    """``path`` as a notebook sees it (notebooks run in the repository root): relative to the root when inside it,
    so rendered notebooks name no machine's folders."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(resolved)


def execute_cell(cell: Cell, results_dir: Path, params_dir: Path | str | None = None,
                 data_dir: Path | str | None = None) -> CellResult:
    """Run one cell's notebook with papermill, render it to HTML, and record a failure if it raised."""
    import papermill as pm

    out_nb = cell.notebook_path(results_dir)
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    parameters = {
        "profile": cell.profile, "dataset": cell.dataset, "language": cell.language, "method": cell.method,
        "seed": cell.seed,
        "params_dir": notebook_path(params_root(params_dir)), "results_dir": notebook_path(results_dir),
        # the kernel inherits $XPROJ_DATA_DIR; a data_dir given here is passed relative to the repository
        "data_dir": os.path.relpath(data_dir, REPO) if data_dir else "",
    }
    error = None
    try:
        pm.execute_notebook(str(NOTEBOOK), str(out_nb), parameters=parameters, kernel_name="python3",
                            progress_bar=False, cwd=str(REPO))
    except Exception as exc:  # noqa: BLE001 - any failure of a cell is recorded, and the study goes on
        if isinstance(exc, pm.PapermillExecutionError):  # the notebook raised: its own error and traceback
            error = f"{exc.ename}: {exc.evalue}\n" + "\n".join(exc.traceback)
        else:
            error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        write_record(ResultRecord(dataset=cell.dataset, language=cell.language, method=cell.method,
                                  config=cell.config, config_hash=cell.hash, seed=cell.seed, status="failed",
                                  error=error),
                     results_dir / "records")
    if out_nb.exists():
        finish_notebook(out_nb, results_dir, timings=True)
    return CellResult(cell.key, "failed" if error else "ok", error, str(out_nb))


def execute_cell_by(deadline: float | None, selection: list[Cell], cell: Cell, results_dir: Path,
                    params_dir: Path | str | None = None, data_dir: Path | str | None = None) -> CellResult:
    """Execute the cell now unless it is expected to end after ``deadline`` (a ``time.time()`` value; None: no
    limit). Its expected time (:func:`_expected_minutes` over ``selection``, the run's cells; 0 where nothing is
    known) is read when the cell is about to start, so it counts the cells this run has finished, e.g. a new
    method's first seed. A deferred cell writes nothing, so the next run takes it up."""
    if deadline is not None:
        frame = _cell_times(selection, results_dir)
        expected = _expected_minutes(frame, results_dir)[frame.key == cell.key].fillna(0.0).iloc[0]
        if time.time() + 60 * expected > deadline:
            return CellResult(cell.key, "deferred")
    return execute_cell(cell, results_dir, params_dir, data_dir)


def schedule(cells: list[Cell]) -> list[Cell]:
    """Run order: one transfer cell first (it trains the source model that every transfer cell waits for), then
    the cells that do not need that model, then the other transfer cells, those that train a neural tagger
    (seeded methods, the longest) before the rest, seed by seed: every language and method at the first seed
    before any at the next, so a run stopped midway leaves whole seeds, not a few languages with all of them;
    otherwise the plan's order."""
    transfer = [c for c in cells if c.config["pipeline"] in TRANSFER_PIPELINES]
    rest = sorted(transfer[1:], key=lambda c: (c.seed is None, c.seed or 0))
    return transfer[:1] + [c for c in cells if c.config["pipeline"] not in TRANSFER_PIPELINES] + rest


def default_workers(memory_per_worker_gib: float = 5.0) -> int:
    """One worker per usable CPU, as many as memory allows (the largest cell, training the source model, peaked
    at 4.8 GB here)."""
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return max(1, min(len(os.sched_getaffinity(0)), int(memory_gib // memory_per_worker_gib)))


def _settle_done(done: list[Cell], results_dir: Path) -> list[Cell]:
    """Render the done cells whose run was killed after their record but before their HTML; return those whose
    notebook the kill left unreadable (papermill writes it in place while it runs), to be run again: a rerun
    overwrites the cell's record atomically."""
    import nbformat

    broken = []
    for cell in done:
        notebook = cell.notebook_path(results_dir)
        if not notebook.exists() or notebook.with_suffix(".html").exists():
            continue
        try:
            finish_notebook(notebook, results_dir, timings=True)
        except (nbformat.reader.NotJSONError, nbformat.ValidationError) as exc:
            log.warning("%s: notebook %s is unreadable (%s); running the cell again",
                        cell.key, notebook, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            broken.append(cell)
    return broken


def check_source_weights(cells: list[Cell], params_dir: Path | str | None = None) -> None:
    """Refuse to run cells of a profile that pins ``source_model_weights`` on a machine whose source model (trained
    here, or loaded from the cache) has other weights: its cells would not compare with the profile's records."""
    from .pipelines.components import source_model_weights

    for name in sorted({c.profile for c in cells}):
        profile = load_profile(name, params_dir)
        if profile.source_model_weights is None:
            continue
        here = source_model_weights(profile.models)
        if here != profile.source_model_weights:
            raise RuntimeError(
                f"profile {name!r}: its records start from source-model weights {profile.source_model_weights}, and "
                f"this machine trains {here} under the same cache key (another kind of CPU); cells run here would "
                "not compare with them. Run this profile on a machine that trains those weights (README, "
                "Reproducibility; an AVX-512 AMD CPU may train the AVX2 AMD weights with torch held to AVX2: "
                "ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 set and the source "
                "model removed from the cache to train anew; an Intel Xeon held so still trains other weights), or "
                "start it anew with source_model_weights changed in its profile file.")


def run_study(cells: list[Cell], results_dir: Path, *, workers: int = 1, force: bool = False,
              executor: Literal["pool", "submitit"] = "pool", cluster: str | None = None,
              slurm: dict[str, Any] | None = None, params_dir: Path | str | None = None,
              data_dir: Path | str | None = None, time_limit_minutes: float | None = None) -> list[CellResult]:
    """Execute every cell that is not done yet; return one result per cell (skipped ones included).

    With ``time_limit_minutes``, a cell starts only if it is expected to end within that time from now (by
    :func:`execute_cell_by`, as it is about to start): cells already running finish, the others are ``deferred`` and left for the next
    run, so a run under a wall-clock limit wastes no half-trained model.
    """
    deadline = None if time_limit_minutes is None else time.time() + 60 * time_limit_minutes
    done = [] if force else [c for c in cells if is_done(c, results_dir)]
    done = [c for c in done if c not in _settle_done(done, results_dir)]
    results = [CellResult(c.key, "skipped") for c in done]
    todo = schedule([c for c in cells if c not in done])
    log.info("%d cells: %d to run, %d already done", len(cells), len(todo), len(results))
    if not todo:
        return results
    check_source_weights(todo, params_dir)
    calls = [(deadline, cells, c, results_dir, params_dir, data_dir) for c in todo]
    if executor == "submitit":
        results += _run_submitit(calls, results_dir, cluster, slurm or {}, params_dir)
        return results
    with cf.ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(execute_cell_by, *call) for call in calls]
        for fut in tqdm(cf.as_completed(futures), total=len(futures), desc="study cells", unit="cell"):
            res = fut.result()
            if res.status == "failed":
                tqdm.write(f"FAILED {res.key}: {res.error.splitlines()[0] if res.error else ''}")
            results.append(res)
    return results


RESOURCE_KEYS = {"cpus": "cpus_per_task", "mem_gb": "mem_gb", "time_min": "timeout_min", "gpus": "gpus_per_node"}


def cell_resources(cell: Cell, profile: Profile) -> dict[str, Any]:
    """A cell's SLURM resources: the profile's ``resources.default`` with ``resources.methods.<method>`` over it
    (keys ``cpus``, ``mem_gb``, ``time_min``, ``gpus``), as submitit parameters. They live in the profile, not in
    the cell's configuration, so changing them reruns nothing."""
    spec = {**profile.resources.get("default", {}), **profile.resources.get("methods", {}).get(cell.method, {})}
    unknown = set(spec) - set(RESOURCE_KEYS)
    if unknown:
        raise ValueError(f"profile {profile.name!r}: unknown resources {sorted(unknown)} (use {list(RESOURCE_KEYS)})")
    return {RESOURCE_KEYS[k]: v for k, v in spec.items()}


def _run_submitit(calls: list[tuple[Any, ...]], results_dir: Path, cluster: str | None,
                  slurm: dict[str, Any], params_dir: Path | str | None) -> list[CellResult]:
    """Each call's ``execute_cell_by`` as a submitit job (one job array per set of resources); wait for them all.
    A job that ends without a result (cancelled, killed at its time limit, node lost) is reported as failed
    and writes no record, so the next run takes the cell up again."""
    import submitit

    slurm = dict(slurm)
    folder = Path(slurm.pop("log_dir", None) or cache_root() / "submitit")
    ex = submitit.AutoExecutor(folder=folder / "%j", cluster=cluster)
    profiles: dict[str, Profile] = {}
    groups: dict[str, list[tuple[Any, ...]]] = {}
    for call in calls:
        cell = call[2]
        profile = profiles.setdefault(cell.profile, load_profile(cell.profile, params_dir))
        groups.setdefault(json.dumps(cell_resources(cell, profile), sort_keys=True), []).append(call)
    jobs = []
    for resources, group in groups.items():
        ex.update_parameters(name="xproj", **json.loads(resources), **slurm)
        with ex.batch():
            jobs += [(call[2].key, ex.submit(execute_cell_by, *call)) for call in group]
    log.info("submitted %d SLURM jobs (logs under %s)", len(jobs), folder)
    results = []
    for key, job in tqdm(jobs, desc="study cells (submitit)", unit="cell"):
        try:
            results.append(job.result())
        except Exception as exc:  # noqa: BLE001 - a lost job is one failed cell; the others go on
            results.append(CellResult(key, "failed", f"SLURM job {job.job_id} ended without a result: {exc}"))
    return results


def summarize(results: list[CellResult]) -> str:
    """A short human summary listing failures."""
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "skipped", "failed", "deferred")}
    lines = [f"cells: {counts['ok']} ran ok, {counts['skipped']} skipped (already done), {counts['failed']} failed"
             + (f", {counts['deferred']} deferred (time limit; rerun to take them up)" if counts["deferred"] else "")]
    lines += [f"  FAILED {r.key} ({r.notebook}): {(r.error or '').splitlines()[0]}" for r in results
              if r.status == "failed"]
    return "\n".join(lines)


def build_report(results_dir: Path, params_dir: Path | str | None = None) -> Path:
    """Execute the report notebook (tables, figures), render it, and write the site ``results/index.html``."""
    import papermill as pm

    from .site import write_site

    out_nb = results_dir / "report.ipynb"
    pm.execute_notebook(str(REPORT_NOTEBOOK), str(out_nb), kernel_name="python3", progress_bar=False, cwd=str(REPO),
                        parameters={"results_dir": notebook_path(results_dir),
                                    "params_dir": notebook_path(params_root(params_dir))})
    finish_notebook(out_nb, results_dir, timings=False)
    return write_site(results_dir, params_dir)
