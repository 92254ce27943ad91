"""Result records: one schema for every (dataset, language, method) cell, stored as JSON lines.

Each cell is written atomically to ``results/records/<dataset>/<language>/<method>-<config_hash>.jsonl``
(one line per record), so parallel workers never share a file and a killed run leaves no partial record.
"""
from __future__ import annotations

import datetime as _dt
import importlib.metadata
import platform
import sys
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from .cache import atomic_write_text, content_key
from .paths import portable_values

TRACKED_PACKAGES = ("xproj", "torch", "transformers", "seqeval", "numpy", "pulp", "simalign", "eflomal", "sklearn-crfsuite")


def package_versions() -> dict[str, str]:
    """Versions of the packages that determine a result (missing ones are reported as 'absent'), and, where the
    cell ran torch, the instruction set its CPU kernels dispatched to (``cpu_capability``: AVX2, AVX512, ...):
    float32 training differs with it, so the same cache key trains other weights on another kind of CPU."""
    versions = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "absent"
    torch = sys.modules.get("torch")
    if torch is not None:
        versions["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
    return versions


def config_hash(config: dict[str, Any]) -> str:
    """Short stable hash of a configuration (what decides whether a cell must be rerun)."""
    return content_key(config)[:12]


class ResultRecord(BaseModel):
    """The outcome of one study cell."""

    dataset: str
    language: str
    method: str
    config: dict[str, Any]
    config_hash: str
    status: Literal["ok", "failed"] = "ok"
    metrics: dict[str, Any] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    versions: dict[str, str] = Field(default_factory=package_versions)
    seed: int | None = None
    error: str | None = None
    notes: str = ""
    created: str = Field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))

    @classmethod
    def for_config(cls, dataset: str, language: str, method: str, config: dict[str, Any], **fields: Any) -> "ResultRecord":
        """Build a record whose hash is computed from ``config``."""
        return cls(dataset=dataset, language=language, method=method, config=config,
                   config_hash=config_hash(config), **fields)

    def path(self, root: Path) -> Path:
        """Where this record lives below the records root."""
        return root / self.dataset / self.language / f"{self.method}-{self.config_hash}.jsonl"


def write_record(record: ResultRecord, root: Path) -> Path:
    """Write one record atomically, the paths in its metrics and error made portable (:mod:`xproj_lib.paths`);
    returns its path."""
    path = record.path(root)
    record = record.model_copy(update={"metrics": portable_values(record.metrics),
                                       "error": portable_values(record.error)})
    atomic_write_text(path, record.model_dump_json() + "\n")
    return path


def read_record_file(path: Path) -> list[ResultRecord]:
    """The records of one ``.jsonl`` file, oldest first; a malformed line raises naming the file and line."""
    records: list[ResultRecord] = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(ResultRecord.model_validate_json(line))
        except ValueError as exc:
            raise ValueError(f"{path}:{lineno}: not a valid result record: {exc}") from exc
    return records


def run_name(method: str, seed: float | int | None) -> str:
    """A cell's run name (its rendered notebook's stem): the method, with ``-seed<N>`` for methods that train
    (a NaN seed, as a pandas frame holds a missing one, counts as none)."""
    return method if seed is None or pd.isna(seed) else f"{method}-seed{int(seed)}"


def read_records(root: Path) -> list[ResultRecord]:
    """Read every record below ``root``; a malformed line raises naming its file and line."""
    return [record for path in sorted(Path(root).rglob("*.jsonl")) for record in read_record_file(path)]


def latest_records(records: list[ResultRecord]) -> list[ResultRecord]:
    """The newest record of each (dataset, language, method, seed): older configurations are history, not seeds."""
    latest: dict[tuple, ResultRecord] = {}
    for rec in sorted(records, key=lambda r: r.created):
        latest[(rec.dataset, rec.language, rec.method, rec.seed)] = rec
    return list(latest.values())


def trained_model(stats: dict[str, Any]) -> str | None:
    """The model a record's metrics (or an ensemble member's stats) name: its target model's folder name, else its
    source model's; None when it names neither."""
    for part in ("target_model", "source_model"):
        model_dir = (stats.get(part) or {}).get("model_dir")
        if model_dir:
            return Path(model_dir).name
    return None


def records_frame(records: list[ResultRecord]) -> pd.DataFrame:
    """Flatten records into a table: one row per record, overall metrics and timings as columns, the record's
    model (:func:`trained_model`) and, for an ensemble, ``members``: each member's model and own test F1 (None
    in records older than that score)."""
    rows = []
    for r in records:
        members = r.metrics.get("members")
        row = {"dataset": r.dataset, "lang": r.language, "method": r.method, "status": r.status,
               "profile": r.config.get("profile"), "pipeline": r.config.get("pipeline"),
               "seed": r.seed, "config_hash": r.config_hash, "created": r.created, "error": r.error,
               "model": trained_model(r.metrics),
               "members": {name: {"model": trained_model(m), "f1": (m.get("test") or {}).get("f1")}
                           for name, m in members.items()} if isinstance(members, dict) else None}
        row.update({k: v for k, v in r.metrics.items() if isinstance(v, (int, float))})
        row.update({f"time_{k}": v for k, v in r.timings.items()})
        rows.append(row)
    return pd.DataFrame(rows)

