"""Portable paths: what committed files (records, notebooks, logs) say instead of this machine's folders.

A result record or a rendered notebook is read on other machines, so it names the cache as ``$XPROJ_CACHE_DIR``,
the data as ``$XPROJ_DATA_DIR`` and the repository as ``.``; :func:`resolve` turns a cache path back into a folder
here. :func:`portable_logs` applies :func:`portable` to every log message (the data loader's repairs, transformers'
load reports), so a notebook's output names no machine's folder either.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CACHE_VAR, DATA_VAR = "$XPROJ_CACHE_DIR", "$XPROJ_DATA_DIR"


def cache_root() -> Path:
    """The cache root, as :func:`xproj_lib.cache.cache_dir` uses it."""
    return Path(os.environ.get("XPROJ_CACHE_DIR", Path.home() / ".cache" / "xproj"))


def _prefixes() -> list[tuple[str, str]]:
    """(folder, what it is written as), longest first, each folder both as given and resolved."""
    roots = [(cache_root(), CACHE_VAR), (REPO, ".")]
    if os.environ.get("XPROJ_DATA_DIR"):
        roots.append((Path(os.environ["XPROJ_DATA_DIR"]), DATA_VAR))
    pairs = {}
    for folder, name in roots:
        for form in (str(folder), str(folder.resolve()), os.path.abspath(folder)):
            if os.path.isabs(form) and len(form) > 1:  # a relative form ("../shared/data") is portable already
                pairs.setdefault(form.rstrip("/"), name)
    return sorted(pairs.items(), key=lambda p: -len(p[0]))


def portable(text: str) -> str:
    """``text`` with this machine's cache, data and repository folders replaced by their portable names."""
    for folder, name in _prefixes():
        text = text.replace(folder + "/", name + "/").replace(folder, name) if folder in text else text
    return text


def portable_values(obj: Any) -> Any:
    """``obj`` (nested dicts and lists) with :func:`portable` applied to every string in it."""
    if isinstance(obj, str):
        return portable(obj)
    if isinstance(obj, dict):
        return {k: portable_values(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [portable_values(v) for v in obj]
    return obj


def resolve(path: str | Path) -> Path:
    """A path a record names, as a folder on this machine (``$XPROJ_CACHE_DIR/...`` under the cache here)."""
    text = str(path)
    if text.startswith(CACHE_VAR):
        return cache_root() / text[len(CACHE_VAR):].lstrip("/")
    if text.startswith(DATA_VAR):
        return Path(os.environ.get("XPROJ_DATA_DIR", ".")) / text[len(DATA_VAR):].lstrip("/")
    return Path(text)


def portable_logs() -> None:
    """Make every log record's message portable (installed once, by importing :mod:`xproj_lib`)."""
    make = logging.getLogRecordFactory()
    if getattr(make, "portable", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            record.msg, record.args = portable(record.getMessage()), None
        except Exception:  # noqa: BLE001 - a malformed message is left for logging to report as usual
            pass
        return record

    factory.portable = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
