"""The review queue's task JSON and labeling config, offline (the server side is in test_browser.py and
tests/quality/test_critic_review.py)."""

from __future__ import annotations

from ner.labelstudio.config import config_names, format_labeling_config
from ner.labelstudio.review import (CURRENT, META, ReviewItem, Version, queue_config, queue_task, review_config,
                                   reviewed)
from ner.records import Sentence
from ner.schema import Schema, load_schema

SENTENCE = Sentence(("🚀", "Llama🦙2", "от", "Meta", "AI"), ("O", "B-Model", "O", "B-Organization", "I-Organization"))
ITEM = ReviewItem("k1", SENTENCE, 0.8771, "x.conll:4", "«Meta AI»: Organization?",
                  (Version("critic", ("O", "B-Model", "O", "O", "O")),), {"line": 4})


def test_the_review_config_adds_the_note_and_the_verdict_once():
    xml = review_config(format_labeling_config(Schema.auto(["Model", "Organization"])))
    assert review_config(xml) == xml
    assert '<Choices name="verdict" toName="text" choice="single"' in xml and '<Text name="note" value="$note"/>' in xml
    assert config_names(xml).labels == ("Model", "Organization")


def test_a_new_review_project_has_the_annotation_projects_config_where_it_holds_the_labels():
    assert queue_config(["Model", "Organization"]) == review_config(format_labeling_config(load_schema()))
    assert 'value="Model"' in queue_config(["Model"]) and 'hotkey="m"' in queue_config(["Model"])  # ls init's keys
    assert queue_config(["PER", "Model"]) == review_config(format_labeling_config(Schema.auto(["PER", "Model"])))


def test_a_queue_task_is_open_readable_and_its_predictions_sit_on_the_words():
    names = config_names(review_config(format_labeling_config(Schema.auto(["Model", "Organization"]))))
    task = queue_task(ITEM, names)
    assert "annotations" not in task
    assert task["data"] == {"text": "🚀 Llama🦙2 от Meta AI", "note": "«Meta AI»: Organization?", "suspicion": 0.877,
                            "where": "x.conll:4"}
    assert task["meta"][META] == {"key": "k1", "tags": list(SENTENCE.tags), "extra": {"line": 4}}
    current, critic = task["predictions"]
    assert (current["model_version"], critic["model_version"]) == (CURRENT, "critic")
    text = task["data"]["text"]
    assert [(text[r["value"]["start"]:r["value"]["end"]], r["value"]["labels"]) for r in current["result"]] == [
        ("Llama🦙2", ["Model"]), ("Meta AI", ["Organization"])]
    assert [r["value"]["text"] for r in critic["result"]] == ["Llama🦙2"]
    # read back: submitted unchanged is kept; the suggestion submitted is fixed; a tick wins
    back = dict(task, id=7)
    tick = {"from_name": "verdict", "type": "choices", "value": {"choices": ["fixed"]}}
    for result, expected in ((current["result"], ("kept", False)), (critic["result"], ("fixed", False)),
                             (current["result"] + [tick], ("fixed", True))):
        back["annotations"] = [{"id": 1, "result": result, "completed_by": 3, "was_cancelled": False}]
        [r] = reviewed([back], names)
        assert (r.verdict, r.ticked, r.task, r.reviewer, r.extra) == (*expected, 7, "3", {"line": 4})
        assert r.before.tags == SENTENCE.tags and r.after.words == SENTENCE.words
    back["annotations"] = [{"id": 1, "result": [], "was_cancelled": True}]
    assert reviewed([back], names) == []                             # skipped: not reviewed


def test_a_version_may_carry_its_own_score():
    names = config_names(format_labeling_config(Schema.auto(["Model", "Organization"])))
    item = ReviewItem("k2", SENTENCE, 0.4, "a.conll:1", "?", (Version("alpha", SENTENCE.tags, 0.91),
                                                              Version("beta", ("O",) * 5)))
    predictions = queue_task(item, names)["predictions"]
    assert {p["model_version"]: p.get("score") for p in predictions} == {CURRENT: None, "alpha": 0.91, "beta": None}
    # the item's suspicion (0.4) is no version's score: on a tab and beside each region it read as a confidence
    # in that version's regions, unrelated ones too (the trial)
    assert [[r.get("score") for r in p["result"]] for p in predictions] == [[None] * 2, [0.91] * 2, []]


def test_an_answer_that_no_longer_fits_the_pushed_words_is_reported_not_dropped():
    from ner.check import Report

    names = config_names(review_config(format_labeling_config(Schema.auto(["Model", "Organization"]))))
    task = dict(queue_task(ITEM, names), id=9)
    task["meta"][META]["tags"] = ["O"] * 4            # pushed with 4 words; the task now reads back 5
    task["annotations"] = [{"id": 1, "result": task["predictions"][0]["result"], "completed_by": 3,
                            "was_cancelled": False}]
    report = Report()
    assert reviewed([task], names, report) == []
    (issue,) = report.issues
    assert (issue.path, issue.code) == ("task 9", "E207") and "not the 4 words pushed" in issue.message
