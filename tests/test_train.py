"""The token-classification fine-tuner on tiny random models (offline, a few steps)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForTokenClassification, AutoTokenizer

from xproj_lib.ner import TransformersTagger
from xproj_lib.train import (
    IGNORE_INDEX,
    TokenClassifierTrainer,
    TrainConfig,
    collate,
    encode,
    first_subword_labels,
    label_list,
    length_batches,
    load_classifier,
    new_head_labels,
    split_rows,
    train_tagger,
)
from xproj_lib.types import Sentence

TRAIN = [
    Sentence(["Angela", "Merkel", "visited", "Paris", "on", "Monday", "."],
             ["B-PER", "I-PER", "O", "B-LOC", "O", "O", "O"], "t0"),
    Sentence(["The", "United", "Nations", "met", "in", "New", "York", "."],
             ["O", "B-ORG", "I-ORG", "O", "O", "B-LOC", "I-LOC", "O"], "t1"),
    Sentence(["Shugaba", "Muhammadu", "Buhari", "ya", "ziyarci", "Kano", "."],
             ["O", "B-PER", "I-PER", "O", "O", "B-LOC", "O"], "t2"),
    Sentence(["Rais", "Samia", "Suluhu", "Hassan", "alitembelea", "Dodoma", "."],
             ["O", "B-PER", "I-PER", "I-PER", "O", "B-LOC", "O"], "t3"),
]
DEV = [
    Sentence(["Merkel", "met", "Buhari", "in", "Geneva", "."], ["B-PER", "O", "B-PER", "O", "B-LOC", "O"], "d0"),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random encoder without a classification head (like e5-small)."""
    from xproj_lib.tiny import build_tiny_encoder

    return build_tiny_encoder(tmp_path_factory.mktemp("base"))


