"""`xproj data check`: counts against the manifest, mismatches and read errors are reported and fail."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from xproj_lib import datacheck

REPO_PARAMS = Path(__file__).resolve().parents[1] / "params"


def params_with_manifest(tmp_path: Path, edit) -> Path:
    params = tmp_path / "params"
    shutil.copytree(REPO_PARAMS / "languages", params / "languages")
    manifest = datacheck.load_manifest()
    edit(manifest)
    (params / "data_manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return params


def test_small_datasets_match_manifest(data_dir: Path) -> None:
    rows, errors = datacheck.check(data_dir, datasets=["europarl_ner", "conll2003"], jobs=1)
    assert errors == []
    by_key = {(r["dataset"], r["lang"], r["split"]): r for r in rows}
    assert by_key[("europarl_ner", "en", "test")]["entities"] == 702
    assert by_key[("conll2003", "en", "train")]["tokens"] == 203621
    assert len(rows) == 7


def test_mismatch_is_named(data_dir: Path, tmp_path: Path) -> None:
    def edit(m: dict) -> None:
        m["europarl_ner"]["tokens"]["de"] = [20000]

    params = params_with_manifest(tmp_path, edit)
    _, errors = datacheck.check(data_dir, datasets=["europarl_ner"], params_dir=params, jobs=1)
    assert errors == ["europarl_ner de test: tokens 20187 != expected 20000"]


def test_manifest_and_registry_must_agree(data_dir: Path, tmp_path: Path) -> None:
    def edit(m: dict) -> None:
        del m["europarl_ner"]["sentences"]["it"]
        m["europarl_ner"]["sentences"]["fr"] = [799]

    params = params_with_manifest(tmp_path, edit)
    _, errors = datacheck.check(data_dir, datasets=["europarl_ner"], params_dir=params, jobs=1)
    assert "europarl_ner it test: in the registry but not in the manifest" in errors
    assert "europarl_ner fr test: in the manifest but not in the registry/language files" in errors


def test_read_errors_and_non_parallel_files_fail(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = tmp_path / "data" / "europarl_ner"
    shutil.copytree(data_dir / "europarl_ner", data)
    es = data / "es-europarl.test.conll02"
    lines = es.read_text(encoding="utf-8").split("\n")
    lines[2] = lines[2].split("\t")[0] + "\tB-PERSON"
    es.write_text("\n".join(lines), encoding="utf-8")
    it = data / "it-europarl.test.conll02"
    it.write_text(it.read_text(encoding="utf-8").split("\n\n", 1)[1], encoding="utf-8")
    _, errors = datacheck.check(tmp_path / "data", datasets=["europarl_ner"], jobs=1)
    assert any(f"{es}, line 3: unknown tag 'B-PERSON'" in e for e in errors)
    assert any("sentences 798 != expected 799" in e and "europarl_ner it" in e for e in errors)
    assert any("not parallel" in e for e in errors)
    assert datacheck.main(tmp_path / "data", datasets=["europarl_ner"]) == 1
    captured = capsys.readouterr()
    assert "unknown tag 'B-PERSON'" in captured.err and "| europarl_ner |" in captured.out


def test_main_prints_table_and_succeeds(data_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert datacheck.main(data_dir, datasets=["conll2003"]) == 0
    out = capsys.readouterr().out
    assert "| conll2003 " in out and "14041" in out and "All counts match the manifest." in out


@pytest.mark.slow
def test_full_check_matches_readme(data_dir: Path) -> None:
    rows, errors = datacheck.check(data_dir)
    assert errors == []
    assert len(rows) == 213
