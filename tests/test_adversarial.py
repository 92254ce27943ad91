"""Language-adversarial fine-tuning on tiny random models (offline, a few steps)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoModelForTokenClassification, AutoTokenizer

from xproj_lib.adversarial import (
    UNIT_MASK,
    AdversarialConfig,
    AdversarialTrainer,
    GradientReversal,
    LanguageDiscriminator,
    adversarial_train_config,
    grl_lambda,
    pool,
    reverse_gradient,
    train_adversarial_tagger,
    unit_mask,
)
from xproj_lib.ner import TransformersTagger
from xproj_lib.train import TrainConfig, collate, encode, label_list
from xproj_lib.types import Sentence

TRAIN = [
    Sentence(["Angela", "Merkel", "visited", "Paris", "on", "Monday", "."],
             ["B-PER", "I-PER", "O", "B-LOC", "O", "O", "O"], "t0"),
    Sentence(["The", "United", "Nations", "met", "in", "New", "York", "."],
             ["O", "B-ORG", "I-ORG", "O", "O", "B-LOC", "I-LOC", "O"], "t1"),
    Sentence(["The", "European", "Commission", "met", "in", "Geneva", "."],
             ["O", "B-ORG", "I-ORG", "O", "O", "B-LOC", "O"], "t2"),
]
DEV = [Sentence(["Merkel", "visited", "Geneva", "."], ["B-PER", "O", "B-LOC", "O"], "d0")]
UNLABELLED = {
    "en": [s.split() for s in ("Angela Merkel visited Paris on Monday .", "The United Nations met in New York .",
                               "The European Commission met in Geneva .")],
    "hau": [s.split() for s in ("Shugaba Muhammadu Buhari ya ziyarci Kano ranar Litinin .",
                                "Shugaba Buhari ya ziyarci Kano .", "ranar Litinin .")],
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random encoder without a classification head."""
    from xproj_lib.tiny import build_tiny_encoder

    return build_tiny_encoder(tmp_path_factory.mktemp("base"))


@pytest.fixture(autouse=True)
def private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test trains into its own empty model cache."""
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path / "cache"))


def _encoder_grads(base: Path, lam: float | None) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Gradients of the discriminator loss on encoder and discriminator parameters (GRL with ``lam``, or none)."""
    torch.manual_seed(0)
    encoder = AutoModel.from_pretrained(base).eval()
    disc = LanguageDiscriminator(encoder.config.hidden_size, 2, hidden_size=8, dropout=0.0)
    tok = AutoTokenizer.from_pretrained(base)
    batch = tok([w for ws in UNLABELLED.values() for w in ws], is_split_into_words=True, padding=True,
                return_tensors="pt")
    pooled = pool(encoder(**batch).last_hidden_state, batch["attention_mask"], "mean")
    if lam is not None:
        pooled = reverse_gradient(pooled, lam)
    loss = torch.nn.functional.cross_entropy(disc(pooled), torch.tensor([0, 0, 0, 1, 1, 1]))
    loss.backward()
    return ({n: p.grad.clone() for n, p in encoder.named_parameters() if p.grad is not None},
            {n: p.grad.clone() for n, p in disc.named_parameters()})


def test_grl_reverses_and_scales_encoder_gradients(base: Path) -> None:
    plain_enc, plain_disc = _encoder_grads(base, None)
    rev_enc, rev_disc = _encoder_grads(base, 1.0)
    half_enc, half_disc = _encoder_grads(base, 0.3)
    assert plain_enc.keys() == rev_enc.keys() and len(plain_enc) > 10
    assert any(g.abs().sum() > 0 for g in plain_enc.values())
    for name, grad in plain_enc.items():
        assert torch.equal(rev_enc[name], -grad), name  # exact negatives with λ = 1
        torch.testing.assert_close(half_enc[name], -0.3 * grad, rtol=1e-5, atol=1e-8)
    for name, grad in plain_disc.items():  # the discriminator itself learns normally
        assert torch.equal(rev_disc[name], grad) and torch.equal(half_disc[name], grad)


def test_gradient_reversal_module_is_identity_forward() -> None:
    x = torch.randn(3, 4, requires_grad=True)
    layer = GradientReversal(lam=2.0)
    y = layer(x)
    assert torch.equal(y, x)
    y.sum().backward()
    assert torch.equal(x.grad, torch.full((3, 4), -2.0))


