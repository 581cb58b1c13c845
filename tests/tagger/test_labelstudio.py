"""Pre-annotations and the ML backend against the real local Label Studio server."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time

import pytest

from ner.labelstudio.predict import predict_project
from ner.schema import load_schema
from ner.serve import Backend, create_app
from ner.tagger import Tagger

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


def _add_backend(ls_client, project_id: int, url: str):
    """Connect the backend to the project through the API, as the Model settings page does."""
    try:
        return ls_client._sdk.ml.create(project=project_id, url=url, title="ner", is_interactive=False)
    except Exception as e:  # Label Studio refuses backends on local addresses by default
        pytest.fail(f"Label Studio refused the ML backend at {url} ({str(e)[-160:]}); the local server must run "
                    f"with ML_BLOCK_LOCAL_IP=false and SSRF_PROTECTION_ENABLED=false", pytrace=False)


@pytest.fixture
def served(tagger):
    """The ML backend on a real port, as Label Studio reaches it."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = Backend(tagger)
    server = uvicorn.Server(uvicorn.Config(create_app(backend), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield backend, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_label_studio_calls_the_backend_and_shows_its_predictions(ls_client, ls_project, served, tagger):
    backend, url = served
    project = _project(ls_client, ls_project)
    sdk = ls_client._sdk
    ml = _add_backend(ls_client, project["id"], url)
    # Label Studio called /health and /setup while adding the backend
    assert str(project["id"]) in backend.setups
    assert sdk.ml.get(id=ml.id).model_version == tagger.version
    sdk.projects.update(id=project["id"], evaluate_predictions_automatically=True)
    for task in ls_client.iter_tasks(project["id"]):
        sdk.tasks.get(id=str(task["id"]))  # opening a task makes Label Studio call /predict
    found = _predictions(ls_client, project["id"])
    analysis = list(tagger.analyze_many(TEXTS))
    for text, tagged in zip(TEXTS, analysis):
        assert len(found[text]) == 1
        prediction = found[text][0]
        assert prediction["model_version"] == tagger.version
        assert prediction["score"] == pytest.approx(tagged.score, abs=0.05)
        assert sorted(r["value"]["text"] for r in prediction["result"]) == sorted(e.text for e in tagged.entities)
    assert ("ChatGPT", 4, 11) in [(r["value"]["text"], r["value"]["start"], r["value"]["end"])
                                  for r in found[TEXTS[0]][0]["result"]]


@pytest.mark.slow
def test_start_training_in_label_studio_retrains_and_switches_the_served_model(
        ls_client, ls_project, labelstudio, tagger, model_dir, tmp_path):
    """Label Studio's "Start Training" reaches the backend, which pulls the annotations, trains, then switches."""
    import uvicorn

    from ner.formats.conll import read_conll
    from ner.labelstudio.client import Connection
    from ner.labelstudio.sync import push
    from ner.retrain import Retrainer
    from tests.conftest import SEED

    title = ls_project(load_schema(), prefix="retrain")
    push(ls_client, title, list(read_conll(SEED)), sentences_per_task=5)
    project = ls_client.project(title)
    trainer = Retrainer(model_dir, work_dir=tmp_path, connection=Connection(labelstudio.url, labelstudio.api_key),
                        overrides={"epochs": 2, "patience": 2})
    backend = Backend(tagger, trainer=trainer)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(backend), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        ml = _add_backend(ls_client, project["id"], f"http://127.0.0.1:{port}")
        ls_client._sdk.ml.train(id=ml.id)
        assert backend.training or backend.trainings == 1
        assert backend.idle.wait(300)
        assert backend.training_error is None and backend.trainings == 1
        assert backend.tagger.path == tmp_path / "seed-fit-r1"
        assert backend.tagger.name == tagger.name and backend.tagger.version != tagger.version
        assert ls_client._sdk.ml.get(id=ml.id).model_version in (tagger.version, backend.tagger.version)
    finally:
        server.should_exit = True
        thread.join(10)
