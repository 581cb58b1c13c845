"""Metric values on known predictions (strict IOB2), error kinds, the error file and the PNG."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.bio import spans_tags, tags_spans, to_iob2
from ner.evaluate import confusion, format_errors, plot_confusion, score, score_labels, span_errors
from ner.models import Prediction
from ner.records import Sentence
from ner.tagger.core import Tagger

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


def test_strict_mode_counts_exact_entities_only():
    assert score([["B-PER", "I-PER"]], [["B-PER", "B-PER"]]).micro.f1 == 0.0
    assert score([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]]).micro.f1 == 0.0


class FixedTags:
    """A model that tags every sentence with the tags it was given (the tagger's reading is under test)."""

    name = version = "fixed"
    labels = ("A", "B")

    def __init__(self, tags):
        self.tags = tags

    def predict(self, batch):
        return [Prediction(tuple(self.tags), tuple(0.5 for _ in self.tags)) for _ in batch]


def tagger_spans(tags) -> list[tuple[int, int, str]]:
    """The entities ``Tagger.tag`` builds from ``tags``, as word ranges."""
    text = " ".join(["слово"] * len(tags))  # word i starts at 6 * i
    return [(e.start // 6, (e.end + 1) // 6, e.label) for e in Tagger(FixedTags(tags)).tag(text)]


def test_an_entity_without_b_is_read_alike_by_scores_errors_and_tag():
    pred = ["I-Model", "I-Model", "O"]
    gold = ["B-Model", "I-Model", "O"]
    assert score([gold], [pred]).micro.f1 == 1.0
    assert span_errors(gold, pred) == []
    assert tagger_spans(pred) == [(0, 2, "Model")]


TAGS = st.lists(st.sampled_from(["O", "B-A", "I-A", "B-B", "I-B", "E-A", "S-B", "junk", "I-"]),
                min_size=1, max_size=9)


@settings(max_examples=300, deadline=None)
@given(TAGS, TAGS)
def test_tag_seqeval_and_span_errors_see_the_same_entities(pred, other):
    from seqeval.scheme import IOB2, Entities

    entities = tagger_spans(pred)
    counted = [(e.start, e.end, e.tag) for e in Entities([to_iob2(pred)], IOB2).entities[0]]
    assert sorted(counted) == sorted(entities) == tags_spans(to_iob2(pred))
    gold = spans_tags(len(pred), entities)
    assert span_errors(gold, pred) == [] and span_errors(pred, gold) == []
    ev = score([gold], [pred])
    assert ev.micro.support == len(entities)
    if entities:
        assert ev.micro.precision == ev.micro.recall == 1.0
    # against other gold: seqeval's true positives are exactly the spans span_errors finds no error in
    other = other[:len(pred)] + ["O"] * (len(pred) - len(other))
    ev = score([other], [pred])
    gold_spans = set(tags_spans(to_iob2(other)))
    exact = gold_spans & set(entities)
    assert round(ev.micro.recall * len(gold_spans)) == len(exact) if gold_spans else ev.micro.recall == 0.0
    wrong = {e.pred for e in span_errors(other, pred) if e.pred}
    assert set(entities) - wrong == exact


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


def test_only_labels_the_gold_data_can_have_are_scored():
    gold = [["B-A", "I-A", "O", "O"], ["O", "B-A"]]
    pred = [["B-A", "I-A", "B-B", "O"], ["B-B", "B-A"]]
    assert score(gold, pred).micro.precision == 0.5  # what an unfiltered score says
    ev, scored, excluded, n = score_labels(gold, pred, {"A"})
    assert (ev.micro.precision, ev.micro.recall, set(ev.labels), excluded, n) == (1.0, 1.0, {"A"}, ("B",), 2)
    assert scored == [["B-A", "I-A", "O", "O"], ["O", "B-A"]]


# -- the command, with a model trained here -----------------------------------------------------

@pytest.fixture(scope="module")
def mapped_model(tmp_path_factory):
    from ner.train import TrainConfig, train
    from tests.conftest import SEED

    out = tmp_path_factory.mktemp("evaluate") / "mapped"
    return train(TrainConfig(train=str(SEED), dev=str(SEED), out=str(out), epochs=1, hidden=16, seed=1,
                             map="Model=MODEL", keep="Dataset"))


def run_cli(capsys, *argv):
    from ner.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_reuses_the_training_map(mapped_model, capsys):
    from tests.conftest import SEED

    code, out, err = run_cli(capsys, "evaluate", mapped_model, SEED, "--json")
    assert code == 0
    import json

    result = json.loads(out)
    assert set(result["labels"]) <= {"MODEL", "Dataset"}
    assert result["micro"]["support"] == 9  # 7 Model and 2 Dataset entities in the seed corpus; the rest is O
    assert "labels renamed as the model was trained (map 'Model=MODEL', keep 'Dataset')" in err


def test_evaluate_map_label_absent_from_the_corpus_says_did_you_mean(mapped_model, capsys):
    from tests.conftest import SEED

    code, out, err = run_cli(capsys, "evaluate", mapped_model, SEED, "--map", "Modle=MODEL")
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"ner evaluate: error: --map/--keep: label 'Modle' never occurs in {SEED}; "
                                f"did you mean 'Model'? labels there: Activity, Application, Dataset, Date, Method_ML, "
                                f"Model, Organization, Task"]


def test_evaluate_missing_corpus_is_one_line(mapped_model, capsys, tmp_path):
    assert run_cli(capsys, "evaluate", mapped_model, tmp_path / "gone.jsonl") == (
        2, "", f"ner evaluate: error: {tmp_path / 'gone.jsonl'}: no such file or directory; check the path\n")


def test_gold_labels_the_model_lacks_count_as_missed_with_a_note(navec_model_dir, tmp_path, capsys):
    """A model trained with --labels auto meets a test set with one more label (factRuEval's Facility):
    it is scored, that label's entities counting as missed, and said; a corpus sharing no label is refused."""
    from ner.cli import main

    gold = tmp_path / "gold.conll"
    gold.write_text("Яндекс\tB-Organization\nпостроил\tO\nзавод\tB-Facility\n\n", encoding="utf-8")
    assert main(["evaluate", str(navec_model_dir), str(gold), "--json"]) == 0
    out, err = capsys.readouterr()
    scores = json.loads(out)
    assert scores["labels"]["Facility"]["support"] == 1 and scores["labels"]["Facility"]["recall"] == 0.0
    assert "gold label(s) Facility are not labels of model seed-navec: their entities count as missed" in err
    other = tmp_path / "other.conll"
    other.write_text("Яндекс\tB-ORG\n\n", encoding="utf-8")
    assert main(["evaluate", str(navec_model_dir), str(other)]) == 2
    assert "none of its labels (ORG) is a label of model seed-navec" in capsys.readouterr().err
