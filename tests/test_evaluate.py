import pytest

from xproj_lib.evaluate import evaluate, proj_ratio


def test_hand_computed_scores():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-PER"]]
    pred = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "O", "B-LOC"]]
    # gold entities: PER, LOC, ORG, PER (4); predicted: PER, ORG, LOC (3); correct: PER, ORG (2)
    m = evaluate(gold, pred)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 4)
    assert m["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert m["accuracy"] == pytest.approx(5 / 7)
    assert m["per_type"]["PER"]["recall"] == pytest.approx(0.5)
    assert m["per_type"]["ORG"]["f1"] == pytest.approx(1.0)
    assert m["per_type"]["LOC"]["f1"] == pytest.approx(0.0)


def test_ignored_labels_vanish_on_both_sides():
    gold = [["B-DATE", "I-DATE", "B-PER"]]
    pred = [["O", "O", "B-PER"]]
    assert evaluate(gold, pred)["f1"] < 1.0
    m = evaluate(gold, pred, ignore_labels=["DATE"])
    assert m["f1"] == pytest.approx(1.0)
    assert "DATE" not in m["per_type"]


def test_proj_ratio_follows_the_paper_definition():
    gold = [["B-PER", "O", "B-LOC"], ["O"], ["O"], ["B-ORG"]]
    pred = [["B-PER", "O", "O"], ["O"], ["B-PER"], ["B-ORG"]]
    # 1/2, 1 (none and none), 0 (gold none, pred some), 1/1
    assert proj_ratio(gold, pred) == pytest.approx((0.5 + 1 + 0 + 1) / 4)


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="sentence 0"):
        evaluate([["O", "O"]], [["O"]])
