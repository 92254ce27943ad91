"""Language parameter files: coverage of the datasets, field values, and validation errors."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from xproj_lib import languages as L

REPO_PARAMS = Path(__file__).resolve().parents[1] / "params"
GOOD = {
    "iso639_3": "xyz", "name": "Testish", "script": "Latn", "family": "Testic", "genus": "Testoid",
    "nllb": None, "word_split": "whitespace", "datasets": {"masakhaner2": "xyz"},
}


def write_lang(params: Path, stem: str, fields: dict) -> Path:
    folder = params / "languages"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(fields, allow_unicode=True), encoding="utf-8")
    return path


def test_every_dataset_language_has_a_file(data_dir: Path) -> None:
    langs = L.all_languages()
    assert len(langs) == 58
    on_disk = {
        "masakhaner2": {p.name for p in (data_dir / "masakhaner2").iterdir() if p.is_dir()},
        "wikiann": {p.name for p in (data_dir / "wikiann").iterdir() if p.is_dir()} | {"th"},
        "mafand": {p.name for p in (data_dir / "mafand").iterdir() if p.is_dir()},
        "europarl_ner": {p.name.split("-")[0] for p in (data_dir / "europarl_ner").glob("*.conll02")},
        "conll2003": {"en"},
    }
    for dataset, codes in on_disk.items():
        assert {lang.datasets[dataset] for lang in L.languages_for(dataset)} == codes, dataset
    assert len(on_disk["masakhaner2"]) == 20 and len(on_disk["wikiann"]) == 40


def test_field_values() -> None:
    swa = L.load_language("swa")
    assert swa.datasets == {"masakhaner2": "swa", "wikiann": "sw", "mafand": "en-swa"}
    assert (swa.nllb, swa.family, swa.genus, swa.mafand_source) == ("swh_Latn", "Niger-Congo", "Bantoid", "en")
    assert L.load_language("yor").datasets["wikiann"] == "yo"
    assert L.load_language("deu").datasets == {"wikiann": "de", "europarl_ner": "de"}
    assert L.load_language("bbj").nllb is None and L.load_language("pcm").nllb is None
    assert L.load_language("bam").mafand_pair == "fr-bam" and L.load_language("bam").mafand_source == "fr"
    assert L.load_language("eng").mafand_pair is None
    assert {iso for iso, lang in L.all_languages().items() if lang.word_split != "whitespace"} == {"zho", "jpn", "tha"}
    assert L.load_language("zho").word_split == "jieba" and L.load_language("tha").word_split == "chars"
    # XTREME NLLB codes from method-paper.md section 4 (the non-obvious ones)
    nllb = {lang.datasets["wikiann"]: lang.nllb for lang in L.languages_for("wikiann")}
    assert {k: nllb[k] for k in ("ar", "fa", "ms", "zh", "sw", "et", "th", "ja")} == {
        "ar": "arb_Arab", "fa": "pes_Arab", "ms": "zsm_Latn", "zh": "zho_Hans", "sw": "swh_Latn",
        "et": "est_Latn", "th": "tha_Thai", "ja": "jpn_Jpan",
    }
    masakha = [lang for lang in L.languages_for("masakhaner2") if lang.nllb]
    assert all(lang.nllb == f"{lang.iso639_3}_Latn" for lang in masakha if lang.iso639_3 != "swa")


def test_language_by_dataset_code() -> None:
    assert L.language_by_dataset_code("wikiann", "sw").iso639_3 == "swa"
    assert L.language_by_dataset_code("panx", "zh").iso639_3 == "zho"
    assert L.language_by_dataset_code("mafand", "fr-wol").iso639_3 == "wol"
    with pytest.raises(L.LanguageFileError, match=r"datasets\.wikiann == 'swa'"):
        L.language_by_dataset_code("wikiann", "swa")


def test_params_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_lang(tmp_path, "xyz", GOOD)
    monkeypatch.setenv("XPROJ_PARAMS_DIR", str(tmp_path))
    assert list(L.all_languages()) == ["xyz"]
    assert L.params_root() == tmp_path
    with pytest.raises(L.LanguageFileError, match="no such language file"):
        L.load_language("hau")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"nllb": "swahili"}, "field 'nllb'"),
        ({"word_split": "spaces"}, "field 'word_split'"),
        ({"datasets": {"masakhaner": "xyz"}}, "unknown dataset 'masakhaner'"),
        ({"datasets": {"mafand": "de-xyz"}}, "mafand pair 'de-xyz'"),
        ({"datasets": {}}, "field 'datasets'"),
        ({"script": "latin"}, "field 'script'"),
        ({"colour": "blue"}, "field 'colour'"),
    ],
)
def test_bad_field_names_file_and_field(tmp_path: Path, change: dict, words: str) -> None:
    path = write_lang(tmp_path, "xyz", GOOD | change)
    with pytest.raises(L.LanguageFileError) as err:
        L.all_languages(tmp_path)
    assert str(path) in str(err.value) and words in str(err.value)


def test_missing_field_and_bad_yaml(tmp_path: Path) -> None:
    fields = dict(GOOD)
    del fields["family"]
    path = write_lang(tmp_path, "xyz", fields)
    with pytest.raises(L.LanguageFileError, match="field 'family': Field required") as err:
        L.load_language("xyz", tmp_path)
    assert str(path) in str(err.value)
    path.write_text("iso639_3: [xyz\n", encoding="utf-8")
    with pytest.raises(L.LanguageFileError, match="cannot read language file"):
        L.all_languages(tmp_path)


def test_file_name_must_match_code_and_codes_are_unique(tmp_path: Path) -> None:
    write_lang(tmp_path, "abc", GOOD)
    with pytest.raises(L.LanguageFileError, match=r"file is named 'abc\.yaml'"):
        L.all_languages(tmp_path)
    (tmp_path / "languages" / "abc.yaml").unlink()
    write_lang(tmp_path, "xyz", GOOD)
    write_lang(tmp_path, "xyy", GOOD | {"iso639_3": "xyy"})
    with pytest.raises(L.LanguageFileError, match="code 'xyz' is already used by xy"):
        L.all_languages(tmp_path)


def test_edits_are_picked_up(tmp_path: Path) -> None:
    shutil.copytree(REPO_PARAMS / "languages", tmp_path / "languages")
    assert L.load_language("hau", tmp_path).name == "Hausa"
    path = tmp_path / "languages" / "hau.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("name: Hausa", "name: Hausa language"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert L.load_language("hau", tmp_path).name == "Hausa language"
