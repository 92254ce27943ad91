"""Tiny random-weight transformers models built at test time (never committed).

The tokenizers are trained with the ``tokenizers`` library on a few multilingual sentences and
handed to the matching ``transformers`` fast-tokenizer class as an in-memory vocabulary, so the
saved folders load through ``Auto*.from_pretrained`` offline (``BertTokenizer(vocab_file=...)``
would silently ignore the file under transformers 5).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import (
    AutoModel,
    AutoModelForTokenClassification,
    BertConfig,
    BertTokenizerFast,
    M2M100Config,
    M2M100ForConditionalGeneration,
    NllbTokenizerFast,
    PreTrainedTokenizerBase,
    XLMRobertaConfig,
    XLMRobertaTokenizerFast,
)
from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

# The CoNLL label set in IOB2, "O" first.
CONLL_LABELS: tuple[str, ...] = (
    "O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC",
)

# A handful of sentences in several scripts; enough to give every test input known sub-words.
DEFAULT_SENTENCES: tuple[str, ...] = (
    "Angela Merkel visited Paris on Monday with the European Commission .",
    "Angela Merkel besuchte am Montag mit der Europäischen Kommission Paris .",
    "Shugaba Muhammadu Buhari ya ziyarci Kano ranar Litinin .",
    "Ààrẹ Buhari ṣe àbẹ̀wò sí ìlú Èkó ní ọjọ́ Ajé .",
    "Rais Samia Suluhu Hassan alitembelea Dodoma siku ya Jumatatu .",
    "Президент Путин посетил Москву в понедельник .",
    "زار الرئيس القاهرة يوم الاثنين .",
    "习近平 星期一 访问 了 北京 。",
    "प्रधानमंत्री मोदी ने सोमवार को दिल्ली का दौरा किया ।",
    "ጠቅላይ ሚኒስትር ዐቢይ አሕመድ አዲስ አበባን ጎበኙ ።",
    "The United Nations met in New York and Geneva .",
    "Die Vereinten Nationen trafen sich in New York und Genf .",
)

ENCODER_TYPES = ("bert", "xlm-roberta")


def _sentences(sentences: Sequence[str] | None) -> list[str]:
    """The training sentences, checked to be non-empty."""
    chosen = list(DEFAULT_SENTENCES if sentences is None else sentences)
    if not chosen:
        raise ValueError("sentences must contain at least one sentence")
    return chosen


def _train(model: models.Model, trainer: trainers.Trainer, pre: pre_tokenizers.PreTokenizer,
           sentences: list[str]) -> Tokenizer:
    """Train a ``tokenizers`` model on ``sentences``."""
    tokenizer = Tokenizer(model)
    tokenizer.pre_tokenizer = pre
    tokenizer.train_from_iterator(sentences, trainer=trainer)
    return tokenizer


def _words(sentences: list[str], pre: pre_tokenizers.PreTokenizer) -> list[str]:
    """The distinct pre-tokenised words of ``sentences``, sorted."""
    return sorted({w for sentence in sentences for w, _ in pre.pre_tokenize_str(sentence)})


def _encoder_tokenizer(model_type: str, sentences: list[str]) -> PreTrainedTokenizerBase:
    """A WordPiece (BERT) or Unigram (XLM-R) fast tokenizer whose vocabulary is every word and character of
    ``sentences``. Built directly rather than trained: the ``tokenizers`` trainers break ties differently from
    run to run, and a seeded tiny model must be the same model every time."""
    if model_type == "bert":
        words = _words(sentences, pre_tokenizers.BertPreTokenizer())
        chars = sorted({c for w in words for c in w})
        pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars), *words]
        vocab = {piece: i for i, piece in enumerate(dict.fromkeys(pieces))}
        return BertTokenizerFast(vocab=vocab, do_lower_case=False)
    words = _words(sentences, pre_tokenizers.Metaspace())
    chars = sorted({c for w in words for c in w})
    pieces = [(p, 0.0) for p in ("<s>", "<pad>", "</s>", "<unk>")]
    pieces += [(c, -10.0) for c in chars] + [(w, -1.0) for w in words if w not in chars] + [("<mask>", 0.0)]
    return XLMRobertaTokenizerFast(vocab=pieces)


def build_tiny_encoder(
    path: Path,
    *,
    sentences: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    model_type: str = "bert",
    seed: int = 0,
) -> Path:
    """Save a random 2-layer encoder (hidden 32) and its trained tokenizer in ``path``; return ``path``.

    ``model_type`` is ``"bert"`` (WordPiece) or ``"xlm-roberta"`` (Unigram/Metaspace). With
    ``labels`` (e.g. :data:`CONLL_LABELS`) the model has a token-classification head whose
    ``id2label`` follows the given order; without, it is a bare ``AutoModel`` encoder.
    """
    if model_type not in ENCODER_TYPES:
        raise ValueError(f"model_type must be one of {ENCODER_TYPES}, got {model_type!r}")
    path = Path(path)
    tokenizer = _encoder_tokenizer(model_type, _sentences(sentences))
    sizes = dict(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                 intermediate_size=64, pad_token_id=tokenizer.pad_token_id)
    if labels is not None:
        label_list = list(labels)
        if len(set(label_list)) != len(label_list) or not label_list:
            raise ValueError(f"labels must be non-empty and unique, got {label_list}")
        sizes.update(id2label=dict(enumerate(label_list)),
                     label2id={label: i for i, label in enumerate(label_list)})
    if model_type == "bert":
        config = BertConfig(max_position_embeddings=512, **sizes)
    else:
        config = XLMRobertaConfig(max_position_embeddings=514, bos_token_id=0, eos_token_id=2, **sizes)
    torch.manual_seed(seed)
    auto = AutoModel if labels is None else AutoModelForTokenClassification
    model = auto.from_config(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def build_tiny_translator(
    path: Path,
    *,
    langs: Sequence[str] | None = None,
    sentences: Sequence[str] | None = None,
    seed: int = 0,
) -> Path:
    """Save a random tiny NLLB-architecture (M2M100) translator and an NLLB tokenizer in ``path``.

    The tokenizer knows the NLLB language codes ``langs`` (default: all NLLB-200 codes, e.g.
    ``eng_Latn``, ``hau_Latn``) as special tokens; the model runs ``generate`` with
    ``forced_bos_token_id`` set to a language code. Output is random text.
    """
    path = Path(path)
    codes = list(FAIRSEQ_LANGUAGE_CODES if langs is None else langs)
    if not codes:
        raise ValueError("langs must name at least one NLLB language code")
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    trained = _train(models.BPE(unk_token="<unk>"),
                     trainers.BpeTrainer(vocab_size=600, special_tokens=specials),
                     pre_tokenizers.Metaspace(), _sentences(sentences))
    bpe = json.loads(trained.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in bpe["merges"]]
    tokenizer = NllbTokenizerFast(vocab=bpe["vocab"], merges=merges, extra_special_tokens=codes,
                                  src_lang=codes[0], tgt_lang=codes[-1])
    config = M2M100Config(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=128, pad_token_id=tokenizer.pad_token_id, bos_token_id=0,
        eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.eos_token_id,
        scale_embedding=True, tokenizer_class="NllbTokenizer",
    )
    torch.manual_seed(seed)
    model = M2M100ForConditionalGeneration(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
