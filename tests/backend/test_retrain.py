"""Retraining in the ML backend, really trained (tiny navec models on the seed corpus): the base corpus
plus a project's annotations, the dev-set gate, what the user sees, where the models go.

Label Studio's side: "Start training" posts ``/train`` with the annotated tasks in its export shape
(webhook feature flag off) or a ``START_TRAINING`` webhook (flag on, the 1.23 default), after which
the backend pulls the tasks itself; the last test has the real server do that.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from starlette.testclient import TestClient

from ner.labelstudio.config import format_labeling_config
from ner.schema import load_schema
from ner.backend.app import Backend, create_app
from tests.backend.serving import serving
from tests.conftest import ROOT, SEED

LABEL_CONFIG = format_labeling_config(load_schema())
ANNOTATED = [("Мы дообучили ChatGPT на датасете Alpaca.", [("ChatGPT", "Model"), ("Alpaca", "Dataset")]),
             ("Модель BERT обучали на ImageNet.", [("BERT", "Model"), ("ImageNet", "Dataset")])]
OVERRIDES = {"epochs": 30, "patience": 30, "lr": 2e-2, "hidden": 64, "seed": 1}  # what fits the seed


def regions(text, entities):
    out = []
    for k, (word, label) in enumerate(entities):
        start = text.index(word)
        out.append({"id": f"r{k}", "from_name": "label", "to_name": "text", "type": "labels", "origin": "manual",
                    "value": {"start": start, "end": start + len(word), "text": word, "labels": [label]}})
    return out


def exported_task(task_id, text, entities):
    """A task as Label Studio's ExportDataSerializer sends it to /train."""
    return {"id": task_id, "data": {"text": text}, "meta": {}, "inner_id": task_id, "total_annotations": 1,
            "cancelled_annotations": 0, "total_predictions": 0, "project": 7, "file_upload": None,
            "created_at": "2026-12-01T20:00:00.000000Z", "updated_at": "2026-12-01T20:05:00.000000Z",
            "annotations": [{"id": 100 + task_id, "completed_by": 1, "result": regions(text, entities),
                             "was_cancelled": False, "ground_truth": False, "lead_time": 12.5,
                             "created_at": "2026-12-01T20:05:00.000000Z", "updated_at": "2026-12-01T20:05:00.000000Z",
                             "task": task_id, "project": 7, "prediction": {}, "result_count": len(entities)}],
            "predictions": [], "drafts": [], "comment_authors": []}


def train_request(annotated=ANNOTATED, project="7.1764619000"):
    return {"annotations": [exported_task(i + 1, text, ents) for i, (text, ents) in enumerate(annotated)],
            "project": project, "label_config": LABEL_CONFIG, "params": {"login": None, "password": None}}


def f1_on(model_dir, corpus):
    from ner.evaluate import evaluate_model

    return round(evaluate_model(model_dir, corpus).evaluation.micro.f1, 4)


@pytest.fixture(scope="session")
def weak_model_dir(tmp_path_factory):
    """One short epoch on the seed, scored on the seed: far from fitting it."""
    import torch

    from ner.train import TrainConfig, train

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("weak") / "seed-weak"
    # without the grammeme feature: its fresh embedding made this one epoch find no right span at all
    return train(TrainConfig(train=str(SEED), dev=str(SEED), out=str(out), epochs=1, hidden=16, seed=1, morph=False))


def serve(model_dir, work_dir, **retrainer):
    from ner.backend.retrain import Retrainer
    from ner.tagger.core import Tagger

    backend = Backend(Tagger.load(model_dir), trainer=Retrainer(model_dir, work_dir=work_dir, **retrainer),
                      retrain_every=1)
    return backend, TestClient(create_app(backend))


