"""Test-wide settings: offline hub, one torch thread, empty caches, datasets from XPROJ_DATA_DIR."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

for _flag in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_flag, "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# An empty Hugging Face home and xproj cache, removed at exit: no test can pass because a model, alignment or
# prediction happens to be cached on this machine, and the tests' tiny models stay out of the user's cache.
_SCRATCH = Path(tempfile.mkdtemp(prefix="xproj-tests-"))
os.environ["HF_HOME"] = str(_SCRATCH / "hf-home")
os.environ["XPROJ_CACHE_DIR"] = str(_SCRATCH / "cache")
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)


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