@pytest.fixture(autouse=True)
def private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test trains into its own empty model cache."""
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path / "cache"))


class CountingTrainer(TokenClassifierTrainer):
    """Counts ``fit`` calls and keeps the last trained model."""

    fits = 0
    last_model = None

    def fit(self, features, dev):  # type: ignore[override]
        CountingTrainer.fits += 1
        result = super().fit(features, dev)
        CountingTrainer.last_model = self.model
        return result


def test_first_subword_labels_hand_built() -> None:
    word_ids = [None, 0, 0, 1, 2, 2, 2, None]
    assert first_subword_labels(word_ids, [5, 6, 7]) == [IGNORE_INDEX, 5, IGNORE_INDEX, 6, 7,
                                                         IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]


def test_encode_labels_first_subword_only(base: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(base)
    sent = Sentence(["Merkelvisited", "Parisian", "Kano"], ["B-PER", "O", "B-LOC"])
    label2id = {"O": 0, "B-PER": 1, "I-PER": 2, "B-LOC": 3, "I-LOC": 4}
    (feat,), truncated = encode([sent], tokenizer, label2id, max_length=64)
    pieces = tokenizer.convert_ids_to_tokens(feat["input_ids"])
    assert pieces[:4] == ["[CLS]", "Merkel", "##v", "##i"]  # a word split in several pieces
    labelled = [(p, lab) for p, lab in zip(pieces, feat["labels"]) if lab != IGNORE_INDEX]
    assert labelled == [("Merkel", 1), ("Paris", 0), ("Kano", 3)]
    assert truncated == 0


def test_encode_counts_truncated_words(base: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(base)
    label2id = {tag: i for i, tag in enumerate(label_list(TRAIN))}
    (feat,), truncated = encode([TRAIN[1]], tokenizer, label2id, max_length=5)
    assert len(feat["input_ids"]) == 5
    assert truncated == len(TRAIN[1].tokens) - 3  # [CLS] + 3 one-piece words + [SEP]


def test_label_list_and_bad_tags() -> None:
    assert label_list(TRAIN) == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    with pytest.raises(ValueError, match="training data"):
        label_list([Sentence(["x"], ["PER"])])


def test_length_batches_cover_everything_once() -> None:
    lengths = list(np.random.default_rng(1).integers(1, 50, size=103))
    batches = length_batches(lengths, 8, np.random.default_rng(0))
    assert sorted(i for b in batches for i in b) == list(range(103))
    assert max(len(b) for b in batches) <= 8
    assert batches == length_batches(lengths, 8, np.random.default_rng(0))
    # within a batch the lengths are close (sorted pools), so padding stays small
    assert np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches]) < 15


def test_a_few_steps_lower_the_loss(base: Path) -> None:
    labels = label_list(TRAIN)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForTokenClassification.from_pretrained(base, num_labels=len(labels))
    config = TrainConfig(base_model=str(base), learning_rate=1e-2, warmup_ratio=0.0)
    trainer = TokenClassifierTrainer(model, tokenizer, config, torch.device("cpu"))
    features, _ = encode(TRAIN, tokenizer, {t: i for i, t in enumerate(labels)}, 64)
    batch = collate(features, tokenizer.pad_token_id)
    optimizer = trainer.make_optimizer()
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    losses = [trainer.train_step(batch, optimizer, scheduler) for _ in range(8)]
    assert losses[-1] < 0.7 * losses[0]


class GradientProbe(torch.optim.SGD):
    """An optimiser that keeps the gradients it is asked to apply, and applies nothing."""

    def step(self, closure=None):  # type: ignore[override]
        self.grads = [p.grad.clone() for group in self.param_groups for p in group["params"] if p.grad is not None]


def step_gradients(trainer: TokenClassifierTrainer, batch: dict[str, torch.Tensor]) -> tuple[float, list]:
    """The loss of one ``train_step`` and the gradients it would apply."""
    probe = GradientProbe(trainer.trainable_parameters(), lr=0.0)
    loss = trainer.train_step(batch, probe, torch.optim.lr_scheduler.LambdaLR(probe, lambda _: 1.0))
    return loss, probe.grads


def test_split_rows_bounds_padded_tokens() -> None:
    batch = {"input_ids": torch.zeros(5, 7, dtype=torch.long), "labels": torch.arange(5)}
    assert split_rows(batch, None) == [batch] and split_rows(batch, 35) == [batch]
    parts = split_rows(batch, 20)  # 2 rows of 7 fit
    assert [p["input_ids"].shape[0] for p in parts] == [2, 2, 1]
    assert torch.equal(torch.cat([p["labels"] for p in parts]), batch["labels"])
    assert [p["input_ids"].shape[0] for p in split_rows(batch, 3)] == [1] * 5  # at least one row per part


def test_micro_batches_give_the_whole_batch_update(base: Path) -> None:
    """Split into micro-batches, the step's loss and gradients are the whole batch's (labelled-token weighting)."""
    labels = label_list(TRAIN)
    tokenizer = AutoTokenizer.from_pretrained(base)
    features, _ = encode(TRAIN, tokenizer, {t: i for i, t in enumerate(labels)}, 64)
    features[0]["labels"] = [IGNORE_INDEX] * len(features[0]["labels"])  # a part without labels is skipped
    batch = collate(features, tokenizer.pad_token_id)
    results = []
    for max_tokens in (None, batch["input_ids"].shape[1]):  # whole batch; one sentence per forward pass
        torch.manual_seed(0)
        model = AutoModelForTokenClassification.from_pretrained(
            base, num_labels=len(labels), hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        config = TrainConfig(base_model=str(base), max_grad_norm=1e9, max_batch_tokens=max_tokens)
        results.append(step_gradients(TokenClassifierTrainer(model, tokenizer, config, torch.device("cpu")), batch))
    (whole_loss, whole), (split_loss, split) = results
    assert split_loss == pytest.approx(whole_loss, rel=1e-5)
    assert len(whole) == len(split) > 0
    for a, b in zip(whole, split):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-6)


def test_freeze_embeddings_keeps_them_fixed(base: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForTokenClassification.from_pretrained(base, num_labels=7)
    before = model.get_input_embeddings().weight.detach().clone()
    config = TrainConfig(base_model=str(base), learning_rate=1e-2, freeze_embeddings=True)
    trainer = TokenClassifierTrainer(model, tokenizer, config, torch.device("cpu"))
    features, _ = encode(TRAIN, tokenizer, {t: i for i, t in enumerate(label_list(TRAIN))}, 64)
    optimizer = trainer.make_optimizer()
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    trainer.train_step(collate(features, tokenizer.pad_token_id), optimizer, scheduler)
    assert torch.equal(model.get_input_embeddings().weight, before)


def test_train_save_load_and_cache_reuse(base: Path) -> None:
    config = TrainConfig(base_model=str(base), epochs=3, batch_size=2, learning_rate=5e-3, eval_every=2)
    CountingTrainer.fits = 0
    record = train_tagger(TRAIN, DEV, config, trainer_cls=CountingTrainer)
    assert not record.cached and CountingTrainer.fits == 1
    assert record.steps == 6 and record.labels == label_list(TRAIN + DEV)
    assert record.best_dev_f1 == max(h["dev_f1"] for h in record.history)
    assert record.peak_rss_mb > 0 and record.train_seconds > 0

    # the saved model is the best-dev model that training left loaded
    words = [s.tokens for s in TRAIN + DEV]
    in_memory = TransformersTagger.from_components(CountingTrainer.last_model, AutoTokenizer.from_pretrained(base))
    loaded = TransformersTagger(record.model_dir)
    assert loaded.predict(words) == in_memory.predict(words)
    for a, b in zip(loaded.predict_proba(words), in_memory.predict_proba(words)):
        np.testing.assert_allclose(a, b, atol=1e-6)

    again = train_tagger(TRAIN, DEV, config, trainer_cls=CountingTrainer)
    assert again.cached and CountingTrainer.fits == 1
    assert again.model_dir == record.model_dir and again.history == record.history

    other_seed = train_tagger(TRAIN, DEV, TrainConfig(**{**config.__dict__, "seed": 1}), trainer_cls=CountingTrainer)
    assert CountingTrainer.fits == 2 and other_seed.model_dir != record.model_dir


def test_early_stopping_on_flat_dev_f1(base: Path) -> None:
    """With a zero learning rate dev F1 never improves: stop after ``patience`` evaluations."""
    config = TrainConfig(base_model=str(base), epochs=5, batch_size=1, learning_rate=0.0, eval_every=1, patience=2)
    record = train_tagger(TRAIN, DEV, config)
    assert record.steps == 3 and record.best_step == 1
    assert [h["step"] for h in record.history] == [1, 2, 3]


def test_max_steps_caps_training(base: Path) -> None:
    config = TrainConfig(base_model=str(base), epochs=5, batch_size=1, max_steps=3, learning_rate=1e-3)
    assert train_tagger(TRAIN, DEV, config).steps == 3


def test_empty_inputs_rejected(base: Path) -> None:
    with pytest.raises(ValueError, match="no sentences"):
        train_tagger([], DEV, TrainConfig(base_model=str(base)))


def test_same_seed_same_model(base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training is reproducible: a second run in an empty cache gives the same model."""
    config = TrainConfig(base_model=str(base), epochs=2, batch_size=2, learning_rate=5e-3)
    first = train_tagger(TRAIN, DEV, config)
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path / "other-cache"))
    second = train_tagger(TRAIN, DEV, config)
    assert not second.cached and second.model_dir != first.model_dir
    words = [s.tokens for s in TRAIN]
    for a, b in zip(TransformersTagger(first.model_dir).predict_proba(words),
                    TransformersTagger(second.model_dir).predict_proba(words)):
        np.testing.assert_array_equal(a, b)


