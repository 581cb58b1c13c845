"""Pre-annotations (``ls predict``) against the real local Label Studio server; the ML backend's turn is
tests/backend/test_labelstudio.py."""

from __future__ import annotations

import json
import shutil

import pytest

from ner.labelstudio.predict import predict_project
from ner.schema import load_schema
from ner.tagger.core import Tagger

pytestmark = pytest.mark.labelstudio

TEXTS = ["😀 У ChatGPT есть датасет Alpaca.", "GitHub Copilot и Amazon CodeWhisperer.\r\nОбучение завершилось.",
         "Пустая строка без сущностей"]


def _project(ls_client, ls_project, annotated: str | None = None) -> dict:
    project = ls_client.project(ls_project(load_schema(), prefix="tagger"))
    tasks = [{"data": {"text": t}} for t in TEXTS]
    if annotated is not None:
        tasks.append({"data": {"text": annotated}, "annotations": [{"result": [
            {"from_name": "label", "to_name": "text", "type": "labels",
             "value": {"start": 2, "end": 9, "text": "ChatGPT", "labels": ["Model"]}}]}]})
    ls_client.import_tasks(project["id"], tasks)
    return project


def _predictions(ls_client, project_id) -> dict[str, list[dict]]:
    return {t["data"]["text"]: t["predictions"] for t in ls_client.iter_tasks(project_id)}


@pytest.fixture
def renamed_model(model_dir, tmp_path):
    """The same weights saved under another name: another model version."""
    out = tmp_path / "renamed"
    shutil.copytree(model_dir, out)
    info = json.loads((out / "ner_model.json").read_text(encoding="utf-8"))
    info["name"] = "seed-fit-2"
    (out / "ner_model.json").write_text(json.dumps(info), encoding="utf-8")
    return Tagger.load(out)


def test_predict_project_attaches_predictions_once_per_model_version(ls_client, ls_project, tagger, renamed_model):
    project = _project(ls_client, ls_project, annotated="У ChatGPT есть датасет.")
    title = project["title"]

    first = predict_project(ls_client, title, tagger)
    assert (first.created, first.already, first.annotated, first.problems) == (3, 0, 1, [])
    found = _predictions(ls_client, project["id"])
    assert [len(found[t]) for t in TEXTS] == [1, 1, 1] and found["У ChatGPT есть датасет."] == []
    emoji = found[TEXTS[0]][0]
    analysis = next(tagger.analyze_many(TEXTS))
    assert emoji["model_version"] == tagger.version
    assert emoji["score"] == pytest.approx(analysis.score, abs=1e-4)
    # code points, as Label Studio stores and draws them (the emoji is one)
    assert ("ChatGPT", 4, 11, ["Model"]) in [(r["value"]["text"], r["value"]["start"], r["value"]["end"],
                                              r["value"]["labels"]) for r in emoji["result"]]

    again = predict_project(ls_client, title, tagger)
    assert (again.created, again.already, again.annotated) == (0, 3, 1)
    assert _predictions(ls_client, project["id"]) == found

    newer = predict_project(ls_client, title, renamed_model)
    assert (newer.created, newer.already) == (3, 0)
    versions = {t: sorted(p["model_version"] for p in ps) for t, ps in _predictions(ls_client, project["id"]).items()}
    assert versions[TEXTS[1]] == sorted([tagger.version, renamed_model.version])

    annotated = [t for t in ls_client.iter_tasks(project["id"]) if t["annotations"]]
    assert len(annotated) == 1 and len(annotated[0]["annotations"]) == 1
    assert annotated[0]["annotations"][0]["result"][0]["value"]["text"] == "ChatGPT"
    assert annotated[0]["predictions"] == []


def test_ls_predict_command(ls_client, ls_project, labelstudio, model_dir, capsys):
    from ner.cli import main

    project = _project(ls_client, ls_project)
    argv = ["ls", "predict", "--project", project["title"], "--model", str(model_dir),
            "--url", labelstudio.url, "--api-key", labelstudio.api_key]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("3 prediction(s) created with seed-fit@")
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("0 prediction(s) created with seed-fit@")


