"""``xproj data check``: read every dataset file, count, and compare with ``params/data_manifest.yaml``.

The manifest is transcribed from ``shared/data/README.md``. Every read error, count mismatch, or
disagreement between the manifest and the registry is an error; tag repairs and dropped empty tokens
are reported per file.
"""
from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .data import read_parallel_text
from .datasets import DATASETS, data_root, get_dataset, load_ner_with_report, load_parallel
from .languages import params_root

Row = dict[str, Any]
COUNT_KEYS = ("sentences", "tokens", "entities")


def manifest_path(params_dir: Path | str | None = None) -> Path:
    """The committed manifest of expected counts."""
    return params_root(params_dir) / "data_manifest.yaml"


def load_manifest(params_dir: Path | str | None = None) -> dict[str, Any]:
    """The manifest as a dict (dataset -> splits, per-language count lists)."""
    return yaml.safe_load(manifest_path(params_dir).read_text(encoding="utf-8"))


def _expected(entry: dict[str, Any], key: str, code: str, split: str) -> int | None:
    values = entry.get(key, {}).get(code)
    return None if values is None else values[entry["splits"].index(split)]


def _read_one(dataset: str, code: str, split: str, data_dir: str | None, params_dir: str | None) -> Row:
    """Read one split and return its counts (or the error) as a table row."""
    row: Row = {"dataset": dataset, "lang": code, "split": split}
    try:
        if get_dataset(dataset).kind == "parallel":
            src, tgt = code.split("-")
            row["sentences"] = len(load_parallel(src, tgt, split, data_dir=data_dir, params_dir=params_dir))
        else:
            sentences, report = load_ner_with_report(dataset, code, split, data_dir=data_dir, params_dir=params_dir)
            row.update(sentences=report.sentences, tokens=report.tokens, entities=report.entities,
                       repairs=report.repairs, dropped=report.dropped_empty_tokens)
            if dataset == "wikiann":
                row["hash_tokens"] = sum(s.tokens.count("#") for s in sentences)
                row["hash_initial"] = sum(s.tokens[0] == "#" for s in sentences)
    except Exception as err:  # every failure becomes a reported error row
        row["error"] = f"{type(err).__name__}: {err}"
    return row


