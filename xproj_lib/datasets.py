"""Dataset registry and loaders: name -> splits, languages, labels, file layout; local copy or fetched sources.

Files are looked up under the data root (``data_dir`` argument, else ``$XPROJ_DATA_DIR``, else the download
cache ``cache_dir("datasets")``), then in the download cache. With ``fetch`` enabled (argument, or
``XPROJ_FETCH=1``) a missing file is downloaded from its official source into the cache, in the same
layout as ``/work/shared/data`` (see ``docs/data.md``). Which languages a dataset has comes from the
language parameter files (``params/languages``); a language may be named by its dataset code
(``sw``) or its ISO 639-3 code (``swa``).
"""
from __future__ import annotations

import os
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .cache import atomic_write_text, cache_dir
from .data import ColumnFormat, DataFormatError, ReadReport, read_ner_file, read_parallel_jsonl, read_parallel_text
from .languages import LanguageFileError, all_languages, languages_for
from .types import ParallelPair, Sentence

MAFAND_SOURCES = ("en", "fr")
GITHUB_RAW = "https://raw.githubusercontent.com"
# Upstream commits of the local copy (shared/data/README.md); fetching pins the same ones.
MASAKHANER_REF = "masakhane-io/masakhane-ner/ba5843cd08aa"
LAFAND_REF = "masakhane-io/lafand-mt/d441f8b063d6"
HF_SPLIT = {"train": "train", "dev": "validation", "test": "test"}


class DataNotFoundError(FileNotFoundError):
    """A dataset file is neither in the data root nor in the download cache, and was not fetched."""


@dataclass(frozen=True)
class Dataset:
    """One registered dataset.

    ``path`` is a template under the data root with ``{code}``, ``{split}`` (and ``{side}`` for parallel
    text). ``missing_splits`` lists, per split, the codes that lack it in the reference copy (README counts);
    a language not listed (e.g. a newly added one) is assumed to have every split. ``overrides`` replaces the file
    of a (code, split). ``parallel`` marks NER files whose sentence i is a translation across languages.
    """

    name: str
    kind: Literal["ner", "parallel"]
    splits: tuple[str, ...]
    path: str
    labels: tuple[str, ...] = ()
    ignore_labels: tuple[str, ...] = ()
    fmt: ColumnFormat | None = None
    missing_splits: Mapping[str, frozenset[str]] = field(default_factory=dict)
    overrides: Mapping[tuple[str, str], str] = field(default_factory=dict)
    parallel: bool = False
    aliases: tuple[str, ...] = ()
    source: str = ""

    @property
    def eval_labels(self) -> tuple[str, ...]:
        """Entity types scored at evaluation (``labels`` minus ``ignore_labels``)."""
        return tuple(label for label in self.labels if label not in self.ignore_labels)

    def codes(self, split: str | None = None, params_dir: Path | str | None = None) -> list[str]:
        """Dataset codes of the languages that have ``split`` (all splits if None), from the language files."""
        codes = [lang.datasets[self.name] for lang in languages_for(self.name, params_dir)]
        if split is not None:
            self._check_split(split)
            missing = self.missing_splits.get(split, frozenset())
            codes = [c for c in codes if c not in missing]
        return codes

    def relpath(self, code: str, split: str, side: str | None = None) -> str:
        """A file's path relative to the data root."""
        self._check_split(split)
        if (code, split) in self.overrides:
            return self.overrides[(code, split)]
        return self.path.format(code=code, split=split, side=side)

    def _check_split(self, split: str) -> None:
        if split not in self.splits:
            raise ValueError(f"{self.name} has no split {split!r} (splits: {', '.join(self.splits)})")


