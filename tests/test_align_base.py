"""The aligner interface: input validation, result checks, the on-disk cache and the factory."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import constants

from xproj_lib.align import AlignmentResult, Aligner, build_aligner, default_layer
from xproj_lib.align.base import WordPair
from xproj_lib.models import ModelUnavailableError


@dataclass
class Diagonal(Aligner):
    """Links i-i; counts how often it really ran."""

    offset: int = 0
    calls: int = 0

    def config(self) -> dict[str, Any]:
        return {"aligner": "diagonal", "offset": self.offset}

    def _align(self, pairs: list[WordPair]) -> list[AlignmentResult]:
        self.calls += 1
        return [AlignmentResult([(i, i + self.offset) for i in range(min(len(s), len(t)))]) for s, t in pairs]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_cache_is_keyed_by_config_and_words() -> None:
    aligner = Diagonal()
    pairs = [(["a", "b"], ["x", "y", "z"])]
    first = aligner.align(pairs)
    assert aligner.align(pairs) == first and aligner.calls == 1
    aligner.align([(["a", "c"], ["x", "y", "z"])])
    assert aligner.calls == 2
    other = Diagonal(offset=0)
    other.align(pairs)
    assert other.calls == 0  # same config, same words: served from disk
    uncached = Diagonal(cache=False)
    uncached.align(pairs)
    uncached.align(pairs)
    assert uncached.calls == 2


def test_out_of_bounds_links_fail_loudly() -> None:
    with pytest.raises(RuntimeError, match=r"pair 0: links out of bounds \[\(1, 2\)\]"):
        Diagonal(offset=1, cache=False).align([(["a", "b"], ["x", "y"])])


def test_malformed_input_names_the_pair() -> None:
    with pytest.raises(ValueError, match="pair 1: source must be a list of word strings"):
        Diagonal().align([(["a"], ["b"]), ("a b", ["c"])])
    with pytest.raises(ValueError, match="pair 0: expected"):
        Diagonal().align([(["a"],)])


def test_json_round_trip() -> None:
    result = AlignmentResult([(0, 1), (2, 0)], [0.5, 0.25], dropped_src=3)
    assert AlignmentResult.from_json(result.to_json()) == result


def test_paper_profile_offline_fails_with_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))
    with pytest.raises(ModelUnavailableError, match="bert-base-multilingual-cased"):
        build_aligner("awesome", profile="paper")


def test_factory_rejects_inconsistent_requests() -> None:
    with pytest.raises(ValueError, match="unknown aligner"):
        build_aligner("fast_align")
    with pytest.raises(ValueError, match="pass layer="):
        build_aligner("simalign", model="/some/model")
    with pytest.raises(ValueError, match="eflomal uses no encoder"):
        build_aligner("eflomal", layer=3)
    with pytest.raises(ValueError, match="unknown profile"):
        default_layer("fast")
    assert default_layer("paper") == 8