def _planned(
    manifest: dict[str, Any], names: list[str], params_dir: str | None
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """The (dataset, code, split) reads to do, and manifest/registry disagreements."""
    jobs: list[tuple[str, str, str]] = []
    errors: list[str] = []
    for name in names:
        entry = manifest.get(name)
        if entry is None:
            errors.append(f"{name}: not in the manifest {manifest_path(params_dir)}")
            continue
        counts = entry.get("segments") or entry["sentences"]
        absent = set(entry.get("absent", []))
        for i, split in enumerate(entry["splits"]):
            registry = set(DATASETS[name].codes(split, params_dir))
            listed = {code for code, values in counts.items() if values[i] is not None}
            for code in sorted(registry - listed - absent):
                errors.append(f"{name} {code} {split}: in the registry but not in the manifest")
            for code in sorted(listed - registry):
                errors.append(f"{name} {code} {split}: in the manifest but not in the registry/language files")
            jobs += [(name, code, split) for code in sorted(listed & registry)]
    return jobs, errors


def _compare(row: Row, manifest: dict[str, Any]) -> list[str]:
    """Differences between a row's counts and the manifest (the row gains ``expected_*`` fields)."""
    where = f"{row['dataset']} {row['lang']} {row['split']}"
    if "error" in row:
        return [f"{where}: {row['error']}"]
    entry = manifest[row["dataset"]]
    problems = []
    for key in COUNT_KEYS:
        source = "segments" if key == "sentences" and "segments" in entry else key
        expected = _expected(entry, source, row["lang"], row["split"])
        row[f"expected_{key}"] = expected
        if expected is not None and row.get(key) != expected:
            problems.append(f"{where}: {key} {row.get(key)} != expected {expected}")
    return problems


def _dataset_checks(name: str, rows: list[Row], manifest: dict[str, Any], data_dir: str | None) -> list[str]:
    """Whole-dataset checks: MasakhaNER totals, Europarl parallelism, MAFAND text files the loader skips."""
    entry = manifest[name]
    mine = [r for r in rows if r["dataset"] == name and "error" not in r]
    errors = []
    for i, split in enumerate(entry["splits"]):
        if "totals" in entry:
            total = sum(r["sentences"] for r in mine if r["split"] == split)
            if total != entry["totals"][i]:
                errors.append(f"{name} {split}: total {total} sentences != expected {entry['totals'][i]}")
        if DATASETS[name].parallel:
            counts = {r["lang"]: r["sentences"] for r in mine if r["split"] == split}
            if len(set(counts.values())) > 1:
                errors.append(f"{name} {split}: files are not parallel, sentence counts differ: {counts}")
    ds = DATASETS[name]
    for key, expected in entry.get("text_files", {}).items():
        pair, split = key.split("/")
        src, tgt = pair.split("-")
        paths = [data_root(data_dir) / ds.path.format(code=pair, split=split, side=side) for side in (src, tgt)]
        try:
            n = len(read_parallel_text(paths[0], paths[1], src, tgt))
        except Exception as err:  # reported, not raised
            errors.append(f"{name} {key} text files: {type(err).__name__}: {err}")
            continue
        if n != expected:
            errors.append(f"{name} {key} text files: {n} segments != expected {expected}")
    return errors


def check(
    data_dir: Path | str | None = None, *, datasets: list[str] | None = None,
    params_dir: Path | str | None = None, jobs: int | None = None,
) -> tuple[list[Row], list[str]]:
    """Read every split the manifest lists (of ``datasets``, default all); return per-split rows and errors."""
    manifest = load_manifest(params_dir)
    names = [get_dataset(n).name for n in datasets] if datasets else list(DATASETS)
    params = None if params_dir is None else str(params_dir)
    root = None if data_dir is None else str(data_dir)
    planned, errors = _planned(manifest, names, params)
    planned.sort(key=lambda job: job[0] != "wikiann")  # many small files first spreads the pool's work
    workers = jobs or min(4, os.cpu_count() or 1)
    n = len(planned)
    if workers == 1 or n < 2:
        rows = [_read_one(*job, root, params) for job in planned]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(_read_one, *zip(*planned), [root] * n, [params] * n, chunksize=4))
    for row in rows:
        errors += _compare(row, manifest)
    for name in names:
        if name in manifest:
            errors += _dataset_checks(name, rows, manifest, root)
    return rows, errors


def main(data_dir: Path | str | None = None, datasets: list[str] | None = None) -> int:
    """Print the count table and any errors; return 0 if everything matches the manifest, else 1."""
    start = time.perf_counter()
    rows, errors = check(data_dir, datasets=datasets)
    table = pd.DataFrame(rows)
    if not table.empty:
        table["status"] = ["error" if "error" in r else "ok" for r in rows]
        columns = [c for c in ("dataset", "lang", "split", "sentences", "expected_sentences", "tokens", "entities",
                               "repairs", "dropped", "hash_tokens", "hash_initial", "status") if c in table]
        print(table[columns].to_markdown(index=False, floatfmt=".0f"))
        print(f"\n{len(rows)} splits read in {time.perf_counter() - start:.1f}s")
        if "repairs" in table:
            ner = table[table["repairs"].notna()]
            for name, group in ner.groupby("dataset", sort=False):
                print(f"  {name}: {int(group['repairs'].sum())} orphan I- tags repaired, "
                      f"{int(group['dropped'].sum())} empty tokens dropped")
    if errors:
        print(f"\n{len(errors)} problem(s):", file=sys.stderr)
        for err in errors:
            print(f"  - {err}", file=sys.stderr)
        return 1
    print("All counts match the manifest.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
