"""Content-keyed on-disk cache for models, translations, alignments and other artefacts.

Location: ``$XPROJ_CACHE_DIR`` (default ``~/.cache/xproj``). Keys are SHA-256 hashes of a
canonical JSON rendering of everything that determines the artefact. Writes are atomic, and a file lock
makes parallel workers compute each artefact once.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock


def cache_dir(*parts: str) -> Path:
    """Return (and create) a folder inside the xproj cache."""
    root = Path(os.environ.get("XPROJ_CACHE_DIR", Path.home() / ".cache" / "xproj"))
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def content_key(obj: Any) -> str:
    """A stable hex digest of a JSON-serialisable object."""
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached_json(namespace: str, key_obj: Any, compute: Callable[[], Any]) -> Any:
    """Return the cached JSON value for ``key_obj`` in ``namespace``, computing and storing it on a miss."""
    path = cache_dir(namespace) / f"{content_key(key_obj)}.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    # Parallel workers asking for the same artefact: the first computes it, the others wait and read it.
    with FileLock(str(path) + ".lock"):
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
        value = compute()
        atomic_write_text(path, json.dumps(value, ensure_ascii=False))
    return value


def built_folder(name: str, build: Callable[[Path], Any]) -> Path:
    """``cache_dir("models")/name``, built once by ``build(folder)`` in a temporary folder and renamed into place."""
    folder = cache_dir("models") / name
    if (folder / "config.json").is_file():
        return folder
    with FileLock(str(folder) + ".lock"):
        if not (folder / "config.json").is_file():
            tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".tmp-{name}-"))
            try:
                build(tmp)
                if folder.exists():  # a partial folder from an interrupted older layout
                    shutil.rmtree(folder)
                os.replace(tmp, folder)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    return folder


def publish_folder(tmp: Path, final: Path, marker: str) -> None:
    """Rename a finished temporary folder into place; if another process published ``final`` (with its
    ``marker`` file) first, keep theirs and drop ours."""
    try:
        os.rename(tmp, final)
    except OSError:
        if not (final / marker).is_file():
            raise
        shutil.rmtree(tmp)
