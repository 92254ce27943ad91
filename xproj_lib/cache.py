"""Content-keyed on-disk cache for models, translations, alignments and other artefacts.

Location: ``$XPROJ_CACHE_DIR`` (default ``~/.cache/xproj``). Keys are SHA-256 hashes of a
canonical JSON rendering of everything that determines the artefact. Writes are atomic, and a file lock
makes parallel workers compute each artefact once.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from filelock import FileLock

from .paths import cache_root


def cache_dir(*parts: str) -> Path:
    """Return (and create) a folder inside the xproj cache."""
    path = cache_root().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def content_key(obj: Any) -> str:
    """A stable hex digest of a JSON-serialisable object."""
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def atomic_write(path: Path, write: Callable[[BinaryIO], Any]) -> None:
    """Write ``path`` through a temporary file (``write`` fills it) and a rename; the file gets the mode an
    ordinary ``open`` would give it (mkstemp's 0600 would hide a results page from a web server)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for open()
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename."""
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def _cached(path: Path, read: Callable[[Path], Any], write: Callable[[Path, Any], None],
            compute: Callable[[], Any]) -> Any:
    """Read ``path`` if it exists, else compute, write atomically and return the value."""
    if path.exists():
        return read(path)
    # Parallel workers asking for the same artefact: the first computes it, the others wait and read it.
    with FileLock(str(path) + ".lock"):
        if path.exists():
            return read(path)
        value = compute()
        write(path, value)
    return value


def cached_json(namespace: str, key_obj: Any, compute: Callable[[], Any]) -> Any:
    """Return the cached JSON value for ``key_obj`` in ``namespace``, computing and storing it on a miss."""
    return _cached(cache_dir(namespace) / f"{content_key(key_obj)}.json",
                   lambda path: json.loads(path.read_text(encoding="utf-8")),
                   lambda path, value: atomic_write_text(path, json.dumps(value, ensure_ascii=False)),
                   compute)


def _read_arrays(path: Path) -> list[np.ndarray]:
    with np.load(path) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def cached_arrays(namespace: str, key_obj: Any, compute: Callable[[], list[np.ndarray]]) -> list[np.ndarray]:
    """Like :func:`cached_json` for a list of numpy arrays (stored exactly, in one ``.npz`` file)."""
    return _cached(cache_dir(namespace) / f"{content_key(key_obj)}.npz", _read_arrays,
                   lambda path, arrays: atomic_write(path, lambda handle: np.savez(handle, *arrays)), compute)


def built_folder(folder: Path, build: Callable[[Path], Any], marker: str = "config.json") -> bool:
    """Make sure ``folder`` is complete (its ``marker`` file exists), else build it; return whether this call built it.

    ``build(tmp)`` writes into a temporary sibling folder that is renamed into place, so a folder is never seen
    half-written; a file lock makes parallel callers wait for the first builder and reuse its folder.
    """
    if (folder / marker).is_file():
        return False
    with FileLock(str(folder) + ".lock"):
        if (folder / marker).is_file():
            return False
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".tmp-{folder.name[:40]}-"))
        try:
            build(tmp)
            if folder.exists():  # left by an interrupted run of an older layout
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return True