def test_lambda_schedule() -> None:
    assert grl_lambda(0.0, 1.0) == 0.0
    points = np.linspace(0, 1, 101)
    values = [grl_lambda(p, 0.5) for p in points]
    assert all(b > a for a, b in zip(values, values[1:]))
    for p in (0.1, 0.25, 0.5, 1.0):  # 2/(1+e^(-γp)) − 1 = tanh(γp/2)
        assert grl_lambda(p, 0.5) == pytest.approx(0.5 * math.tanh(5 * p), rel=1e-12)
    assert grl_lambda(0.1, 1.0) == pytest.approx(0.46211716, rel=1e-6)
    assert grl_lambda(1.0, 1.0) == pytest.approx(0.9999092, rel=1e-6)
    assert grl_lambda(2.0, 1.0) == grl_lambda(1.0, 1.0)  # progress is clipped
    assert grl_lambda(0.1, 1.0, gamma=1.0) < grl_lambda(0.1, 1.0, gamma=10.0)


def test_pooling_ignores_padding() -> None:
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert torch.equal(pool(hidden, mask, "mean"), torch.tensor([[2.0, 3.0]]))
    assert torch.equal(pool(hidden, mask, "cls"), torch.tensor([[1.0, 2.0]]))
    with pytest.raises(ValueError, match="pooling"):
        pool(hidden, mask, "max")


def _trainer(base: Path, adversarial: AdversarialConfig, lr: float = 1e-2) -> tuple[AdversarialTrainer, dict]:
    """An adversarial trainer on the tiny model and the whole labelled set as one batch."""
    labels = label_list(TRAIN)
    tokenizer = AutoTokenizer.from_pretrained(base)
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(base, num_labels=len(labels))
    config = adversarial_train_config(TrainConfig(base_model=str(base), learning_rate=lr, warmup_ratio=0.0),
                                      adversarial, UNLABELLED)
    trainer = AdversarialTrainer(model, tokenizer, config, torch.device("cpu"))
    features, _ = encode(TRAIN, tokenizer, {t: i for i, t in enumerate(labels)}, 64)
    return trainer, collate(features, tokenizer.pad_token_id)


def test_adversarial_steps_change_both_losses(base: Path) -> None:
    trainer, batch = _trainer(base, AdversarialConfig(lambda_max=1.0, hidden_size=16, unlabelled_batch_size=3))
    optimizer = trainer.make_optimizer()
    disc_group = optimizer.param_groups[-1]
    assert [id(p) for p in disc_group["params"]] == [id(p) for p in trainer.discriminator.parameters()]
    assert disc_group["lr"] == 1e-3 and optimizer.param_groups[0]["lr"] == 1e-2
    disc_before = [p.detach().clone() for p in trainer.discriminator.parameters()]
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    trainer.total_steps = 8
    ner = [trainer.train_step(batch, optimizer, scheduler) for _ in range(8)]
    disc = [loss for loss, _ in trainer._disc]
    assert len(disc) == 8 and trainer.steps_done == 8
    assert ner[-1] < 0.7 * ner[0]
    assert disc[-1] != disc[0]
    assert any(not torch.equal(a, b) for a, b in zip(disc_before, trainer.discriminator.parameters()))
    assert trainer.lam == pytest.approx(grl_lambda(7 / 8, 1.0))


def test_adversarial_gradient_reaches_encoder_only_through_lambda(base: Path) -> None:
    """With λ = 0 the discriminator loss leaves the encoder untouched; with λ > 0 it reaches it."""
    def encoder_grad_norm(lambda_max: float) -> float:
        trainer, _ = _trainer(base, AdversarialConfig(lambda_max=lambda_max, hidden_size=16, dropout=0.0))
        trainer.lam = lambda_max
        trainer.discriminator_loss(*trainer.unlabelled_batch())[0].backward()
        assert all(p.grad is not None for p in trainer.discriminator.parameters())
        grads = [p.grad for p in trainer.model.base_model.parameters() if p.grad is not None]
        return float(sum(g.abs().sum() for g in grads))

    assert encoder_grad_norm(0.0) == 0.0
    assert encoder_grad_norm(1.0) > 0.0


