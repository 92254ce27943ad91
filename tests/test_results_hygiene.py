"""What is committed stays small, portable and tidy: no machine path under results/, results/ under 40 MB, and
nothing at the repository root but the project's own folders and files."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from xproj_lib.paths import CACHE_VAR, portable, portable_values, resolve

REPO = Path(__file__).resolve().parents[1]
MACHINE_PATH = re.compile(rb"/(work|tmp|home|root)/")
ROOT_ENTRIES = {".ci", ".gitignore", "README.md", "benchmarks", "docs", "environment.yml", "notebooks", "params",
                "pyproject.toml", "requirements.txt", "results", "scripts", "tests", "xproj_lib"}
RESULTS_LIMIT_MB = 40


def tracked(*paths: str) -> list[Path]:
    """The files git tracks under ``paths`` (the repository's committed view), or skip outside a checkout."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", *paths], cwd=REPO, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [REPO / p for p in out.stdout.decode().split("\0") if p and (REPO / p).is_file()]


def test_no_machine_path_in_committed_results():
    offenders = [str(p.relative_to(REPO)) for p in tracked("results") if MACHINE_PATH.search(p.read_bytes())]
    assert not offenders, f"{len(offenders)} committed files under results/ name a machine path, e.g. {offenders[:5]}"


def test_committed_results_are_small():
    size = sum(p.stat().st_size for p in tracked("results")) / 2**20
    assert size < RESULTS_LIMIT_MB, f"results/ holds {size:.1f} MB (limit {RESULTS_LIMIT_MB} MB)"
    notebooks = [str(p.relative_to(REPO)) for p in tracked("results/runs") if p.suffix == ".ipynb"]
    assert not notebooks, f"run notebooks are committed as their HTML pages only: {notebooks[:5]}"


def test_repository_root_is_tidy():
    entries = {p.relative_to(REPO).parts[0] for p in tracked()}
    assert entries <= ROOT_ENTRIES, f"unexpected entries at the repository root: {sorted(entries - ROOT_ENTRIES)}"
    archives = [str(p.relative_to(REPO)) for p in tracked() if p.suffix in (".whl", ".gz", ".zip", ".pkl")]
    assert not archives, f"committed archives or pickles: {archives}"


def test_portable_paths_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XPROJ_DATA_DIR", str(tmp_path / "data" / ".." / "data"))
    model = tmp_path / "cache" / "models" / "ner-abc"
    assert portable(f"loaded from {model}") == f"loaded from {CACHE_VAR}/models/ner-abc"
    assert resolve(f"{CACHE_VAR}/models/ner-abc") == model
    assert portable(f"{tmp_path}/data/masakhaner2/hau/test.txt: repaired") == \
        "$XPROJ_DATA_DIR/masakhaner2/hau/test.txt: repaired"
    assert portable(f"{tmp_path}/data/../data/x.txt") == "$XPROJ_DATA_DIR/x.txt"
    assert portable(str(REPO / "params")) == "./params"
    assert portable_values({"a": [str(model), 1], "b": None}) == {"a": [f"{CACHE_VAR}/models/ner-abc", 1], "b": None}
    assert portable("/somewhere/else") == "/somewhere/else"


def test_every_committed_run_page_has_its_record():
    """A rendered run whose record was removed (re-keyed, retired method) is a page no table or link reaches."""
    from xproj_lib.records import read_records, run_name

    runs = {p.relative_to(REPO / "results" / "runs").with_suffix("").as_posix()
            for p in tracked("results/runs") if p.suffix in (".ipynb", ".html")}
    named = {f"{r.dataset}/{r.language}/{run_name(r.method, r.seed)}" for r in read_records(REPO / "results" / "records")}
    orphans = sorted(runs - named)
    assert not orphans, f"{len(orphans)} rendered runs under results/runs/ have no record: {orphans[:5]}"
