"""Metric values on known predictions (strict IOB2), error kinds, the error file and the PNG."""

import pytest

from ner.evaluate import confusion, format_errors, plot_confusion, score, span_errors
from ner.records import Sentence

GOLD = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
PRED = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "B-LOC"]]


def test_known_scores():
    ev = score(GOLD, PRED)
    assert set(ev.labels) == {"LOC", "ORG", "PER"}
    assert (ev.labels["PER"].precision, ev.labels["PER"].recall, ev.labels["PER"].f1) == (1.0, 1.0, 1.0)
    assert (ev.labels["LOC"].precision, ev.labels["LOC"].recall, ev.labels["LOC"].support) == (0.0, 0.0, 1)
    assert ev.micro.precision == pytest.approx(2 / 3) and ev.micro.recall == pytest.approx(2 / 3)
    assert ev.micro.support == 3 and ev.macro.f1 == pytest.approx(2 / 3)
    assert ev.as_dict()["micro"]["f1"] == pytest.approx(2 / 3)


def test_strict_mode_does_not_count_an_entity_without_b():
    assert score([["B-PER", "I-PER"]], [["I-PER", "I-PER"]]).micro.recall == 0.0
    assert score([["B-PER", "I-PER"]], [["B-PER", "B-PER"]]).micro.f1 == 0.0


def test_no_entities_at_all_scores_zero():
    assert score([["O"]], [["O"]]).micro.f1 == 0.0


@pytest.mark.parametrize("gold,pred,kinds", [
    (["B-A", "O"], ["O", "B-A"], ["false_negative", "false_positive"]),
    (["B-A", "I-A"], ["B-A", "O"], ["boundary"]),
    (["B-A", "I-A"], ["B-B", "I-B"], ["type"]),
    (["B-A", "I-A", "O"], ["O", "B-B", "I-B"], ["boundary+type"]),
    (["B-A", "B-A"], ["B-A", "I-A"], ["boundary", "boundary"]),
    (["B-A"], ["B-A"], []),
])
def test_span_error_kinds(gold, pred, kinds):
    assert [e.kind for e in span_errors(gold, pred)] == kinds


def test_error_file_lists_every_error_with_its_sentence():
    sentences = [Sentence(("Иван", "Петров", "в", "Москве"), tuple(GOLD[0]), 1, "t:1"),
                 Sentence(("Сбер", "Москва"), tuple(GOLD[1]), 6, "t:6")]
    text, counts = format_errors(sentences, PRED)
    assert counts == {"false_negative": 1, "false_positive": 1}
    lines = text.splitlines()
    assert lines[0] == "# false_negative: 1, false_positive: 1"
    assert lines[1] == "t:1\tfalse_negative\tgold=[Москве]/LOC\tpred=-\tИван Петров в [[Москве]]"
    assert lines[2] == "t:6\tfalse_positive\tgold=-\tpred=[Москва]/LOC\tСбер [[Москва]]"


def test_confusion_counts_and_png(tmp_path):
    tags, matrix = confusion(GOLD, PRED)
    assert tags[0] == "O"
    assert matrix[tags.index("B-LOC")][tags.index("O")] == 1
    assert matrix[tags.index("O")][tags.index("B-LOC")] == 1
    assert sum(map(sum, matrix)) == 6
    png = tmp_path / "c.png"
    plot_confusion(GOLD, PRED, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