def test_ls_predict_with_the_lists_alone_pre_annotates_without_a_model(ls_client, ls_project, labelstudio, tmp_path,
                                                                      capsys):
    from ner.cli import main

    project = _project(ls_client, ls_project)
    mine = tmp_path / "lists"
    mine.mkdir()
    (mine / "Application.txt").write_text("CodeWhisperer\n", encoding="utf-8")  # the team's own list on top
    argv = ["ls", "predict", "--project", project["title"], "--lexicon", str(mine),
            "--url", labelstudio.url, "--api-key", labelstudio.api_key]
    assert main(argv) == 0
    out = capsys.readouterr()
    assert out.out.startswith("3 prediction(s) created with lexicon@") and "every match is sent" in out.err
    found = _predictions(ls_client, project["id"])
    spans = {(r["value"]["text"], r["value"]["start"], r["value"]["labels"][0]) for r in found[TEXTS[0]][0]["result"]}
    assert spans == {("ChatGPT", 4, "Application"), ("Alpaca", 25, "Dataset")}  # code points: the emoji is one
    assert ("CodeWhisperer", 24, "Application") in {(r["value"]["text"], r["value"]["start"], r["value"]["labels"][0])
                                                    for r in found[TEXTS[1]][0]["result"]}
    assert main(argv[:4] + argv[6:]) == 2 and "pass --model DIR" in capsys.readouterr().err
    assert main(argv + ["--min-score", "0.5"]) == 2 and "a list match has none" in capsys.readouterr().err


def test_ls_predict_says_before_the_work_that_annotated_tasks_are_skipped(ls_client, ls_project, labelstudio,
                                                                         model_dir, capsys):
    from ner.cli import main

    project = _project(ls_client, ls_project, annotated="У ChatGPT есть датасет Alpaca")
    argv = ["ls", "predict", "--project", project["title"], "--model", str(model_dir), "--min-score", "0",
            "--url", labelstudio.url, "--api-key", labelstudio.api_key]
    assert main(argv) == 0
    out = capsys.readouterr()
    assert "1 task(s) already have annotations and are skipped (a person's, or" in out.err
    assert "--include-annotated" in out.err
    # said once, with what to do; the summary only counts them (it said it all again: the trial)
    assert "1 annotated task(s) skipped" in out.out and "--include-annotated" not in out.out


def data_manager_tasks(labelstudio, project_id: int, ordering: str) -> list[dict]:
    """The tasks as the Data Manager shows them once a column header is clicked: the frontend saves the
    ordering in its tab (``/api/dm/views``) and then asks ``/api/tasks?view=..&project=..``."""
    import httpx

    headers = {"Authorization": f"Token {labelstudio.api_key}"}
    view = httpx.post(f"{labelstudio.url}/api/dm/views", headers=headers, timeout=30,
                      json={"project": project_id, "data": {"ordering": [ordering]}})
    view.raise_for_status()
    r = httpx.get(f"{labelstudio.url}/api/tasks", headers=headers, timeout=30,
                  params={"view": view.json()["id"], "project": project_id, "page": 1, "page_size": 100})
    r.raise_for_status()
    return r.json()["tasks"]


def test_after_ls_predict_the_data_manager_sorts_by_prediction_score(ls_client, ls_project, labelstudio, tagger):
    project = _project(ls_client, ls_project)
    summary = predict_project(ls_client, project["title"], tagger)
    assert summary.created == 3
    assert ls_client.project_by_id(project["id"]).model_version == tagger.version
    scores = {t["data"]["text"]: t["predictions"][0]["score"] for t in ls_client.iter_tasks(project["id"])}
    assert len(set(scores.values())) == 3  # distinct scores, so the order is a real check
    shown = data_manager_tasks(labelstudio, project["id"], "tasks:predictions_score")
    assert [t["predictions_score"] for t in shown] == pytest.approx(sorted(scores.values()), abs=1e-4)
    assert [t["data"]["text"] for t in shown] == sorted(scores, key=scores.get)
    descending = data_manager_tasks(labelstudio, project["id"], "-tasks:predictions_score")
    assert [t["data"]["text"] for t in descending] == sorted(scores, key=scores.get, reverse=True)
    # No click needed at all: predict made a tab sorted that way, with the score column shown.
    [(view_id, tab)] = [(i, d) for i, d in ls_client.list_views(project["id"]) if d.get("title") == "Uncertain first"]
    assert "tasks:predictions_score" not in tab["hiddenColumns"]["explore"]
    import httpx

    r = httpx.get(f"{labelstudio.url}/api/tasks", params={"view": view_id, "project": project["id"]}, timeout=30,
                  headers={"Authorization": f"Token {labelstudio.api_key}"})
    assert [t["data"]["text"] for t in r.json()["tasks"]] == sorted(scores, key=scores.get)


