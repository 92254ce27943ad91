"""Model resolution: local folders, the HF cache, and the clear offline error."""
from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import constants

from xproj_lib.models import ModelUnavailableError, resolve_model


def test_local_folder_is_returned_as_is(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path)) == str(tmp_path)


def test_folder_without_config_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="no config.json"):
        resolve_model(str(tmp_path))


def test_missing_path_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="no such folder"):
        resolve_model(str(tmp_path / "absent"))


def test_uncached_hub_id_offline_names_model_and_remedies(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelUnavailableError) as info:
        resolve_model("xproj-made-up/no-such-model-42")
    message = str(info.value)
    assert "xproj-made-up/no-such-model-42" in message
    assert "internet" in message and "local model folder" in message


def test_cached_hub_id_resolves_to_snapshot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    commit = "0" * 40
    repo = tmp_path / "models--xproj-test--cached"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    assert Path(resolve_model("xproj-test/cached")) == snapshot