class ScriptedDevTrainer(TokenClassifierTrainer):
    """Dev F1 follows a script; the classifier weights are recorded at every evaluation."""

    script = [0.5, 0.9, 0.1, 0.2]

    def dev_f1(self, dev):  # type: ignore[override]
        self.snapshots = getattr(self, "snapshots", []) + [self.model.classifier.weight.detach().clone()]
        return self.script[len(self.snapshots) - 1]


def test_best_dev_model_is_restored(base: Path) -> None:
    labels = label_list(TRAIN)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForTokenClassification.from_pretrained(base, num_labels=len(labels))
    config = TrainConfig(base_model=str(base), epochs=4, batch_size=4, learning_rate=1e-2, eval_every=1,
                         patience=5, freeze_embeddings=True)
    trainer = ScriptedDevTrainer(model, tokenizer, config, torch.device("cpu"))
    features, _ = encode(TRAIN, tokenizer, {t: i for i, t in enumerate(labels)}, 64)
    history, steps, best_step = trainer.fit(features, DEV)
    assert steps == 4 and best_step == 2 and [h["dev_f1"] for h in history] == ScriptedDevTrainer.script
    assert not torch.equal(trainer.snapshots[1], trainer.snapshots[3])
    assert torch.equal(model.classifier.weight, trainer.snapshots[1])


def test_a_trained_ner_base_keeps_its_head_rows(base: Path) -> None:
    source = train_tagger(TRAIN, DEV, TrainConfig(base_model=str(base), epochs=1, batch_size=2, eval_every=2))
    trained = AutoModelForTokenClassification.from_pretrained(source.model_dir)
    # the target label set drops I-ORG/B-ORG and adds DATE, in another order: shared rows move with their label
    labels = ["O", "B-DATE", "I-DATE", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    model = load_classifier(str(source.model_dir), labels)
    assert model.config.id2label == dict(enumerate(labels))
    assert len(labels) == trained.config.num_labels  # same head size: transformers would load the old head whole
    for i, lab in enumerate(labels):
        old = trained.config.label2id.get(lab)
        if old is not None:
            assert torch.equal(model.classifier.weight[i], trained.classifier.weight[old]), lab
        else:  # a label the source model never learned starts new: no trained row, a zero bias
            assert not any(torch.equal(model.classifier.weight[i], row) for row in trained.classifier.weight), lab
            assert model.classifier.bias[i] == 0 and 0 < model.classifier.weight[i].std() < 0.1, lab
    # a bare encoder's head is new and sized for the labels
    fresh = load_classifier(str(base), labels)
    assert fresh.classifier.out_features == len(labels)
    # the model cache key names the new rows (models with none keep the keys they had)
    assert new_head_labels(str(source.model_dir), labels) == ["B-DATE", "I-DATE"]
    assert new_head_labels(str(source.model_dir), ["O", "B-PER", "I-PER"]) == []
    assert new_head_labels(str(base), labels) == []