def test_ls_predict_sends_only_spans_at_or_above_the_min_score(ls_client, ls_project, labelstudio, model_dir,
                                                               tagger, capsys):
    from ner.cli import main

    project = _project(ls_client, ls_project)
    scores = sorted(e.score for t in tagger.analyze_many(TEXTS) for e in t.entities)
    assert len(set(scores)) >= 2
    threshold = round((scores[0] + scores[-1]) / 2, 4)
    argv = ["ls", "predict", "--project", project["title"], "--model", str(model_dir), "--min-score", str(threshold),
            "--url", labelstudio.url, "--api-key", labelstudio.api_key]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert f"min score {threshold} (--min-score)" in captured.err
    sent = [r["score"] for ps in _predictions(ls_client, project["id"]).values() for p in ps for r in p["result"]]
    assert sorted(sent) == pytest.approx([s for s in scores if s >= threshold], abs=1e-4)
    assert f"{sum(s < threshold for s in scores)} span(s) below the min score" in captured.out


def test_ls_predict_default_min_score_is_calibrated_on_the_models_dev_set(ls_client, ls_project, labelstudio,
                                                                          model_dir, capsys):
    from ner.cli import main
    from ner.backend.retrain import Retrainer
    from ner.train.calibrate import min_score_for

    _, _, dev, where = Retrainer(model_dir).base_split()
    expected = min_score_for(Tagger.load(model_dir).model, dev)
    project = _project(ls_client, ls_project)
    assert main(["ls", "predict", "--project", project["title"], "--model", str(model_dir),
                 "--url", labelstudio.url, "--api-key", labelstudio.api_key]) == 0
    assert f"min score {expected} (calibrated on {where})" in capsys.readouterr().err


def test_labels_follow_the_project(ls_client, ls_project, labelstudio, tmp_path, capsys):
    from ner.cli import main
    from ner.labelstudio.config import config_names
    from ner.labelstudio.sync import push
    from ner.records import Document, Sentence
    from ner.schema import Schema

    corpus = tmp_path / "c.conll"
    corpus.write_text("BERT\tB-Model\nи\tO\nТрансформер\tB-Architecture\n", encoding="utf-8")
    title = f"labels-{ls_project(load_schema())[5:]}x"
    argv = ["--project", title, "--url", labelstudio.url, "--api-key", labelstudio.api_key]
    try:
        assert main(["ls", "init", "--labels", "auto", str(corpus), *argv]) == 0
        project = ls_client.project(title)
        assert config_names(project["label_config"]).labels == ("Architecture", "Model")
        assert "with 2 labels: Architecture, Model" in capsys.readouterr().out
        # A push carrying a label the config lacks is refused, with the list.
        other = tmp_path / "o.conll"
        other.write_text("Яндекс\tB-Organization\nи\tO\nBERT\tB-Model\n", encoding="utf-8")
        assert main(["ls", "push", str(other), *argv]) == 2
        err = capsys.readouterr().err
        assert "lacks the label(s) Organization found in the input (it has Architecture, Model)" in err
        assert list(ls_client.iter_tasks(project["id"], with_results=False)) == []
        # Push and pull follow the project's labels (Architecture is not in annotation/labels.toml).
        assert "Architecture" not in load_schema()
        assert main(["ls", "push", str(corpus), *argv]) == 0
        out = tmp_path / "back.conll"
        assert main(["ls", "pull", str(out), *argv]) == 0
        assert "0 error(s), 0 warning(s)" in capsys.readouterr().out
        assert out.read_text(encoding="utf-8").split() == corpus.read_text(encoding="utf-8").split()
    finally:
        found = ls_client.find_project(title)
        if found:
            ls_client.delete_project(found["id"])