@pytest.mark.slow
def test_retraining_keeps_the_base_corpus_and_switches_on_a_better_dev_score(weak_model_dir, tmp_path, caplog):
    from ner.formats.conll import read_conll

    caplog.set_level("INFO", "ner.backend")  # the logger app.py and http.py share
    backend, client = serve(weak_model_dir, tmp_path / "work", overrides=OVERRIDES)
    r = client.post("/train", json=train_request())
    assert r.status_code == 201 and r.json()["training"] == "started"
    assert backend.idle.wait(300)
    last = client.get("/health").json()["projects"]["7"]["last_training"]
    assert last["status"] == "switched", last
    new = Path(last["model_dir"])
    assert new == tmp_path / "work" / "project-7" / "r1" / "seed-weak"
    # trained on the whole base corpus plus the two annotated sentences, not on the two alone
    seed_sentences = [s for d in read_conll(SEED) for s in d.sentences]
    trained_on = [s for d in read_conll(new.parent / "train.conll") for s in d.sentences]
    assert len(trained_on) == len(seed_sentences) + 2
    assert [[(w, t) for w, t in zip(s.words, s.tags) if t != "O"] for s in trained_on[-2:]] == [
        [("ChatGPT", "B-Model"), ("Alpaca", "B-Dataset")], [("BERT", "B-Model"), ("ImageNet", "B-Dataset")]]
    # the reported numbers are the two models' scores on the base dev set
    assert last["dev"] == str(SEED) and last["sentences"] == 2
    assert last["dev_f1"] == f1_on(new, SEED) and last["served_f1"] == f1_on(weak_model_dir, SEED)
    assert last["dev_f1"] > last["served_f1"] + 0.2
    assert backend.served("7")[0].path == new and backend.served("8")[0].path == weak_model_dir
    assert f"now serving {last['model_version']} to project 7: dev F1 {last['dev_f1']:.4f}" in caplog.text
    assert not (weak_model_dir.parent / "seed-weak-r1").exists()  # nothing beside the served model


@pytest.mark.slow
def test_a_worse_model_is_not_switched_to_and_the_numbers_say_why(model_dir, tagger, tmp_path, caplog):
    backend, client = serve(model_dir, tmp_path / "work", overrides={"epochs": 1, "hidden": 16})
    assert client.post("/train", json=train_request()).status_code == 201
    assert backend.idle.wait(300)
    health = client.get("/health").json()
    last = health["projects"]["7"]["last_training"]
    assert last["status"] == "kept" and last["served_f1"] == f1_on(model_dir, SEED) > last["dev_f1"]
    assert health["projects"]["7"]["model_version"] == tagger.version and backend.served("7")[0] is backend.tagger
    assert f"kept {tagger.version} for project 7: the new model is worse, dev F1 {last['dev_f1']:.4f} vs " \
           f"{last['served_f1']:.4f}" in caplog.text
    # predictions still come from the served model
    body = client.post("/predict", json={"tasks": [{"id": 1, "data": {"text": ANNOTATED[0][0]}}],
                                         "project": "7.1764619000", "label_config": LABEL_CONFIG}).json()
    assert body["model_version"] == tagger.version


@pytest.mark.slow
def test_a_model_trained_with_map_and_keep_is_retrained_with_its_labels_and_scored_on_them(tmp_path):
    """The base corpus is written mapped: the retrained model keeps every label of the served one (its
    --keep applied again dropped the --map targets), and the served model is scored on the mapped dev set
    as it is (its --map applied again turned every gold entity into O: served F1 0.0, any model 'better')."""
    import torch

    from ner.backend.retrain import Retrainer
    from ner.schema import Schema
    from ner.tagger.core import Tagger
    from ner.train import TrainConfig, train

    torch.set_num_threads(1)
    base = train(TrainConfig(train=str(SEED), dev=str(SEED), out=str(tmp_path / "mapped"), map="Model=MODEL",
                             keep="Dataset", epochs=12, patience=12, lr=2e-2, hidden=32, seed=1))
    served_f1 = f1_on(base, SEED)  # its own map and keep, on the raw seed
    assert served_f1 > 0
    config = format_labeling_config(Schema.auto(["MODEL", "Dataset"], "mapped"))
    tasks = [exported_task(1, ANNOTATED[0][0], [("ChatGPT", "MODEL"), ("Alpaca", "Dataset")])]
    retrainer = Retrainer(base, work_dir=tmp_path / "work", overrides={"epochs": 1, "hidden": 16})
    result = retrainer("START_TRAINING", {"project": {"id": 7}, "tasks": tasks, "label_config": config}, {},
                       Tagger.load(base))
    assert result.served_f1 == served_f1
    assert sorted(Tagger.load(result.model_dir).labels) == sorted(Tagger.load(base).labels) == ["Dataset", "MODEL"]


def test_start_training_with_labels_the_model_lacks_is_refused_in_the_answer(model_dir, tagger, tmp_path, caplog):
    config = LABEL_CONFIG.replace('<Label value="Model"', '<Label value="Robot"/><Label value="Model"')
    request = train_request([("Робот R2D2 помог.", [("R2D2", "Robot")])]) | {"label_config": config}
    backend, client = serve(model_dir, tmp_path / "work", overrides={"epochs": 1})
    r = client.post("/train", json=request)
    assert r.status_code == 409
    message = "annotations use label(s) Robot that model seed-fit lacks ("
    assert r.json()["error"].startswith(f"project 7: {message}")
    health = client.get("/health").json()
    assert health["projects"]["7"]["last_training"]["status"] == "refused"
    assert health["training_error"] == r.json()["error"] and not backend.training
    assert f"project 7: training refused: {message}" in caplog.text and backend.served("7")[0] is backend.tagger