def test_micro_batched_discriminator_loss_gives_the_same_gradients(base: Path) -> None:
    """``max_batch_tokens`` splits the unlabelled batch too; the weighted parts add up to the whole batch's gradient."""
    grads, logs = [], []
    for max_tokens in (None, 1):  # whole batch; one sentence per forward pass
        labels = label_list(TRAIN)
        tokenizer = AutoTokenizer.from_pretrained(base)
        torch.manual_seed(0)
        model = AutoModelForTokenClassification.from_pretrained(
            base, num_labels=len(labels), hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        config = adversarial_train_config(TrainConfig(base_model=str(base), max_batch_tokens=max_tokens),
                                          AdversarialConfig(lambda_max=1.0, hidden_size=16, dropout=0.0), UNLABELLED)
        trainer = AdversarialTrainer(model, tokenizer, config, torch.device("cpu"))
        trainer.total_steps, trainer.steps_done = 2, 1  # λ > 0
        trainer.extra_backward()
        grads.append([p.grad.clone() for p in list(model.parameters()) + list(trainer.discriminator.parameters())
                      if p.grad is not None])
        logs.append(trainer._disc[-1])
    assert len(grads[0]) == len(grads[1]) > 0
    for a, b in zip(*grads):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-6)
    assert logs[1] == pytest.approx(logs[0], rel=1e-5)


def test_unlabelled_batches_are_balanced_and_seeded(base: Path) -> None:
    trainer, _ = _trainer(base, AdversarialConfig(unlabelled_batch_size=5))  # more than the 3 per language
    batch, langs = trainer.unlabelled_batch()
    assert langs.tolist() == [0] * 5 + [1] * 5 and batch["input_ids"].shape[0] == 10
    again, _ = _trainer(base, AdversarialConfig(unlabelled_batch_size=5))
    assert torch.equal(again.unlabelled_batch()[0]["input_ids"], batch["input_ids"])


def test_train_save_load_cache_and_history(base: Path) -> None:
    config = TrainConfig(base_model=str(base), epochs=3, batch_size=1, learning_rate=5e-3, eval_every=2,
                         patience=10)
    adv = AdversarialConfig(lambda_max=0.5, hidden_size=16, unlabelled_batch_size=2)
    record = train_adversarial_tagger(TRAIN, DEV, UNLABELLED, config, adv)
    assert not record.cached and record.steps == 9  # ceil(len(TRAIN) / batch_size) * epochs
    assert [h["step"] for h in record.history] == [2, 3, 4, 6, 8, 9]  # eval_every 2 and each epoch end
    for entry in record.history:
        assert {"loss", "dev_f1", "disc_loss", "disc_acc", "lambda"} <= entry.keys()
        assert 0.0 <= entry["disc_acc"] <= 1.0 and entry["disc_loss"] > 0
    lambdas = [h["lambda"] for h in record.history]
    assert lambdas == sorted(lambdas) and lambdas[-1] == pytest.approx(grl_lambda(8 / 9, 0.5))

    tagger = TransformersTagger(record.model_dir)
    assert tagger.labels == record.labels
    tags = tagger.predict([s.tokens for s in DEV + TRAIN])
    assert [len(t) for t in tags] == [len(s.tokens) for s in DEV + TRAIN]

    again = train_adversarial_tagger(TRAIN, DEV, UNLABELLED, config, adv)
    assert again.cached and again.model_dir == record.model_dir and again.history == record.history

    other_text = {**UNLABELLED, "hau": UNLABELLED["hau"][:2]}
    assert train_adversarial_tagger(TRAIN, DEV, other_text, config, adv).model_dir != record.model_dir
    other_adv = AdversarialConfig(lambda_max=0.4, hidden_size=16, unlabelled_batch_size=2)
    assert train_adversarial_tagger(TRAIN, DEV, UNLABELLED, config, other_adv).model_dir != record.model_dir


def test_same_seed_same_model(base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = TrainConfig(base_model=str(base), epochs=1, batch_size=1, learning_rate=5e-3)
    adv = AdversarialConfig(lambda_max=1.0, hidden_size=16, unlabelled_batch_size=2)
    first = train_adversarial_tagger(TRAIN, DEV, UNLABELLED, config, adv)
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path / "other-cache"))
    second = train_adversarial_tagger(TRAIN, DEV, UNLABELLED, config, adv)
    assert not second.cached and second.history == first.history
    words = [s.tokens for s in TRAIN]
    for a, b in zip(TransformersTagger(first.model_dir).predict_proba(words),
                    TransformersTagger(second.model_dir).predict_proba(words)):
        np.testing.assert_array_equal(a, b)


