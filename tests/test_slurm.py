"""The study on a real SLURM controller through submitit (marked ``slurm``; `.ci/run` starts a one-node cluster
with scripts/slurm_local.sh first; skipped, saying why, where no controller answers)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xproj_lib.records import read_records

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slurm


def _controller() -> str | None:
    """Why SLURM cannot be used here, or None when a controller answers and partition xproj is up."""
    if not shutil.which("sbatch"):
        return "no SLURM client (sbatch) installed: run `bash scripts/slurm_local.sh start`"
    ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True)
    if ping.returncode != 0 or "UP" not in ping.stdout:
        return f"no SLURM controller answers (scontrol ping: {ping.stdout.strip() or ping.stderr.strip()})"
    if not subprocess.run(["sinfo", "-h", "-p", "xproj"], capture_output=True, text=True).stdout.strip():
        return "SLURM has no partition 'xproj' (scripts/slurm_local.sh creates it)"
    return None


@pytest.fixture(scope="module")
def slurm_env(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, str]:
    reason = _controller()
    if reason:
        pytest.skip(reason)
    return {**os.environ, "XPROJ_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "XPROJ_CACHE_DIR": os.environ.get("XPROJ_CACHE_DIR", str(Path.home() / ".cache" / "xproj"))}


def _run(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:  # noqa: ANN003
    return subprocess.run([sys.executable, "-m", "xproj_lib.cli", "study", "run", "--profile", "smoke",
                           "--executor", "submitit", "--cluster", "slurm", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, **kw)


def _sacct(job_ids: list[str]) -> dict[str, dict[str, str]]:
    fields = "JobID,JobName,Partition,State,ReqCPUS,ReqMem,Timelimit"
    out = subprocess.run(["sacct", "-n", "-P", "-X", "-j", ",".join(job_ids), "-o", fields],
                         capture_output=True, text=True, check=True).stdout
    return {line.split("|")[0]: dict(zip(fields.split(","), line.split("|"))) for line in out.splitlines()}


def _job_ids(logs: Path) -> list[str]:
    return sorted({p.name.split("_")[0] + ("_" + p.name.split("_")[1] if p.name.count("_") > 2 else "")
                   for p in logs.rglob("*_submitted.pkl")})


def test_cells_run_as_slurm_jobs_a_failure_is_recorded(tmp_path: Path, slurm_env: dict[str, str]):
    params = tmp_path / "params"
    shutil.copytree(REPO / "params", params)
    (params / "methods" / "broken.yaml").write_text(
        "kind: projection\naligner: no-such-aligner\nprojection: {name: heuristic}\n")
    profile = (params / "profiles" / "smoke.yaml").read_text()
    (params / "profiles" / "smoke.yaml").write_text(profile.replace(
        "methods: [heuristic-eflomal, ngram-greedy-simalign]", "methods: [heuristic-eflomal, ngram-greedy-simalign, broken]"))
    results, logs = tmp_path / "results", tmp_path / "logs"
    out = _run(["--datasets", "europarl_ner", "--params-dir", str(params), "--results-dir", str(results),
                "--log-dir", str(logs)], slurm_env, timeout=900)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "2 ran ok, 0 skipped (already done), 1 failed" in out.stdout
    records = {r.method: r for r in read_records(results / "records")}
    assert records["heuristic-eflomal"].status == "ok" and records["ngram-greedy-simalign"].status == "ok"
    assert records["broken"].status == "failed" and "no-such-aligner" in records["broken"].error
    for method in records:  # rendered exactly where the local executor puts them
        assert (results / "runs" / "europarl_ner" / "de" / f"{method}.html").is_file()
    jobs = _sacct([j.split("_")[0] for j in _job_ids(logs)])
    assert len(jobs) == 3, jobs  # one SLURM job (array task) per cell
    for job in jobs.values():  # the profile's resources (smoke: 1 CPU, 2 GB, 15 min) in the submission
        assert job["Partition"] == "xproj" and job["State"] == "COMPLETED", job
        assert job["ReqCPUS"] == "1" and job["ReqMem"] in ("2G", "2048M") and job["Timelimit"] == "00:15:00", job


def test_scancel_then_rerun_runs_only_the_missing_cells(tmp_path: Path, slurm_env: dict[str, str]):
    results, logs = tmp_path / "results", tmp_path / "logs"
    args = ["--datasets", "europarl_ner", "masakhaner2", "--methods", "heuristic-eflomal", "ngram-greedy-simalign",
            "model-transfer", "--results-dir", str(results), "--log-dir", str(logs)]
    proc = subprocess.Popen([sys.executable, "-m", "xproj_lib.cli", "study", "run", "--profile", "smoke",
                             "--executor", "submitit", "--cluster", "slurm", *args], env=slurm_env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    cancelled, deadline = None, time.time() + 300
    while cancelled is None and time.time() < deadline:
        running = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-n", "xproj", "-o", "%i"],
                                 capture_output=True, text=True).stdout.split()
        if running:
            cancelled = running[0]
            subprocess.run(["scancel", cancelled], check=True)
        time.sleep(0.5)
    assert cancelled, "no job was ever seen running"
    try:
        output, _ = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1 and "SLURM job" in output and "ended without a result" in output, output
    done = {r.method for r in read_records(results / "records") if r.status == "ok"}
    assert len(done) == 2, done  # the cancelled cell wrote no record
    rerun = _run(args, slurm_env, timeout=900)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "1 ran ok, 2 skipped (already done), 0 failed" in rerun.stdout
    assert {r.method for r in read_records(results / "records") if r.status == "ok"} == \
        {"heuristic-eflomal", "ngram-greedy-simalign", "model-transfer"}