_PER_ORG_LOC = ("PER", "ORG", "LOC")
DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            name="masakhaner2",
            kind="ner",
            splits=("train", "dev", "test"),
            path="masakhaner2/{code}/{split}.txt",
            labels=(*_PER_ORG_LOC, "DATE"),
            ignore_labels=("DATE",),
            # Two lines of xho/train.txt have an empty token tagged O (upstream quirk): dropped and counted.
            fmt=ColumnFormat(sep=" ", n_columns=2, drop_empty_o_tokens=True),
            source=f"{GITHUB_RAW}/{MASAKHANER_REF}/MasakhaNER2.0/data/<lang>/<split>.txt",
        ),
        Dataset(
            name="conll2003",
            kind="ner",
            splits=("train", "dev", "test"),
            path="conll2003/{code}/{split}.txt",
            labels=(*_PER_ORG_LOC, "MISC"),
            fmt=ColumnFormat(sep=" ", n_columns=4, scheme="iob1", docstart=True),
            source="",  # Reuters text: not redistributable, no fetch
        ),
        Dataset(
            name="wikiann",
            kind="ner",
            splits=("train", "dev", "test"),
            path="wikiann/{code}/{split}.tsv",
            labels=_PER_ORG_LOC,
            fmt=ColumnFormat(sep="\t", n_columns=2),
            # train only for en af bn hi jv kk mr my sw te tl yo (th: no local copy at all)
            missing_splits={"train": frozenset(
                "ar bg de el es et eu fa fi fr he hu id it ja ka ko ml ms nl pt ru ta th tr ur vi zh".split()
            )},
            aliases=("panx",),
            source="Hugging Face datasets: google/xtreme, config PAN-X.<lang>",
        ),
        Dataset(
            name="europarl_ner",
            kind="ner",
            splits=("test",),
            path="europarl_ner/{code}-europarl.{split}.conll02",
            labels=(*_PER_ORG_LOC, "MISC"),
            fmt=ColumnFormat(sep="\t", n_columns=2),
            parallel=True,
            source="Hugging Face datasets: ShkalikovOleh/europarl-ner, config <lang>",
        ),
        Dataset(
            name="mafand",
            kind="parallel",
            splits=("train", "dev", "test"),
            path="mafand/{code}/{split}.{side}",
            # Only lines 2768-5865 of the en-hau train set are in train.{en,hau}; the JSON file is complete.
            overrides={("en-hau", "train"): "mafand/en-hau/train.json"},
            missing_splits={"train": frozenset("en-kin en-nya en-sna en-xho".split())},
            source=f"{GITHUB_RAW}/{LAFAND_REF}/data/text_files/<pair>/<split>.<lang>",
        ),
    )
}
_ALIASES = {alias: d.name for d in DATASETS.values() for alias in d.aliases}


def get_dataset(name: str) -> Dataset:
    """The registered dataset called ``name`` (or one of its aliases, e.g. ``panx``)."""
    key = _ALIASES.get(name, name)
    if key not in DATASETS:
        raise KeyError(f"unknown dataset {name!r} (known: {', '.join(sorted([*DATASETS, *_ALIASES]))})")
    return DATASETS[key]


def data_root(data_dir: Path | str | None = None) -> Path:
    """The data root: ``data_dir``, else ``$XPROJ_DATA_DIR``, else the download cache."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get("XPROJ_DATA_DIR")
    return Path(env) if env else cache_dir("datasets")


def fetch_enabled(fetch: bool | None = None) -> bool:
    """``fetch`` if given, else whether ``XPROJ_FETCH`` is set to 1/true/yes."""
    if fetch is not None:
        return fetch
    return os.environ.get("XPROJ_FETCH", "").lower() in ("1", "true", "yes")


def dataset_code(dataset: str, lang: str, params_dir: Path | str | None = None) -> str:
    """Resolve ``lang`` (a dataset code, or an ISO 639-3 code of a language file) to the dataset's code."""
    ds = get_dataset(dataset)
    codes = ds.codes(params_dir=params_dir)
    if lang in codes:
        return lang
    language = all_languages(params_dir).get(lang)
    if language is not None and ds.name in language.datasets:
        return language.datasets[ds.name]
    raise LanguageFileError(
        f"{ds.name} has no language {lang!r} in the language files (dataset codes: {', '.join(codes)})"
    )