def test_start_training_with_regions_that_cannot_be_placed_is_refused_not_trained_as_o(model_dir, tmp_path):
    """Overlapping regions (BIO holds one): the one not placed would be an O in the training data."""
    request = train_request([(ANNOTATED[0][0], [("ChatGPT", "Model"), ("ChatGPT на", "Dataset")])])
    backend, client = serve(model_dir, tmp_path / "work", overrides={"epochs": 1})
    r = client.post("/train", json=request)
    assert r.status_code == 409, r.json()
    assert r.json()["error"].startswith("project 7: 1 annotated region(s) of project 7 cannot be placed on its "
                                        "tokens and would be trained on as O; first: task 1")
    assert "E203" in r.json()["error"] and not backend.training
    assert not (tmp_path / "work" / "project-7").exists()


def test_start_training_without_the_base_corpus_is_refused_in_the_answer(model_dir, tmp_path):
    backend, client = serve(model_dir, tmp_path / "work", train=str(tmp_path / "gone.conll"))
    for r in (client.post("/train", json=train_request()),
              client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 7}})):
        assert r.status_code == 409
        assert r.json()["error"] == (f"project 7: the base train corpus {tmp_path / 'gone.conll'} (from "
                                     f"{model_dir / 'train_config.toml'}) is not there; pass ner serve --train FILE")
    assert not backend.training and client.get("/health").json()["projects"]["7"]["last_training"]["status"] == "refused"


def test_train_without_annotations_is_a_bad_request(model_dir, tmp_path):
    _, client = serve(model_dir, tmp_path / "work")
    r = client.post("/train", json=train_request([]))
    assert r.status_code == 400 and "no annotated tasks" in r.json()["error"]


def test_retrained_models_go_to_a_work_directory_never_the_repositorys_models(model_dir, tmp_path, monkeypatch):
    from ner.errors import UserError
    from ner.backend.retrain import Retrainer, default_work_dir

    monkeypatch.delenv("NER_CACHE_DIR", raising=False)  # set for the test session: it would win over both
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert Retrainer(model_dir).work_dir == default_work_dir() == tmp_path / "cache" / "ner" / "serve"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_work_dir() == Path.home() / ".cache" / "ner" / "serve"
    monkeypatch.setenv("NER_CACHE_DIR", str(tmp_path / "ner-cache"))
    assert Retrainer(model_dir).work_dir == tmp_path / "ner-cache" / "serve"
    with pytest.raises(UserError, match="inside the repository's models/"):
        Retrainer(model_dir, work_dir=ROOT / "models" / "retrained")


def reference_threshold(found, n_gold):
    """Plain: try every threshold, keep the best F1, the highest threshold among equals."""
    best = (0.0, 0.0)
    for t in sorted({s for s, _ in found}):
        kept = [ok for s, ok in found if s >= t]
        f1 = 2 * sum(kept) / (len(kept) + n_gold)
        if f1 >= best[0] and f1 > 0:
            best = (f1, t)
    return best[1]


@given(st.lists(st.tuples(st.sampled_from([0.1, 0.3, 0.5, 0.55, 0.9, 0.99, 1.0]), st.booleans()), max_size=12),
       st.integers(0, 6))
def test_best_threshold_is_the_best_f1_cut(found, extra_gold):
    import math

    from ner.train.calibrate import best_threshold

    n_gold = sum(ok for _, ok in found) + extra_gold
    assert best_threshold(found, n_gold) == math.floor(reference_threshold(found, n_gold) * 10000) / 10000


def test_min_score_for_a_model_is_a_cut_among_its_own_span_scores(weak_model_dir):
    """On the seed: the threshold is one of the model's span scores (4 digits, rounded down), and the spans
    it keeps score an F1 no lower than keeping every span or only the surest one."""
    import math

    from ner.bio import tags_spans
    from ner.formats.conll import read_conll
    from ner.models import load_model
    from ner.train.calibrate import min_score_for

    model = load_model(weak_model_dir)
    sentences = [s for d in read_conll(SEED) for s in d.sentences]
    gold = {(k, *span) for k, s in enumerate(sentences) for span in tags_spans(s.tags)}
    found = [(min(p.scores[i:j]), (k, i, j, label) in gold)
             for k, p in enumerate(model.predict([list(s.words) for s in sentences]))
             for i, j, label in tags_spans(p.tags)]

    def f1(t):
        kept = [ok for score, ok in found if score >= t]
        return 2 * sum(kept) / (len(kept) + len(gold))

    threshold = min_score_for(model, sentences)
    assert threshold in {math.floor(score * 10000) / 10000 for score, _ in found}
    assert f1(threshold) >= max(f1(0.0), f1(max(score for score, _ in found))) > 0