def test_predict_sends_only_labels_of_the_projects_config(ls_client, ls_project, tagger):
    from ner.schema import Schema

    project = ls_client.project(ls_project(Schema.auto(["Model"]), prefix="onlymodel"))
    ls_client.import_tasks(project["id"], [{"data": {"text": t}} for t in TEXTS])
    summary = predict_project(ls_client, project["title"], tagger)
    found = [r["value"]["labels"][0] for ps in _predictions(ls_client, project["id"]).values() for p in ps
             for r in p["result"]]
    expected = [e.label for t in tagger.analyze_many(TEXTS) for e in t.entities]
    assert sorted(found) == sorted(x for x in expected if x == "Model")
    others = {x: expected.count(x) for x in set(expected) - {"Model"}}
    assert summary.unknown == others and others  # the seed model finds other labels in these texts


def test_ls_predict_with_a_model_of_none_of_the_projects_labels_is_refused(ls_client, ls_project, labelstudio,
                                                                          model_dir, capsys):
    """factRuEval's PER/LOC/ORG project and the ML-entities model share no label: nothing is sent, the
    project's model version stays, and one line says why (it was 49 empty predictions and exit 0)."""
    from ner.cli import main
    from ner.schema import Schema

    project = ls_client.project(ls_project(Schema.auto(["LOC", "ORG", "PER"]), prefix="factrueval"))
    ls_client.import_tasks(project["id"], [{"data": {"text": t}} for t in TEXTS])
    assert main(["ls", "predict", "--project", project["title"], "--model", str(model_dir), "--min-score", "0",
                 "--url", labelstudio.url, "--api-key", labelstudio.api_key]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "none of which project" in err[-1] and "(LOC, ORG, PER)" in err[-1]
    assert _predictions(ls_client, project["id"]) == {t: [] for t in TEXTS}
    assert not ls_client.project_by_id(project["id"]).model_version


def test_ls_predict_into_a_missing_project_is_one_line_before_the_model_is_loaded(labelstudio, model_dir, capsys):
    """The project is looked up first: no model load or dev-set calibration for a misspelt title."""
    from ner.cli import main

    assert main(["ls", "predict", "--project", "no such project here", "--model", str(model_dir),
                 "--url", labelstudio.url, "--api-key", labelstudio.api_key]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no Label Studio project titled 'no such project here'" in err[0]


def test_ls_predict_says_how_to_set_the_min_score_when_it_cannot_calibrate(ls_client, ls_project, labelstudio,
                                                                           model_dir, tmp_path, capsys):
    """A model written before models carried their threshold, moved away from its training corpus:
    the hint names this command's flag, not ner serve's."""
    from ner.cli import main

    moved = tmp_path / "moved"
    shutil.copytree(model_dir, moved)
    metrics = json.loads((moved / "metrics.json").read_text(encoding="utf-8"))
    del metrics["calibration"]
    (moved / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    config = moved / "train_config.toml"
    lines = [line for line in config.read_text(encoding="utf-8").splitlines()
             if not line.startswith(("train =", "dev ="))]
    config.write_text("\n".join(['train = "gone/train.conll"', 'dev = "gone/dev.conll"', *lines]) + "\n",
                      encoding="utf-8")
    project = _project(ls_client, ls_project)
    assert main(["ls", "predict", "--project", project["title"], "--model", str(moved),
                 "--url", labelstudio.url, "--api-key", labelstudio.api_key]) == 0
    err = capsys.readouterr().err
    assert "min score 0.0 (not calibrated: " in err and "gone/train.conll" in err
    assert "ner serve" not in err and "--min-score S" in err


def test_ls_predict_calibrates_the_same_from_another_directory(ls_client, ls_project, labelstudio, model_dir,
                                                               tmp_path, monkeypatch, capsys):
    from ner.train.calibrate import min_score_for
    from ner.cli import main
    from ner.formats.conll import read_conll
    from tests.conftest import SEED
    from tests.plugins.models import relative_corpus_copy

    moved = relative_corpus_copy(model_dir, tmp_path / "m")
    expected = min_score_for(Tagger.load(moved).model, [s for d in read_conll(SEED) for s in d.sentences if len(s)])
    project = _project(ls_client, ls_project)
    monkeypatch.chdir(tmp_path)  # corpora/ml_ru_seed.conll is not there
    assert main(["ls", "predict", "--project", project["title"], "--model", str(moved),
                 "--url", labelstudio.url, "--api-key", labelstudio.api_key]) == 0
    assert f"min score {expected} (calibrated on {SEED})" in capsys.readouterr().err
    assert expected > 0
