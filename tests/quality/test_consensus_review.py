"""The consensus review round trip on the real local Label Studio, and what a reviewer sees in the browser."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from ner.bio import tags_spans
from ner.quality.consensus import consensus
from ner.quality.consensus.output import merged_sentence
from ner.quality.consensus.review import answers, least_sure, push_review
from ner.schema import Schema
from tests.labelstudio.test_browser import browser, drawn_regions, submit_open_task  # noqa: F401 (the fixture)

pytestmark = pytest.mark.labelstudio

SURE = "Иван\tB-PER\nжил\tO\nв\tO\nМоскве\tB-LOC\n\n"
DOUBT_A = "Сбербанк\tB-ORG\nоткрыл\tO\nофис\tO\nв\tO\nКазани\tB-LOC\n\n"
DOUBT_B = "Сбербанк\tB-LOC\nоткрыл\tO\nофис\tO\nв\tO\nКазани\tO\n\n"
OTHER_A = "Анна\tB-PER\nКаренина\tI-PER\nуехала\tO\n\n"
OTHER_B = "Анна\tB-PER\nКаренина\tO\nуехала\tO\n\n"


@pytest.fixture
def annotators(tmp_path):
    files = {"alpha": SURE * 3 + DOUBT_A + OTHER_A, "beta": SURE * 3 + DOUBT_B + OTHER_B,
             "gamma": SURE * 3 + DOUBT_A + OTHER_B}
    paths = []
    for name, text in files.items():
        path = tmp_path / f"{name}.conll"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def test_least_sure_sentences_go_to_review_and_answers_re_anchor_the_merge(ls_client, ls_project, annotators):
    title = ls_project(Schema.auto(["LOC", "ORG", "PER"]))
    out = consensus(annotators)
    picks = least_sure(out.result, top=2)
    assert sorted(" ".join(out.texts[t].sentence.words[:2]) for t in picks) == ["Анна Каренина", "Сбербанк открыл"]
    assert push_review(ls_client, title, out.texts, out.result, picks) == 2
    assert push_review(ls_client, title, out.texts, out.result, picks) == 0          # nothing twice
    project = ls_client.project(title)
    tasks = {t["data"]["text"].split()[0]: t for t in ls_client.iter_tasks(project["id"])}
    bank = tasks["Сбербанк"]
    assert bank["annotations"] == [] and not bank["is_labeled"]                       # open: nobody submitted it
    versions = {p["model_version"]: sorted((r["value"]["text"], r["value"]["labels"][0]) for r in p["result"])
                for p in bank["predictions"]}
    (t_bank,) = [t for t in picks if out.texts[t].sentence.words[0] == "Сбербанк"]
    words = out.texts[t_bank].sentence.words
    merged = sorted((" ".join(words[i:j]), label) for i, j, label, _ in out.result.spans[t_bank])
    assert merged == [("Казани", "LOC"), ("Сбербанк", "ORG")]                       # two of three annotators
    assert versions == {"current": merged, "alpha": [("Казани", "LOC"), ("Сбербанк", "ORG")],
                        "beta": [("Сбербанк", "LOC")], "gamma": [("Казани", "LOC"), ("Сбербанк", "ORG")]}
    estimated = {e.who: e.micro.f1 for e in out.result.estimates}
    scores = {p["model_version"]: p["score"] for p in bank["predictions"]}
    assert scores.pop("current") is None    # the doubt is the suspicion column's: on the tab it read as a confidence
    assert bank["data"]["suspicion"] == pytest.approx(1 - out.result.scores[t_bank], abs=1e-3)
    assert scores == pytest.approx(estimated, abs=1e-4)
    assert set(bank["data"]) == {"text", "note", "suspicion", "where"}                # readable columns only
    assert bank["data"]["note"] == ("Расхождения: «Сбербанк»: ORG (alpha, gamma) / LOC (beta); "
                                    "«Казани»: LOC (alpha, gamma) / нет (beta)")
    assert tasks["Анна"]["data"]["note"] == "Расхождения: «Анна» PER (beta, gamma) / «Анна Каренина» PER (alpha)"
    assert answers(ls_client, title) == {}                                             # nobody reviewed yet
    # the reviewer decides Сбербанк is an organisation and Казань no location here (beta's miss is right)
    current = bank["predictions"][[p["model_version"] for p in bank["predictions"]].index("current")]
    keep = [r for r in current["result"] if r["value"]["text"] == "Сбербанк"]
    ls_client._sdk.annotations.create(id=bank["id"], result=keep, was_cancelled=False)
    got = answers(ls_client, title)
    assert list(got.values()) == [("B-ORG", "O", "O", "O", "O")]
    again = consensus(annotators, reviewed=got)
    t = next(t for t in range(len(again.texts)) if again.texts[t].sentence.words[0] == "Сбербанк")
    assert again.result.anchored == {t} and again.result.spans[t] == [(0, 1, "ORG", 1.0)]
    before = {e.who: e.labels["LOC"] for e in out.result.estimates}
    after = {e.who: e.labels["LOC"] for e in again.result.estimates}
    assert after["alpha"].precision < before["alpha"].precision      # its Казани LOC is now known to be wrong
    assert after["beta"].recall > before["beta"].recall
    # the other task submitted unchanged: the merge confirmed, an anchor as well
    anna = tasks["Анна"]
    ls_client._sdk.annotations.create(id=anna["id"], result=anna["predictions"][0]["result"], was_cancelled=False)
    assert sorted(answers(ls_client, title).values()) == [("B-ORG", "O", "O", "O", "O"), ("B-PER", "O", "O")]


def test_a_reviewer_sees_the_merge_drawn_and_every_annotator_named(browser, labelstudio, ls_client,  # noqa: F811
                                                                   ls_project, annotators, tmp_path):
    from selenium.webdriver.common.by import By

    title = ls_project(Schema.auto(["LOC", "ORG", "PER"]), prefix="browser")
    out = consensus(annotators)
    picks = least_sure(out.result, top=1)
    assert push_review(ls_client, title, out.texts, out.result, picks) == 1
    project = ls_client.project(title)
    [task] = list(ls_client.iter_tasks(project["id"], with_results=False))
    merged = [" ".join(out.texts[picks[0]].sentence.words[i:j]) for i, j, _, _ in out.result.spans[picks[0]]]
    drawn = drawn_regions(browser, f"{labelstudio.url}/projects/{project['id']}/data?task={task['id']}",
                          len(merged))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "gamma" not in browser.find_element(By.TAG_NAME, "body").text:
        time.sleep(0.5)
    shot = tmp_path / "consensus-review.png"
    browser.save_screenshot(str(shot))
    if os.environ.get("NER_SHOTS"):
        shutil.copy(shot, Path(os.environ["NER_SHOTS"]) / shot.name)
    assert drawn == merged                                              # the merge drawn, pre-selected
    body = browser.find_element(By.TAG_NAME, "body").text
    assert all(name in body for name in ("alpha", "beta", "gamma")), body[-800:]
    assert "Расхождения: «" in body and task["data"]["note"] in body       # the note under the text
    assert tags_spans(out.texts[picks[0]].tags["beta"])
    # open: Submit (not Update) is enabled on the unchanged merge, and one click confirms it
    got = submit_open_task(browser, lambda: answers(ls_client, title))
    assert list(got.values()) == [merged_sentence(out.texts[picks[0]], out.result.spans[picks[0]]).tags]


def test_the_command_pushes_and_learns(ls_client, ls_project, annotators, labelstudio, tmp_path, capsys):
    import json

    from ner.cli import main

    title = ls_project(Schema.auto(["LOC", "ORG", "PER"]))
    conn = ["--url", labelstudio.url, "--api-key", labelstudio.api_key]
    merged = str(tmp_path / "m.jsonl")
    assert main(["consensus", *annotators, "--out", merged, "--push-review", "--project", title, "--share", "0.4",
                 *conn]) == 0
    assert "2 sentence(s) sent to project" in capsys.readouterr().err
    project = ls_client.project(title)
    task = next(t for t in ls_client.iter_tasks(project["id"]) if t["data"]["text"].startswith("Анна"))
    assert task["annotations"] == [] and task["predictions"][0]["model_version"] == "current"
    ls_client._sdk.annotations.create(id=task["id"], result=[], was_cancelled=False)   # no entity there at all
    assert main(["consensus", *annotators, "--out", merged, "--learn", title, *conn]) == 0
    err = capsys.readouterr().err
    assert f"1 reviewed sentence(s) from {title!r} anchor the merge" in err
    records = [json.loads(line) for line in open(merged, encoding="utf-8")]
    anna = next(r for r in records if r["text"].startswith("Анна"))
    assert anna["spans"] == [] and anna["anchored"] is True and anna["score"] == 1.0