def _download(url: str, dest: Path) -> None:
    """Download a UTF-8 text file to ``dest`` atomically."""
    with urllib.request.urlopen(url, timeout=60) as response:
        atomic_write_text(dest, response.read().decode("utf-8"))


def _fetch_hf_ner(hf_name: str, config: str, split: str, dest: Path) -> None:
    """Write a Hugging Face token-classification split as ``token<TAB>TAG`` lines, blank line between sentences."""
    import datasets as hf_datasets

    table = hf_datasets.load_dataset(hf_name, config, split=split)
    names = table.features["ner_tags"].feature.names
    blocks = ["\n".join(f"{tok}\t{names[t]}" for tok, t in zip(row["tokens"], row["ner_tags"])) for row in table]
    atomic_write_text(dest, "\n\n".join(blocks) + "\n")


def _fetch(ds: Dataset, code: str, split: str, relpath: str, dest: Path) -> None:
    """Download one file of ``ds`` from its official source into ``dest``."""
    if ds.name == "masakhaner2":
        _download(f"{GITHUB_RAW}/{MASAKHANER_REF}/MasakhaNER2.0/data/{code}/{split}.txt", dest)
    elif ds.name == "mafand":
        if relpath.endswith(".json"):
            _download(f"{GITHUB_RAW}/{LAFAND_REF}/data/json_files/{code}/{split}.json", dest)
        else:
            upstream = "en_luo" if code == "en-luo" else code
            _download(f"{GITHUB_RAW}/{LAFAND_REF}/data/text_files/{upstream}/{Path(relpath).name}", dest)
    elif ds.name == "wikiann":
        _fetch_hf_ner("google/xtreme", f"PAN-X.{code}", HF_SPLIT[split], dest)
    elif ds.name == "europarl_ner":
        _fetch_hf_ner("ShkalikovOleh/europarl-ner", code, HF_SPLIT[split], dest)
    else:
        raise DataNotFoundError(f"{ds.name} cannot be fetched: {relpath} must be provided locally")


def resolve_file(
    dataset: str, code: str, split: str, *, side: str | None = None,
    data_dir: Path | str | None = None, fetch: bool | None = None,
) -> Path:
    """The local path of one dataset file: data root, then download cache, then (if enabled) a download."""
    ds = get_dataset(dataset)
    relpath = ds.relpath(code, split, side)
    root = data_root(data_dir)
    cache = cache_dir("datasets")
    for candidate in (root / relpath, cache / relpath):
        if candidate.is_file():
            return candidate
    if fetch_enabled(fetch) and ds.source:
        _fetch(ds, code, split, relpath, cache / relpath)
        return cache / relpath
    how = (
        "Provide it by (1) setting XPROJ_DATA_DIR to a folder with that layout (docs/data.md), or (2) running with "
        f"internet access and fetching enabled (fetch=True or XPROJ_FETCH=1), which downloads it from {ds.source}."
        if ds.source
        else f"Provide it by setting XPROJ_DATA_DIR to a folder with that layout (docs/data.md); fetching is not "
        f"available for {ds.name} (its text may not be redistributed)."
    )
    raise DataNotFoundError(
        f"{ds.name} {code} {split}: missing file {root / relpath} (also not in the download cache {cache}). {how}"
    )


def load_ner_with_report(
    dataset: str, lang: str, split: str, *, data_dir: Path | str | None = None,
    fetch: bool | None = None, params_dir: Path | str | None = None,
) -> tuple[list[Sentence], ReadReport]:
    """Read one NER split and the reader's report (counts, tag repairs, dropped empty tokens)."""
    ds = get_dataset(dataset)
    if ds.kind != "ner" or ds.fmt is None:
        raise ValueError(f"{ds.name} is not an NER dataset")
    code = dataset_code(ds.name, lang, params_dir)
    if code not in ds.codes(split, params_dir):
        having = ", ".join(ds.codes(split, params_dir))
        raise ValueError(f"{ds.name} {code} has no {split} split (languages with it: {having})")
    path = resolve_file(ds.name, code, split, data_dir=data_dir, fetch=fetch)
    return read_ner_file(path, ds.fmt, ds.labels, id_prefix=f"{ds.name}/{code}/{split}/")