def test_bad_inputs_are_rejected(base: Path) -> None:
    config = TrainConfig(base_model=str(base))
    with pytest.raises(ValueError, match=">= 2 languages"):
        adversarial_train_config(config, AdversarialConfig(), {"en": UNLABELLED["en"]})
    with pytest.raises(ValueError, match=r"unlabelled\['hau'\] sentence 1"):
        adversarial_train_config(config, AdversarialConfig(), {"en": UNLABELLED["en"], "hau": [["a"], []]})
    with pytest.raises(ValueError, match="no sentences"):
        adversarial_train_config(config, AdversarialConfig(), {"en": UNLABELLED["en"], "hau": []})
    with pytest.raises(ValueError, match="pooling"):
        AdversarialConfig(pooling="max")
    model = AutoModelForTokenClassification.from_pretrained(base, num_labels=3)
    with pytest.raises(TypeError, match="AdversarialTrainConfig"):
        AdversarialTrainer(model, AutoTokenizer.from_pretrained(base), config, torch.device("cpu"))


def test_truncated_unlabelled_sentences_are_counted(base: Path, caplog: pytest.LogCaptureFixture) -> None:
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForTokenClassification.from_pretrained(base, num_labels=3)
    config = adversarial_train_config(TrainConfig(base_model=str(base), max_length=6), AdversarialConfig(),
                                      UNLABELLED)
    with caplog.at_level("INFO", logger="xproj_lib.adversarial"):
        AdversarialTrainer(model, tokenizer, config, torch.device("cpu"))
    expected = {lang: sum(len(tokenizer(s, is_split_into_words=True)["input_ids"]) > 6 for s in sents)
                for lang, sents in UNLABELLED.items()}
    assert expected["hau"] > 0
    for lang, n in expected.items():
        assert any(f"{lang}: {n} of 3 unlabelled sentences cut" in r.getMessage() for r in caplog.records) == (n > 0)


# --- the sweep's settings (issue 29): token-level input, capacity, k updates, the layer read ---------------------

FIRST_FIELDS = {"lambda_max", "gamma", "hidden_size", "dropout", "unlabelled_batch_size", "discriminator_lr", "pooling"}


def test_default_settings_keep_the_model_cache_key(base: Path) -> None:
    """The fields added for the sweep are left out of the cache key at their defaults (old models keep their keys)
    and enter it otherwise."""
    plain = TrainConfig(base_model=str(base))
    default = adversarial_train_config(plain, AdversarialConfig(), UNLABELLED).cache_fields()
    assert set(default["adversarial"]) == FIRST_FIELDS
    assert "base_model" not in default and "max_batch_tokens" not in default
    for change in ({"layers": 2}, {"disc_steps": 5}, {"layer": 1}):
        fields_ = adversarial_train_config(plain, AdversarialConfig(**change), UNLABELLED).cache_fields()
        assert fields_["adversarial"] == default["adversarial"] | change


def test_discriminator_capacity() -> None:
    torch.manual_seed(0)
    first = LanguageDiscriminator(8, 2, hidden_size=4)
    assert [type(m).__name__ for m in first.net] == ["Linear", "ReLU", "Dropout", "Linear"]  # the first setting
    assert [type(m).__name__ for m in LanguageDiscriminator(8, 2, layers=0).net] == ["Linear"]
    deep = LanguageDiscriminator(8, 3, hidden_size=4, layers=2)
    assert len(deep.net) == 7 and deep(torch.zeros(5, 8)).shape == (5, 3)
    with pytest.raises(ValueError, match="layers"):
        AdversarialConfig(layers=-1)
    with pytest.raises(ValueError, match="disc_steps"):
        AdversarialConfig(disc_steps=0)


def test_unit_masks() -> None:
    word_ids = [None, 0, 0, 1, 2, 2, 2, None, None]  # [CLS] w0 w0 w1 w2 w2 w2 [SEP] [PAD]
    special = [1, 0, 0, 0, 0, 0, 0, 1, 1]
    assert unit_mask(word_ids, "token", special) == [0, 1, 1, 1, 1, 1, 1, 0, 0]
    assert unit_mask(word_ids, "first-subword") == [0, 1, 0, 1, 1, 0, 0, 0, 0]
    with pytest.raises(ValueError):
        unit_mask(word_ids, "mean")


