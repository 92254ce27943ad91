"""Resolve a model name to something ``from_pretrained`` can load, with a clear error offline.

A local folder is used as is. A hub id is looked up in the local Hugging Face cache first; when it
is not there, the hub is used only when online, and every failure ends in
:class:`ModelUnavailableError` naming the model and the two ways to provide it.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from huggingface_hub import hf_hub_download, snapshot_download
from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

_TRUE = {"1", "on", "yes", "true"}


class ModelUnavailableError(RuntimeError):
    """A model named by hub id or path cannot be found locally and cannot be fetched."""


def hub_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` is set (read at call time)."""
    return any(os.environ.get(flag, "").strip().lower() in _TRUE
               for flag in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _unavailable(name: str, why: str) -> ModelUnavailableError:
    """The error for a model that cannot be provided, with both remedies."""
    return ModelUnavailableError(
        f"model {name!r} is not available: {why}. Either run once with internet access (and without "
        f"HF_HUB_OFFLINE=1) so that it is downloaded into the Hugging Face cache, or pass a local model "
        f"folder instead (e.g. set the profile's model to a path saved with save_pretrained)."
    )


def _looks_like_path(name: str) -> bool:
    """Names that can only be file-system paths (absolute, ``./``, ``../``, ``~``, or >1 slash)."""
    return name.startswith((os.sep, ".", "~")) or name.count("/") > 1


def resolve_model(name_or_path: str) -> str:
    """Return a local folder (given, or the cached hub snapshot) or, online, the hub id itself.

    Raises :class:`ModelUnavailableError` when the model is neither local nor cached and the hub is
    offline (``HF_HUB_OFFLINE=1``) or unreachable, or when a path-like name does not exist.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise _unavailable(name_or_path, f"folder {path} has no config.json")
        return str(path)
    if _looks_like_path(name_or_path):
        raise _unavailable(name_or_path, f"no such folder {path}")
    try:
        cached = Path(snapshot_download(name_or_path, local_files_only=True))
        if (cached / "config.json").is_file():
            return str(cached)
    except HFValidationError as err:
        raise _unavailable(name_or_path, f"it is neither a folder nor a valid hub id ({err})") from err
    except LocalEntryNotFoundError:
        pass
    if hub_offline():
        raise _unavailable(name_or_path, "it is not in the local Hugging Face cache and the hub is offline")
    try:
        hf_hub_download(name_or_path, "config.json")
    except Exception as err:  # any network, auth or not-found failure of the hub means "unavailable"
        raise _unavailable(name_or_path, f"the Hugging Face hub could not provide it ({err})") from err
    return name_or_path


_FINGERPRINTS: dict[tuple, str] = {}


def model_fingerprint(name_or_path: str) -> str:
    """A content hash of a local model folder's files (memoised by path, size and mtime)."""
    folder = Path(resolve_model(name_or_path))
    if not folder.is_dir():
        return f"hub:{name_or_path}"  # online, not cached: the hub id is all we know
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    stamp = (str(folder), tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if stamp not in _FINGERPRINTS:
        digest = hashlib.sha256()
        for path in files:
            digest.update(str(path.relative_to(folder)).encode())
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 23):
                    digest.update(chunk)
        _FINGERPRINTS[stamp] = digest.hexdigest()
    return _FINGERPRINTS[stamp]