@contextmanager
def connected(labelstudio, backend, tasks):
    """A Label Studio project holding ``tasks``, with ``backend`` served on 127.0.0.1 as its ML backend:
    yields ``(project id, ML backend id, Label Studio API client, backend URL)``."""
    import uuid

    import httpx

    ls = httpx.Client(base_url=labelstudio.url, headers={"Authorization": f"Token {labelstudio.api_key}"},
                      timeout=120)
    project = ls.post("/api/projects", json={"title": f"test-serve-{uuid.uuid4().hex[:8]}",
                                            "label_config": LABEL_CONFIG}).json()
    try:
        with serving(backend) as url:
            assert ls.post(f"/api/projects/{project['id']}/import", json=tasks).status_code == 201
            ml = ls.post("/api/ml", json={"url": url, "project": project["id"], "title": "ner"})
            assert ml.status_code == 201, ml.text
            yield project["id"], ml.json()["id"], ls, url
    finally:
        ls.delete(f"/api/projects/{project['id']}")


def ls_retrainer(labelstudio, model_dir, tmp_path):
    from ner.labelstudio.client import Connection
    from ner.backend.retrain import Retrainer
    from ner.tagger.core import Tagger

    return Backend(Tagger.load(model_dir), retrain_every=100, trainer=Retrainer(
        model_dir, work_dir=tmp_path / "work", connection=Connection(labelstudio.url, labelstudio.api_key),
        overrides=OVERRIDES))


@pytest.mark.slow
@pytest.mark.labelstudio
def test_label_studio_start_training_retrains_the_project_through_the_webhook(labelstudio, weak_model_dir, tmp_path):
    """The real server: a project with two annotated tasks, our backend connected to it as Label Studio's
    ML backend, and Label Studio's own "Start training" call, which posts START_TRAINING to us."""
    import httpx

    backend = ls_retrainer(labelstudio, weak_model_dir, tmp_path)
    tasks = [{"data": {"text": text}, "annotations": [{"result": regions(text, ents)}]} for text, ents in ANNOTATED]
    with connected(labelstudio, backend, tasks) as (project, ml, ls, url):
        assert ls.post(f"/api/ml/{ml}/train").status_code == 200  # the "Start training" button
        assert backend.idle.wait(300)
        last = httpx.get(f"{url}/health").json()["projects"][str(project)]["last_training"]
        assert last["event"] == "START_TRAINING" and last["status"] == "switched", last
        assert last["sentences"] == 2 and last["dev_f1"] > last["served_f1"]
        assert Path(last["model_dir"]).is_relative_to(tmp_path / "work")
        # Label Studio now gets the new model's predictions for this project ("Retrieve predictions")
        r = ls.post("/api/dm/actions", params={"id": "retrieve_tasks_predictions", "project": project},
                    json={"selectedItems": {"all": True, "excluded": []}})
        assert r.status_code == 200, r.text
        tasks = ls.get("/api/tasks", params={"project": project, "fields": "all"}).json()["tasks"]
        assert {p["model_version"] for t in tasks for p in t["predictions"]} == {last["model_version"]}


@pytest.mark.labelstudio
def test_label_studio_start_training_on_a_project_without_annotations_is_reported(labelstudio, model_dir,
                                                                                  tmp_path, caplog):
    import httpx

    backend = ls_retrainer(labelstudio, model_dir, tmp_path)
    with connected(labelstudio, backend, [{"data": {"text": t}} for t, _ in ANNOTATED]) as (project, ml, ls, url):
        assert ls.post(f"/api/ml/{ml}/train").status_code == 200
        assert backend.idle.wait(60)
        health = httpx.get(f"{url}/health").json()
        last = health["projects"][str(project)]["last_training"]
        assert last["status"] == "refused" and last["message"] == (
            "0 annotated sentence(s) in the project; at least 1 needed to retrain")
        assert health["training_error"] == f"project {project}: {last['message']}"
        assert f"project {project}: training refused: 0 annotated sentence(s)" in caplog.text
        assert not list((tmp_path / "work").glob("project-*/r*"))  # nothing trained, nothing written


def test_a_train_request_whose_project_id_is_not_a_number_is_refused_naming_it(weak_model_dir, tmp_path):
    backend, client = serve(weak_model_dir, tmp_path / "work", overrides=OVERRIDES)
    r = client.post("/train", json=train_request(project="abc"))
    assert r.status_code == 409 and "'abc' is not a number" in r.json()["error"], r.text
    assert not backend.training