def load_ner(
    dataset: str, lang: str, split: str, *, data_dir: Path | str | None = None, limit: int | None = None,
    fetch: bool | None = None, params_dir: Path | str | None = None,
) -> list[Sentence]:
    """Sentences of one NER split in IOB2 (orphan ``I-`` tags repaired and logged); ``limit`` keeps the first N."""
    sentences, _ = load_ner_with_report(dataset, lang, split, data_dir=data_dir, fetch=fetch, params_dir=params_dir)
    return sentences if limit is None else sentences[:limit]


def load_parallel_ner(
    dataset: str, src_lang: str, tgt_lang: str, split: str, *, data_dir: Path | str | None = None,
    limit: int | None = None, fetch: bool | None = None, params_dir: Path | str | None = None,
) -> list[tuple[Sentence, Sentence]]:
    """Sentence pairs of a parallel NER dataset (Europarl NER); unequal sentence counts are an error."""
    ds = get_dataset(dataset)
    if not ds.parallel:
        raise ValueError(f"{ds.name} is not a parallel NER dataset")
    kwargs = dict(data_dir=data_dir, fetch=fetch, params_dir=params_dir)
    src, src_report = load_ner_with_report(ds.name, src_lang, split, **kwargs)
    tgt, tgt_report = load_ner_with_report(ds.name, tgt_lang, split, **kwargs)
    if len(src) != len(tgt):
        raise DataFormatError(
            tgt_report.path, None,
            f"not parallel to {src_report.path}: {len(tgt)} sentences vs {len(src)}",
        )
    pairs = list(zip(src, tgt))
    return pairs if limit is None else pairs[:limit]


def mafand_pair(src_lang: str, tgt_lang: str, params_dir: Path | str | None = None) -> str:
    """The MAFAND pair folder for ``src_lang`` (en/fr) and ``tgt_lang`` (MAFAND or ISO 639-3 code)."""
    pair = f"{src_lang}-{tgt_lang}"
    codes = get_dataset("mafand").codes(params_dir=params_dir)
    if pair in codes:
        return pair
    language = all_languages(params_dir).get(tgt_lang)
    if language is not None and language.mafand_pair and language.mafand_source == src_lang:
        return language.mafand_pair
    raise LanguageFileError(f"mafand has no pair {pair!r} in the language files (pairs: {', '.join(codes)})")


def load_parallel(
    src_lang: str, tgt_lang: str, split: str, *, data_dir: Path | str | None = None,
    limit: int | None = None, fetch: bool | None = None, params_dir: Path | str | None = None,
) -> list[ParallelPair]:
    """MAFAND-MT segment pairs as raw text (words left empty); en-hau train comes from the complete JSON file."""
    ds = get_dataset("mafand")
    pair = mafand_pair(src_lang, tgt_lang, params_dir)
    src, tgt = pair.split("-")
    if pair not in ds.codes(split, params_dir):
        having = ", ".join(ds.codes(split, params_dir))
        raise ValueError(f"mafand {pair} has no {split} split (pairs with it: {having})")
    prefix = f"mafand/{pair}/{split}/"
    if ds.relpath(pair, split).endswith(".json"):
        path = resolve_file("mafand", pair, split, data_dir=data_dir, fetch=fetch)
        pairs = read_parallel_jsonl(path, src, tgt, id_prefix=prefix)
    else:
        src_path, tgt_path = (
            resolve_file("mafand", pair, split, side=side, data_dir=data_dir, fetch=fetch) for side in (src, tgt)
        )
        pairs = read_parallel_text(src_path, tgt_path, src, tgt, id_prefix=prefix)
    return pairs if limit is None else pairs[:limit]
