"""Languages as parameter files: ``params/languages/<iso639_3>.yaml``, validated by a pydantic schema.

Adding a language is adding one file. The file name is the language's ISO 639-3 code (the
macrolanguage code where the ISO 639-1 code maps to one: ``ara``, ``fas``, ``msa``, ``swa``, ``zho``,
``est``), and ``datasets`` maps each dataset the language appears in to that dataset's own code
(``masakhaner2: swa``, ``wikiann: sw``, ``mafand: en-swa``). The params folder is ``params_dir``,
else ``$XPROJ_PARAMS_DIR``, else the repository's ``params/``.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

WordSplit = Literal["whitespace", "jieba", "chars"]


class LanguageFileError(ValueError):
    """A language parameter file is missing, unreadable or invalid; the message names the file and field."""


class Language(BaseModel):
    """One language: codes, typology metadata, word splitting and where it appears in the datasets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iso639_3: str = Field(pattern=r"^[a-z]{3}$")
    name: str = Field(min_length=1)
    script: str = Field(pattern=r"^[A-Z][a-z]{3}$", description="ISO 15924 code")
    family: str = Field(min_length=1, description="WALS family")
    genus: str = Field(min_length=1, description="WALS genus")
    nllb: str | None = Field(pattern=r"^[a-z]{3}_[A-Z][a-z]{3}$", description="NLLB-200 code; null if NLLB lacks it")
    word_split: WordSplit
    datasets: dict[str, str] = Field(min_length=1, description="dataset name -> the dataset's code for this language")

    @field_validator("datasets")
    @classmethod
    def _known_datasets(cls, value: dict[str, str]) -> dict[str, str]:
        from .datasets import DATASETS, MAFAND_SOURCES

        for name, code in value.items():
            if name not in DATASETS:
                raise ValueError(f"unknown dataset {name!r} (known: {', '.join(sorted(DATASETS))})")
            if not code:
                raise ValueError(f"empty code for dataset {name!r}")
        pair = value.get("mafand")
        if pair is not None and (pair.count("-") != 1 or pair.split("-")[0] not in MAFAND_SOURCES):
            raise ValueError(f"mafand pair {pair!r} must look like '<src>-<lang>' with src in {MAFAND_SOURCES}")
        return value

    @property
    def mafand_pair(self) -> str | None:
        """The MAFAND-MT pair folder (e.g. ``en-hau``), or None."""
        return self.datasets.get("mafand")

    @property
    def mafand_source(self) -> str | None:
        """The MAFAND-MT source language of this language's pair (``en`` or ``fr``), or None."""
        return self.mafand_pair.split("-")[0] if self.mafand_pair else None


def params_root(params_dir: Path | str | None = None) -> Path:
    """The params folder: argument, else ``$XPROJ_PARAMS_DIR``, else the repository's ``params/``."""
    if params_dir is not None:
        return Path(params_dir)
    env = os.environ.get("XPROJ_PARAMS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "params"


def _parse(path: Path) -> Language:
    """Load and validate one language file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise LanguageFileError(f"{path}: cannot read language file: {err}") from None
    if not isinstance(raw, dict):
        raise LanguageFileError(f"{path}: expected a mapping of fields, got {type(raw).__name__}")
    try:
        lang = Language.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(f"field '{'.'.join(map(str, e['loc'])) or '<root>'}': {e['msg']}" for e in err.errors())
        raise LanguageFileError(f"{path}: {problems}") from None
    if path.stem != lang.iso639_3:
        raise LanguageFileError(f"{path}: field 'iso639_3' is {lang.iso639_3!r} but the file is named {path.name!r}")
    return lang


@lru_cache(maxsize=16)
def _load_dir(folder: str, stamp: tuple[tuple[str, int], ...]) -> dict[str, Language]:
    """All languages of a folder; ``stamp`` (names and mtimes) invalidates the cache when files change."""
    langs = {Path(name).stem: _parse(Path(folder) / name) for name, _ in stamp}
    seen: dict[tuple[str, str], str] = {}
    for iso, lang in langs.items():
        for dataset, code in lang.datasets.items():
            other = seen.setdefault((dataset, code), iso)
            if other != iso:
                raise LanguageFileError(
                    f"{Path(folder) / (iso + '.yaml')}: field 'datasets.{dataset}': "
                    f"code {code!r} is already used by {other}.yaml"
                )
    return langs


def all_languages(params_dir: Path | str | None = None) -> dict[str, Language]:
    """Every language file of the params folder, keyed by ISO 639-3 code."""
    folder = params_root(params_dir) / "languages"
    if not folder.is_dir():
        raise LanguageFileError(f"{folder}: no languages folder (set XPROJ_PARAMS_DIR or pass params_dir)")
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.yaml")))
    return dict(_load_dir(str(folder), stamp))


def load_language(code: str, params_dir: Path | str | None = None) -> Language:
    """The language with ISO 639-3 ``code``."""
    langs = all_languages(params_dir)
    if code not in langs:
        folder = params_root(params_dir) / "languages"
        known = ", ".join(sorted(langs))
        raise LanguageFileError(f"{folder / (code + '.yaml')}: no such language file (known: {known})")
    return langs[code]


def languages_for(dataset: str, params_dir: Path | str | None = None) -> list[Language]:
    """Languages that list ``dataset`` (name or alias), sorted by their code in that dataset."""
    from .datasets import get_dataset

    name = get_dataset(dataset).name
    found = [lang for lang in all_languages(params_dir).values() if name in lang.datasets]
    return sorted(found, key=lambda lang: lang.datasets[name])


def language_by_dataset_code(dataset: str, code: str, params_dir: Path | str | None = None) -> Language:
    """The language whose ``datasets[dataset]`` is ``code`` (e.g. ``("wikiann", "sw")`` -> Swahili)."""
    from .datasets import get_dataset

    name = get_dataset(dataset).name
    for lang in languages_for(name, params_dir):
        if lang.datasets[name] == code:
            return lang
    known = ", ".join(lang.datasets[name] for lang in languages_for(name, params_dir))
    raise LanguageFileError(f"no language file has datasets.{name} == {code!r} (known codes: {known})")
