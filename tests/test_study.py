"""The study runner on the smoke profile: papermill execution, resume after a kill, failure isolation,
adding a language by one file, submitit, and the report."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xproj_lib.records import ResultRecord, read_records, write_record
from xproj_lib import study
from xproj_lib.study import (REPO, Cell, CellResult, execute_cell_by, expand_cells, load_method, make_cell, progress,
                             run_study, schedule, summarize)

CELLS = ["--datasets", "europarl_ner", "--methods", "heuristic-eflomal", "ngram-greedy-simalign"]


def xproj(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xproj_lib.cli", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=timeout)


@pytest.fixture()
def env(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    return {**os.environ, "XPROJ_DATA_DIR": str(data_dir), "OMP_NUM_THREADS": "1"}


def test_cells_expand_from_params_and_hash_their_configuration():
    cells = expand_cells("smoke")
    keys = [c.key for c in cells]
    assert "europarl_ner/de/heuristic-eflomal" in keys and "masakhaner2/hau/model-transfer" in keys
    cell = make_cell("smoke", "europarl_ner", "de", "heuristic-eflomal")
    assert cell.hash == make_cell("smoke", "europarl_ner", "deu", "heuristic-eflomal").hash  # ISO code works too
    assert cell.hash != make_cell("smoke", "europarl_ner", "de", "ngram-greedy-simalign").hash
    assert cell.config["method_params"] == load_method("heuristic-eflomal")


def test_cell_hash_covers_only_the_models_a_cell_uses(tmp_path: Path):
    params = tmp_path / "params"
    shutil.copytree(REPO / "params", params)
    smoke = params / "profiles" / "smoke.yaml"

    def hashes() -> dict[str, str]:
        cells = [make_cell("smoke", "europarl_ner", "de", "heuristic-eflomal", params),
                 make_cell("smoke", "masakhaner2", "hau", "proj-greedy-eflomal-crf", params),
                 make_cell("smoke", "masakhaner2", "hau", "ensemble-mt-tt", params, seed=0)]
        return {c.key: c.hash for c in cells}

    before = hashes()
    cell = make_cell("smoke", "masakhaner2", "hau", "ensemble-mt-tt", params, seed=0)
    assert set(cell.config["models"]["taggers"]) == {"crf", "e5-target"}  # source model's + the member's
    assert set(cell.config["models"]["aligners"]) == {"eflomal"}
    intrinsic = make_cell("smoke", "europarl_ner", "de", "heuristic-eflomal", params)
    assert "source_ner" not in intrinsic.config["models"] and intrinsic.config["settings"] == {}

    # a new tagger, a relabelled method and a transfer setting: nothing the intrinsic cell uses
    smoke.write_text(smoke.read_text().replace("  taggers:\n", "  taggers:\n    extra: {type: crf}\n")
                     .replace("max_dev_sentences: 30", "max_dev_sentences: 31"))
    method = params / "methods" / "heuristic-eflomal.yaml"
    method.write_text(method.read_text().replace("label: heuristic / eflomal", "label: renamed")
                      + "baselines: [heuristic-simalign]\n")  # display fields: out of the hash
    after = hashes()
    assert after["europarl_ner/de/heuristic-eflomal"] == before["europarl_ner/de/heuristic-eflomal"]
    assert after["masakhaner2/hau/proj-greedy-eflomal-crf"] != before["masakhaner2/hau/proj-greedy-eflomal-crf"]

    # a change to a tagger an ensemble member uses reruns the ensemble, not the CRF projection cell
    smoke.write_text(smoke.read_text().replace("e5-target: {type: transformers, base: tiny-random, epochs: 1",
                                               "e5-target: {type: transformers, base: tiny-random, epochs: 2"))
    changed = hashes()
    assert changed["masakhaner2/hau/ensemble-mt-tt-seed0"] != after["masakhaner2/hau/ensemble-mt-tt-seed0"]
    assert changed["masakhaner2/hau/proj-greedy-eflomal-crf"] == after["masakhaner2/hau/proj-greedy-eflomal-crf"]


def test_schedule_starts_the_source_model_before_other_work():
    cells = expand_cells("smoke")
    order = [c.dataset for c in schedule(cells)]
    assert sorted(order) == sorted(c.dataset for c in cells)
    assert order[0] == "masakhaner2" and order[1:3] == ["europarl_ner"] * 2
    assert set(order[3:]) == {"masakhaner2"}
    seeded = [c.seed is not None for c in schedule(cells)[3:]]
    assert any(seeded) and seeded == sorted(seeded, reverse=True)  # model-training cells first


def test_schedule_runs_every_language_at_a_seed_before_the_next_seed():
    cells = expand_cells("offline-seeds", datasets=["masakhaner2"], languages=["hau", "yor"],
                         methods=["proj-greedy-eflomal-e5", "adversarial-e5"])
    order = [(c.seed, c.language, c.method) for c in schedule(cells)]
    assert [seed for seed, _, _ in order] == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert order[:4] == [(0, lang, method) for lang in ("hau", "yor")
                         for method in ("proj-greedy-eflomal-e5", "adversarial-e5")]


def test_progress_counts_done_cells_and_estimates_the_rest_from_their_times(tmp_path: Path):
    cells = expand_cells("offline-seeds", datasets=["masakhaner2"], languages=["hau", "yor", "ibo"],
                         methods=["model-transfer", "adversarial-e5"])
    done = {("hau", None): 60.0, ("yor", None): 180.0, ("hau", 0): 600.0, ("yor", 1): 240.0}
    for cell in cells:
        if (cell.language, cell.seed) in done:
            write_record(ResultRecord(dataset=cell.dataset, language=cell.language, method=cell.method,
                                      config=cell.config, config_hash=cell.hash, seed=cell.seed,
                                      timings={"train": done[cell.language, cell.seed] - 6, "load": 6}),
                         tmp_path / "records")
    failed = next(c for c in cells if (c.language, c.seed) == ("yor", 0))  # a failure is not done
    write_record(ResultRecord(dataset=failed.dataset, language=failed.language, method=failed.method,
                              config=failed.config, config_hash=failed.hash, seed=0, status="failed"),
                 tmp_path / "records")
    table = progress(cells, tmp_path).set_index(["method", "seed"])
    assert table.loc[("model-transfer", "-"), ["cells", "done", "todo"]].tolist() == [3, 2, 1]
    assert table.loc[("model-transfer", "-"), "median_minutes"] == 2.0
    assert table.loc[("model-transfer", "-"), "todo_minutes"] == 2.0  # one cell at the median of 1 and 3 min
    # a seeded cell takes its language's recorded time (hau 10 min, yor 4) or else the method's median (ibo 7)
    assert table.loc[("adversarial-e5", "0"), ["done", "todo", "todo_minutes"]].tolist() == [1, 2, 4.0 + 7.0]
    assert table.loc[("adversarial-e5", "1"), ["done", "todo", "todo_minutes"]].tolist() == [1, 2, 10.0 + 7.0]
    assert table.loc[("adversarial-e5", "2"), ["done", "todo", "todo_minutes"]].tolist() == [0, 3, 21.0]
    # a selection with no done cell of its own falls back on every record of the method (here hau's and yor's)
    ibo = progress([c for c in cells if c.language == "ibo"], tmp_path).set_index(["method", "seed"])
    assert ibo.loc[("adversarial-e5", "0"), "todo_minutes"] == 7.0 and (ibo.done == 0).all()
    # a method with no record anywhere takes the median of every done cell of the selection (here 1, 3, 10, 4 min)
    unseen = [c for c in expand_cells("offline-seeds", datasets=["masakhaner2"], languages=["hau"],
                                      methods=["continued-e5"]) if c.seed == 0]
    table = progress(cells + unseen, tmp_path).set_index(["method", "seed"])
    assert table.loc[("continued-e5", "0"), "todo_minutes"] == 3.5
    no_estimate = progress(cells, tmp_path / "empty")
    assert no_estimate.todo_minutes.isna().all() and (no_estimate.done == 0).all()


def _record_minutes(cell: Cell, results_dir: Path, minutes: float) -> None:
    write_record(ResultRecord(dataset=cell.dataset, language=cell.language, method=cell.method, config=cell.config,
                              config_hash=cell.hash, seed=cell.seed, timings={"train": 60 * minutes}),
                 results_dir / "records")


def test_a_cell_expected_to_end_after_the_deadline_is_deferred_unrun(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch):
    ran = []
    monkeypatch.setattr(study, "execute_cell", lambda cell, *args: ran.append(cell) or CellResult(cell.key, "ok"))
    cells = expand_cells("offline-seeds", datasets=["masakhaner2"], languages=["hau"], methods=["adversarial-e5"])
    first, second = sorted(cells, key=lambda c: c.seed)[:2]
    assert execute_cell_by(time.time() + 60, cells, second, tmp_path).status == "ok"  # nothing known: 0 minutes
    _record_minutes(first, tmp_path, 2.0)
    assert execute_cell_by(time.time() + 60, cells, second, tmp_path).status == "deferred"
    assert execute_cell_by(time.time() + 180, cells, second, tmp_path).status == "ok"
    assert execute_cell_by(None, cells, second, tmp_path).status == "ok" and ran == [second] * 3


def test_time_limit_learns_a_new_methods_time_from_its_first_cell(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch):
    cells = expand_cells("offline-seeds", datasets=["masakhaner2"], languages=["hau"], methods=["adversarial-e5"])

    def ten_minutes(cell: Cell, results_dir: Path, *args: object) -> CellResult:
        _record_minutes(cell, results_dir, 10.0)
        return CellResult(cell.key, "ok")

    monkeypatch.setattr(study, "execute_cell", ten_minutes)  # the forked worker inherits it
    status = {r.key: r.status for r in run_study(cells, tmp_path, workers=1, time_limit_minutes=5)}
    assert sorted(status.values()) == ["deferred", "deferred", "ok"]  # the 10 minutes of seed 0 defer seeds 1-2


def test_time_limit_defers_the_cells_whose_recorded_times_do_not_fit(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch):
    cells = expand_cells("offline-seeds", datasets=["masakhaner2"], languages=["hau", "yor", "ibo"],
                         methods=["adversarial-e5", "ensemble-mt-tt"])
    minutes = {("hau", "adversarial-e5"): 10.0, ("yor", "adversarial-e5"): 2.0, ("hau", "ensemble-mt-tt"): 1.0}
    for cell in cells:
        if cell.seed == 0 and (cell.language, cell.method) in minutes:
            _record_minutes(cell, tmp_path, minutes[cell.language, cell.method])
    # the pool forks its workers, which inherit this stand-in for the notebook run
    monkeypatch.setattr(study, "execute_cell", lambda cell, *args: CellResult(cell.key, "ok"))
    status = {r.key: r.status for r in run_study(cells, tmp_path, workers=1, time_limit_minutes=5)}
    results = {(c.language, c.method, c.seed): status[c.key] for c in cells}
    # a language's own recorded time first (hau 10 min: no; yor 2 min: yes), else the method's median over the
    # languages (ibo: 6 min, no); a method with no record at all counts as 0 minutes
    assert results[("hau", "adversarial-e5", 1)] == "deferred" and results[("yor", "adversarial-e5", 2)] == "ok"
    assert results[("ibo", "adversarial-e5", 0)] == "deferred" and results[("ibo", "ensemble-mt-tt", 1)] == "ok"
    assert results[("hau", "adversarial-e5", 0)] == "skipped"
    assert len(read_records(tmp_path / "records")) == 3  # deferring writes nothing
    assert "5 deferred (time limit" in summarize([CellResult(k, s) for k, s in status.items()])  # hau 1-2, ibo 0-2


def test_a_seeded_method_needs_a_seed():
    with pytest.raises(ValueError, match="needs seed"):
        make_cell("smoke", "masakhaner2", "hau", "supervised-e5")


def test_run_resume_after_kill_and_report(tmp_path: Path, env: dict[str, str]):
    results = tmp_path / "results"
    run = [sys.executable, "-m", "xproj_lib.cli", "study", "run", "--profile", "smoke", *CELLS, "--workers", "1",
           "--results-dir", str(results)]
    proc = subprocess.Popen(run, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 240
    while not list((results / "records").rglob("*.jsonl")) and time.time() < deadline:
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)  # kill the runner and its kernels midway
    proc.wait()
    done_before = len(list((results / "records").rglob("*.jsonl")))
    assert done_before == 1, "the kill should have happened between the two cells"

    first_nb = next((results / "runs").rglob("*.ipynb"))
    try:  # the kill may land while papermill writes the notebook in place; the next run then reruns that cell
        json.loads(first_nb.read_text())
        expected = "1 ran ok, 1 skipped"
    except ValueError:
        expected = "2 ran ok, 0 skipped"
    second = xproj("study", "run", "--profile", "smoke", *CELLS, "--results-dir", str(results), env=env)
    assert second.returncode == 0, second.stderr
    assert expected in second.stdout
    records = read_records(results / "records")
    assert sorted(r.method for r in records) == ["heuristic-eflomal", "ngram-greedy-simalign"]
    assert all(r.status == "ok" and 0 <= r.metrics["f1"] <= 1 for r in records)
    for r in records:
        assert (results / "runs" / "europarl_ner" / "de" / f"{r.method}.html").is_file()

    third = xproj("study", "run", "--profile", "smoke", *CELLS, "--results-dir", str(results), env=env)
    assert "0 ran ok, 2 skipped" in third.stdout

    report = xproj("report", "--results-dir", str(results), env=env)
    assert report.returncode == 0, report.stderr
    assert (results / "tables" / "europarl_intrinsic.csv").is_file()
    assert (results / "figures" / "europarl_ner_heatmap.png").is_file()
    index = (results / "index.html").read_text()
    assert "report.html" in index and "heuristic-eflomal" in index
    for r in records:  # the cell killed before its rendering was settled by the next run too
        run_nb = json.loads((results / "runs" / "europarl_ner" / "de" / f"{r.method}.ipynb").read_text())
        assert "input_path" not in run_nb["metadata"]["papermill"]
    first_report = (results / "report.ipynb").read_bytes()
    assert xproj("report", "--results-dir", str(results), env=env).returncode == 0
    assert (results / "report.ipynb").read_bytes() == first_report, "an unchanged study rewrote its report notebook"


def test_resume_renders_a_killed_cell_and_reruns_one_whose_notebook_the_kill_truncated(tmp_path: Path):
    import nbformat

    cells = expand_cells("smoke", datasets=["europarl_ner"], methods=["heuristic-eflomal", "ngram-greedy-simalign"])
    whole, truncated = cells
    for cell in cells:
        cell.notebook_path(tmp_path).parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("a finished run")])
    nb.metadata["papermill"] = {"input_path": "notebooks/cell.ipynb"}
    nbformat.write(nb, whole.notebook_path(tmp_path))
    truncated.notebook_path(tmp_path).write_text('{"cells": [')
    assert study._settle_done(cells, tmp_path) == [truncated]
    assert whole.notebook_path(tmp_path).with_suffix(".html").is_file()
    assert "input_path" not in nbformat.read(whole.notebook_path(tmp_path), as_version=4).metadata["papermill"]
    assert not truncated.notebook_path(tmp_path).with_suffix(".html").exists()
    assert study._settle_done(cells, tmp_path) == [truncated]  # the rendered one is left alone


def test_failing_cell_is_recorded_and_new_language_is_one_file(tmp_path: Path, env: dict[str, str], data_dir: Path):
    params = tmp_path / "params"
    shutil.copytree(REPO / "params", params)
    (params / "methods" / "broken.yaml").write_text(
        "kind: projection\naligner: no-such-aligner\nprojection: {name: heuristic}\n")
    profile = (params / "profiles" / "smoke.yaml").read_text()
    (params / "profiles" / "smoke.yaml").write_text(
        profile.replace("methods: [heuristic-eflomal, ngram-greedy-simalign]", "methods: [heuristic-eflomal, broken]"))
    # a new language: one parameter file, and its data in the dataset layout
    (params / "languages" / "xyz.yaml").write_text(
        "iso639_3: xyz\nname: Testish\nscript: Latn\nfamily: Testic\ngenus: Testoid\nnllb: null\n"
        "word_split: whitespace\ndatasets:\n  masakhaner2: xyz\n")
    data = tmp_path / "data"
    data.mkdir()
    for entry in data_dir.iterdir():
        if entry.name != "masakhaner2":
            (data / entry.name).symlink_to(entry)
    (data / "masakhaner2" / "xyz").mkdir(parents=True)
    shutil.copy(data_dir / "masakhaner2" / "yor" / "test.txt", data / "masakhaner2" / "xyz" / "test.txt")
    env = {**env, "XPROJ_DATA_DIR": str(data)}
    results = tmp_path / "results"

    failing = xproj("study", "run", "--profile", "smoke", "--datasets", "europarl_ner", "--params-dir", str(params),
                    "--results-dir", str(results), env=env)
    assert failing.returncode == 1
    assert "1 ran ok, 0 skipped (already done), 1 failed" in failing.stdout and "FAILED europarl_ner/de/broken" in failing.stdout
    records = {r.method: r for r in read_records(results / "records")}
    assert records["heuristic-eflomal"].status == "ok"
    assert records["broken"].status == "failed" and "no-such-aligner" in records["broken"].error
    assert (results / "runs" / "europarl_ner" / "de" / "broken.ipynb").is_file()

    new = xproj("study", "run", "--profile", "smoke", "--languages", "xyz", "--methods", "model-transfer",
                "--params-dir", str(params), "--results-dir", str(results), env=env)
    assert new.returncode == 0, new.stdout + new.stderr
    (rec,) = [r for r in read_records(results / "records") if r.language == "xyz"]
    assert rec.status == "ok" and rec.metrics["n_sentences"] == 60  # the smoke plan's limit


def test_submitit_local_executor(tmp_path: Path, env: dict[str, str]):
    results = tmp_path / "results"
    out = xproj("study", "run", "--profile", "smoke", "--datasets", "europarl_ner", "--methods", "heuristic-eflomal",
                "--executor", "submitit", "--cluster", "local", "--results-dir", str(results),
                "--log-dir", str(tmp_path / "logs"), env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    (rec,) = read_records(results / "records")
    assert rec.status == "ok"
    assert list((tmp_path / "logs").rglob("*_result.pkl")) and not (results / "submitit").exists()


def test_notebook_path_is_relative_inside_the_repository_and_absolute_outside(tmp_path: Path) -> None:
    """Rendered notebooks must not record the machine's folders for paths inside the repository."""
    assert study.notebook_path(REPO / "params") == "params"
    assert study.notebook_path(tmp_path) == str(tmp_path.resolve())


def test_a_profile_pinned_to_other_source_model_weights_is_refused(tmp_path: Path):
    from xproj_lib.pipelines.components import source_model_weights

    params = tmp_path / "params"
    shutil.copytree(REPO / "params", params)
    smoke = params / "profiles" / "smoke.yaml"
    text = smoke.read_text()
    smoke.write_text(text + "\nsource_model_weights: '0000000000000000'\n")
    cells = expand_cells("smoke", datasets=["masakhaner2"], methods=["model-transfer"], params_dir=params)
    with pytest.raises(RuntimeError, match=r"weights 0000000000000000, and this machine trains [0-9a-f]{16}"):
        study.check_source_weights(cells, params)
    here = source_model_weights(study.load_profile("smoke", params).models)
    smoke.write_text(text + f"\nsource_model_weights: '{here}'\n")
    study.check_source_weights(cells, params)  # the weights this machine trains: no objection
    smoke.write_text(text)
    assert study.load_profile("smoke", params).source_model_weights is None
    unpinned = expand_cells("smoke", datasets=["masakhaner2"], methods=["model-transfer"], params_dir=params)
    assert [c.hash for c in unpinned] == [c.hash for c in cells], "the pin is no part of a cell's configuration"
    study.check_source_weights(unpinned, params)