@pytest.mark.parametrize("pooling", ["token", "first-subword"])
def test_token_level_discriminator_reads_the_units_balanced(base: Path, pooling: str) -> None:
    """Token-level input: one decision per unit, every language weighing the same; micro-batching changes nothing."""
    grads, logs = [], []
    for max_tokens in (None, 1):
        labels = label_list(TRAIN)
        tokenizer = AutoTokenizer.from_pretrained(base)
        torch.manual_seed(0)
        model = AutoModelForTokenClassification.from_pretrained(
            base, num_labels=len(labels), hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        config = adversarial_train_config(
            TrainConfig(base_model=str(base), max_batch_tokens=max_tokens),
            AdversarialConfig(lambda_max=1.0, hidden_size=16, dropout=0.0, pooling=pooling), UNLABELLED)
        trainer = AdversarialTrainer(model, tokenizer, config, torch.device("cpu"))
        assert all(UNIT_MASK in f for feats in trainer.unlabelled for f in feats)
        trainer.total_steps, trainer.steps_done = 2, 1
        trainer.extra_backward()
        grads.append([p.grad.clone() for p in list(model.parameters()) + list(trainer.discriminator.parameters())
                      if p.grad is not None])
        logs.append(trainer._disc[-1])
    for a, b in zip(*grads):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-6)
    assert logs[1] == pytest.approx(logs[0], rel=1e-5)
    loss, accuracy = logs[0]
    assert 0.0 <= accuracy <= 1.0 and loss == pytest.approx(math.log(2), abs=0.3)  # a fresh discriminator
    batch, langs = trainer.unlabelled_batch()
    counts = torch.stack([batch[UNIT_MASK][langs == k].sum() for k in (0, 1)]).float()
    weight = 1.0 / (counts * 2)
    assert float((weight[langs.unsqueeze(1).expand_as(batch[UNIT_MASK])] * batch[UNIT_MASK]).sum()) == \
        pytest.approx(1.0)


def test_extra_discriminator_steps_leave_the_tagger_alone(base: Path) -> None:
    """k = 3: two discriminator-only updates (no encoder gradient) before the adversarial one, on its own optimiser."""
    trainer, batch = _trainer(base, AdversarialConfig(lambda_max=1.0, hidden_size=16, disc_steps=3,
                                                      unlabelled_batch_size=2))
    trainer.total_steps = 4
    optimizer = trainer.make_optimizer()
    assert trainer.disc_optimizer is not None
    ids = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert not ids & {id(p) for p in trainer.discriminator.parameters()}  # not in the tagger's optimiser
    before = [p.detach().clone() for p in trainer.discriminator.parameters()]
    trainer._discriminator_pass(encoder_grad=False)
    assert all(p.grad is None for p in trainer.model.parameters())
    trainer._step_discriminator()
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.discriminator.parameters()))
    trainer.steps_done = 1
    trainer.extra_backward()
    assert len(trainer._disc) == 1 and trainer.steps_done == 2
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in trainer.model.base_model.parameters())
    assert all(p.grad is None for p in trainer.discriminator.parameters())  # stepped and cleared


def test_discriminator_reads_the_chosen_layer(base: Path) -> None:
    trainer, _ = _trainer(base, AdversarialConfig(layer=0))
    batch, _ = trainer.unlabelled_batch()
    with torch.no_grad():
        hidden = trainer.hidden_states(batch)
        embeddings = trainer.model.base_model(**batch, output_hidden_states=True).hidden_states[0]
    assert torch.equal(hidden, embeddings)
    with pytest.raises(ValueError, match="layers"):
        _trainer(base, AdversarialConfig(layer=99))


@pytest.mark.parametrize("change", [{"pooling": "token"}, {"disc_steps": 2}, {"layer": 1}, {"layers": 2}])
def test_every_sweep_setting_trains_and_caches(base: Path, change: dict) -> None:
    config = TrainConfig(base_model=str(base), epochs=1, batch_size=2, max_steps=2, learning_rate=5e-3)
    adv = AdversarialConfig(lambda_max=1.0, hidden_size=16, unlabelled_batch_size=2, **change)
    record = train_adversarial_tagger(TRAIN, DEV, UNLABELLED, config, adv)
    assert not record.cached and record.steps == 2 and "disc_acc" in record.history[-1]
    default = train_adversarial_tagger(TRAIN, DEV, UNLABELLED, config, AdversarialConfig(
        lambda_max=1.0, hidden_size=16, unlabelled_batch_size=2))
    assert default.model_dir != record.model_dir  # another setting, another model
    assert train_adversarial_tagger(TRAIN, DEV, UNLABELLED, config, adv).cached
