"""Dataset registry and loaders, on the shared data and on small temporary data folders."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from xproj_lib import datasets as D
from xproj_lib.data import DataFormatError
from xproj_lib.languages import LanguageFileError


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(cache))
    monkeypatch.delenv("XPROJ_FETCH", raising=False)
    return cache


def test_registry() -> None:
    assert set(D.DATASETS) == {"masakhaner2", "conll2003", "wikiann", "europarl_ner", "mafand"}
    assert D.get_dataset("panx") is D.get_dataset("wikiann")
    masakha = D.get_dataset("masakhaner2")
    assert masakha.ignore_labels == ("DATE",) and masakha.eval_labels == ("PER", "ORG", "LOC")
    assert all(not D.DATASETS[n].ignore_labels for n in ("conll2003", "wikiann", "europarl_ner"))
    assert D.get_dataset("europarl_ner").eval_labels == ("PER", "ORG", "LOC", "MISC")
    with pytest.raises(KeyError, match="unknown dataset 'nerd'"):
        D.get_dataset("nerd")


def test_languages_per_split_come_from_language_files(data_dir: Path) -> None:
    wikiann = D.get_dataset("wikiann")
    assert len(wikiann.codes()) == 40 and "th" in wikiann.codes("test")
    assert set(wikiann.codes("train")) == {p.parent.name for p in (data_dir / "wikiann").glob("*/train.tsv")}
    assert len(wikiann.codes("train")) == 12
    mafand = D.get_dataset("mafand")
    assert set(mafand.codes("train")) == {p.parent.name for p in (data_dir / "mafand").glob("*/train.*")}
    masakha = {p.name for p in (data_dir / "masakhaner2").iterdir() if p.is_dir()}
    assert set(D.get_dataset("masakhaner2").codes("train")) == masakha
    with pytest.raises(ValueError, match="no split 'train'"):
        D.get_dataset("europarl_ner").codes("train")


def test_data_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert D.data_root(tmp_path) == tmp_path
    monkeypatch.setenv("XPROJ_DATA_DIR", str(tmp_path / "d"))
    assert D.data_root() == tmp_path / "d"
    monkeypatch.delenv("XPROJ_DATA_DIR")
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path / "c"))
    assert D.data_root() == tmp_path / "c" / "datasets"


def test_load_ner_masakhaner2(data_dir: Path) -> None:
    sentences = D.load_ner("masakhaner2", "hau", "test", data_dir=data_dir)
    assert len(sentences) == 1633
    assert sentences[0].id == "masakhaner2/hau/test/0"
    assert D.load_ner("masakhaner2", "hau", "test", data_dir=data_dir, limit=5) == sentences[:5]


def test_load_ner_by_iso_code_and_alias(data_dir: Path) -> None:
    by_iso = D.load_ner("panx", "swa", "test", data_dir=data_dir)
    by_code = D.load_ner("wikiann", "sw", "test", data_dir=data_dir)
    assert by_iso == by_code and len(by_code) == 1000
    assert by_code[0].id == "wikiann/sw/test/0"
    with pytest.raises(LanguageFileError, match="no language 'xx'"):
        D.load_ner("wikiann", "xx", "test", data_dir=data_dir)
    with pytest.raises(ValueError, match="de has no train split"):
        D.load_ner("wikiann", "deu", "train", data_dir=data_dir)


def test_xho_train_drops_the_two_empty_tokens(data_dir: Path) -> None:
    sentences, report = D.load_ner_with_report("masakhaner2", "xho", "train", data_dir=data_dir)
    assert report.dropped_empty_tokens == 2 and report.sentences == 5718
    assert all(tok for s in sentences for tok in s.tokens)


def test_load_parallel_mafand(data_dir: Path) -> None:
    hau = D.load_parallel("en", "hau", "train", data_dir=data_dir)
    assert len(hau) == 5865  # the complete JSON train set, not the 3,098-line text files
    assert hau[0].src.startswith("#FreeAmade") and hau[0].src_lang == "en" and hau[0].tgt_lang == "hau"
    text_hau = (data_dir / "mafand/en-hau/train.hau").read_text(encoding="utf-8").splitlines()
    assert [p.tgt for p in hau[2767:]] == text_hau  # the text files hold lines 2768-5865 of the JSON set
    assert len(D.load_parallel("fr", "bam", "dev", data_dir=data_dir)) == 1500
    assert len(D.load_parallel("en", "luo", "test", data_dir=data_dir, limit=7)) == 7
    with pytest.raises(ValueError, match="en-kin has no train split"):
        D.load_parallel("en", "kin", "train", data_dir=data_dir)
    with pytest.raises(LanguageFileError, match="no pair 'fr-hau'"):
        D.load_parallel("fr", "hau", "dev", data_dir=data_dir)


def test_load_parallel_ner_europarl(data_dir: Path, tmp_path: Path) -> None:
    pairs = D.load_parallel_ner("europarl_ner", "en", "deu", "test", data_dir=data_dir)
    assert len(pairs) == 799 and pairs[0][0].tokens[:2] == ["Resumption", "of"]
    short = tmp_path / "europarl_ner"
    short.mkdir()
    shutil.copy(data_dir / "europarl_ner/en-europarl.test.conll02", short)
    text = (data_dir / "europarl_ner/de-europarl.test.conll02").read_text(encoding="utf-8")
    (short / "de-europarl.test.conll02").write_text(text.split("\n\n", 1)[1], encoding="utf-8")
    with pytest.raises(DataFormatError, match="798 sentences vs 799"):
        D.load_parallel_ner("europarl_ner", "en", "de", "test", data_dir=tmp_path)


def test_offline_missing_file_error(tmp_path: Path, empty_cache: Path) -> None:
    with pytest.raises(D.DataNotFoundError) as err:
        D.load_ner("masakhaner2", "hau", "test", data_dir=tmp_path / "none")
    message = str(err.value)
    assert str(tmp_path / "none" / "masakhaner2/hau/test.txt") in message
    assert "XPROJ_DATA_DIR" in message and "XPROJ_FETCH=1" in message and "masakhane-ner" in message
    with pytest.raises(D.DataNotFoundError, match="fetching is not available for conll2003"):
        D.load_ner("conll2003", "en", "test", data_dir=tmp_path / "none", fetch=True)


def test_fetch_downloads_official_files_into_cache(
    tmp_path: Path, empty_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls: list[str] = []

    def fake_download(url: str, dest: Path) -> None:
        urls.append(url)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text("Kano B-LOC\n\nya O\n" if url.endswith(".txt") else "x\ny\n", encoding="utf-8")

    monkeypatch.setattr(D, "_download", fake_download)
    monkeypatch.setenv("XPROJ_FETCH", "1")
    sentences = D.load_ner("masakhaner2", "hau", "dev", data_dir=tmp_path / "none")
    assert urls == ["https://raw.githubusercontent.com/masakhane-io/masakhane-ner/ba5843cd08aa/MasakhaNER2.0/data/hau/dev.txt"]
    assert len(sentences) == 2
    assert (empty_cache / "datasets/masakhaner2/hau/dev.txt").is_file()
    D.load_ner("masakhaner2", "hau", "dev", data_dir=tmp_path / "none")  # second time from the cache
    assert len(urls) == 1
    pairs = D.load_parallel("en", "luo", "dev", data_dir=tmp_path / "none")
    assert urls[1:] == [
        "https://raw.githubusercontent.com/masakhane-io/lafand-mt/d441f8b063d6/data/text_files/en_luo/dev.en",
        "https://raw.githubusercontent.com/masakhane-io/lafand-mt/d441f8b063d6/data/text_files/en_luo/dev.luo",
    ]
    assert len(pairs) == 2


def test_adding_a_language_is_one_file(tmp_path: Path, data_dir: Path) -> None:
    params = tmp_path / "params"
    (params / "languages").mkdir(parents=True)
    (params / "languages" / "xyz.yaml").write_text(
        "iso639_3: xyz\nname: Testish\nscript: Latn\nfamily: Testic\ngenus: Testoid\nnllb: null\n"
        "word_split: whitespace\ndatasets:\n  masakhaner2: xyz\n  wikiann: xy\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    (data / "masakhaner2/xyz").mkdir(parents=True)
    (data / "masakhaner2/xyz/test.txt").write_text("Ali B-PER\nya O\n\nKano B-LOC\n", encoding="utf-8")
    shutil.copytree(data_dir / "wikiann/yo", data / "wikiann/xy")
    assert D.get_dataset("masakhaner2").codes(params_dir=params) == ["xyz"]
    by_iso = D.load_ner("masakhaner2", "xyz", "test", data_dir=data, params_dir=params)
    assert [s.tags for s in by_iso] == [["B-PER", "O"], ["B-LOC"]]
    new = D.load_ner("wikiann", "xy", "train", data_dir=data, params_dir=params)
    assert [s.tokens for s in new] == [s.tokens for s in D.load_ner("wikiann", "yo", "train")]
    assert D.get_dataset("wikiann").codes("train", params_dir=params) == ["xy"]
