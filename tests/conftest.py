"""Test-wide settings: offline hub, one torch thread, datasets from XPROJ_DATA_DIR."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

for _flag in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_flag, "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# An empty Hugging Face home: no test can pass because a model happens to be cached on this machine.
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="xproj-hf-home-")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared datasets; tests that need them skip loudly only if the variable is unset."""
    value = os.environ.get("XPROJ_DATA_DIR")
    if not value:
        default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
        if default.is_dir():
            return default
        pytest.fail("XPROJ_DATA_DIR is not set and ../shared/data does not exist")
    return Path(value).resolve()
