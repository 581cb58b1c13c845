"""The ML backend's HTTP contract, with the payloads Label Studio 1.23 sends (ml/api_connector.py)."""

from __future__ import annotations

import base64
import re
import threading
import time

import pytest
from starlette.testclient import TestClient

from ner.labelstudio.config import format_labeling_config
from ner.schema import load_schema
from ner.backend.app import Auth, Backend, create_app

LABEL_CONFIG = format_labeling_config(load_schema())
TEXT = "😀 У ChatGPT есть датасет Alpaca."


def ls_task(task_id: int, text: str) -> dict:
    """A task as Label Studio serializes it for /predict (TaskSimpleSerializer)."""
    return {"id": task_id, "data": {"text": text}, "meta": {}, "created_at": "2026-11-22T00:40:00.000000Z",
            "updated_at": "2026-11-22T00:40:00.000000Z", "is_labeled": False, "overlap": 1, "inner_id": task_id,
            "total_annotations": 0, "cancelled_annotations": 0, "total_predictions": 0, "comment_count": 0,
            "unresolved_comment_count": 0, "last_comment_updated_at": None, "project": 7, "updated_by": [],
            "file_upload": None, "comment_authors": [], "annotations": [], "predictions": []}


def predict_request(*tasks) -> dict:
    return {"tasks": list(tasks), "project": "7.1763772800", "label_config": LABEL_CONFIG,
            "params": {"login": None, "password": None, "context": None}}


SETUP_REQUEST = {"project": "7.1763772800", "schema": LABEL_CONFIG, "hostname": "http://localhost:8080",
                 "access_token": "ner0local0dev0token000000000000000000000", "extra_params": None}


@pytest.fixture
def backend(tagger):
    return Backend(tagger)


@pytest.fixture
def client(backend):
    return TestClient(create_app(backend), raise_server_exceptions=False)


def test_health(client, tagger):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "UP", "model_class": "ner", "model_version": tagger.version, "min_score": 0.0,
                        "training": False, "training_error": None, "projects": {}}
    assert client.get("/").json()["status"] == "UP"


def test_setup_answers_the_model_version_and_keeps_the_project(client, backend, tagger):
    r = client.post("/setup", json=SETUP_REQUEST)
    assert r.status_code == 200 and r.json() == {"model_version": tagger.version}
    assert backend.setups["7"]["access_token"] == SETUP_REQUEST["access_token"]


def test_predict_returns_one_prediction_per_task_in_label_studio_shape(client, tagger):
    r = client.post("/predict", json=predict_request(ls_task(1, TEXT), ls_task(2, ""), ls_task(3, "Обучение.")))
    assert r.status_code == 200
    body = r.json()
    assert body["model_version"] == tagger.version
    assert len(body["results"]) == 3
    first = body["results"][0]
    analysis = next(tagger.analyze_many([TEXT, "", "Обучение."]))  # batched as the server batches
    assert first["model_version"] == tagger.version
    assert first["score"] == round(analysis.score, 4)
    chatgpt = [x for x in first["result"] if x["value"]["text"] == "ChatGPT"]
    # code points, as Label Studio 1.23 stores and draws them: the emoji is one character (UTF-16 would say 5:12)
    assert [(x["from_name"], x["to_name"], x["type"], x["value"]["start"], x["value"]["end"],
             x["value"]["labels"]) for x in chatgpt] == [("label", "text", "labels", 4, 11, ["Model"])]
    assert all(0 < x["score"] <= 1 for x in first["result"])
    assert len(first["result"]) == len(analysis.entities)
    assert body["results"][1] == {"result": [], "score": 1.0, "model_version": tagger.version}


def test_predict_follows_the_projects_names(client):
    config = ('<View><Text name="doc" value="$body"/><Labels name="ents" toName="doc">'
              '<Label value="Model"/></Labels></View>')
    task = ls_task(1, "")
    task["data"] = {"body": TEXT}
    r = client.post("/predict", json={"tasks": [task], "label_config": config})
    assert r.status_code == 200
    result = r.json()["results"][0]["result"]
    assert result and {(x["from_name"], x["to_name"]) for x in result} == {("ents", "doc")}
    # the model also finds Alpaca (Dataset), a label this project does not have: left out
    assert [x["value"]["labels"] for x in result] == [["Model"]]


@pytest.mark.parametrize("payload, message", [
    (b"not json", "not JSON"),
    (b"[]", "'tasks' list"),
    (b'{"tasks": "x"}', "'tasks' list"),
    (b'{"tasks": [{"id": 5, "data": {"body": "x"}}]}', "task 5: no text in data.text"),
    (b'{"tasks": [{"id": 5, "data": {"text": 42}}]}', "task 5: no text in data.text"),
    (b'{"tasks": [7]}', r"tasks\[0\]: no text"),
    (b'{"tasks": [], "label_config": "<View><Text"}', "not valid XML"),
    (b'{"tasks": [], "label_config": 5}', "'label_config' must be the labeling config's XML as a string"),
    (b'{"tasks": [], "label_config": ["<View/>"]}', "'label_config' must be"),
    (b'{"tasks": [], "label_config": "<View><Text name=\\"t\\" value=\\"$t\\"/></View>"}', "no <Labels>"),
])
def test_bad_predict_payloads_get_400_with_a_message(client, payload, message):
    r = client.post("/predict", content=payload, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["status"] == "error"
    assert re.search(message, r.json()["error"])


def test_bad_setup_and_webhook_payloads_get_400(client):
    assert client.post("/setup", content=b"[1]").status_code == 400
    assert client.post("/setup", json={"project": "1.2", "schema": "<View/>"}).status_code == 400
    r = client.post("/setup", json={"project": "1.2", "schema": 5})
    assert r.status_code == 400 and r.json()["error"] == "'schema' must be the labeling config's XML as a string"
    r = client.post("/webhook", json={"project": {"id": 1}})
    assert r.status_code == 400 and "action" in r.json()["error"]


def test_a_lone_surrogate_is_a_bad_request(client):
    r = client.post("/predict", content=b'{"tasks": [{"id": 1, "data": {"text": "ChatGPT \\ud800"}}]}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "task 1: data.text is not valid Unicode (lone surrogate at 8)"


def test_a_crash_in_one_request_is_answered_and_the_server_keeps_serving(tagger):
    class Failing(Backend):  # the real backend, failing on one marked request as a bug would
        def predict(self, payload):
            if payload.get("fail"):
                raise RuntimeError("bug in this request")
            return super().predict(payload)

    client = TestClient(create_app(Failing(tagger)), raise_server_exceptions=False)
    r = client.post("/predict", json={**predict_request(ls_task(1, TEXT)), "fail": True})
    assert r.status_code == 500 and r.json()["error"] == "RuntimeError: bug in this request"
    assert client.post("/predict", json=predict_request(ls_task(1, TEXT))).status_code == 200


def test_webhook_ignores_other_events_and_refuses_start_training_when_training_is_off(client, caplog):
    r = client.post("/webhook", json={"action": "PROJECT_UPDATED", "project": {"id": 7}})
    assert r.status_code == 200 and r.json()["status"] == "Unknown event"
    r = client.post("/webhook", json={"action": "ANNOTATION_CREATED", "project": {"id": 7}})
    assert r.status_code == 201 and r.json() == {"status": "ok", "training": "disabled"}
    # "Start training" that cannot train is an error Label Studio shows, not a silent 201
    r = client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 7}})
    assert r.status_code == 409
    assert r.json()["error"] == "project 7: training is off in this backend (ner serve --retrain-every 0)"
    health = client.get("/health").json()
    assert health["training_error"] == r.json()["error"]
    assert health["projects"]["7"]["last_training"]["status"] == "refused"
    assert "project 7: training refused: training is off" in caplog.text


@pytest.mark.parametrize("auth, good, bad", [
    (Auth(token="s3cret"), {"Authorization": "Bearer s3cret"}, {"Authorization": "Bearer nope"}),
    (Auth(user="ls", password="pw:1"), {"Authorization": "Basic " + base64.b64encode(b"ls:pw:1").decode()},
     {"Authorization": "Basic " + base64.b64encode(b"ls:pw").decode()}),
])
def test_auth(backend, auth, good, bad):
    client = TestClient(create_app(backend, auth))
    for path in ("/health", "/"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=bad).status_code == 401
        assert client.get(path, headers=good).status_code == 200
    assert client.post("/predict", json=predict_request(ls_task(1, TEXT))).status_code == 401
    assert client.post("/predict", json=predict_request(ls_task(1, TEXT)), headers=good).status_code == 200
    assert client.post("/predict", json={}, headers={"Authorization": "Basic !!!"}).status_code == 401


def test_basic_auth_flag_parsing():
    assert Auth.parse_basic("user:pa:ss") == Auth(user="user", password="pa:ss")
    from ner.errors import UserError

    with pytest.raises(UserError, match="USER:PASSWORD"):
        Auth.parse_basic("user")


class Gate:
    """A trainer that hands back a real model directory when the test says so (scheduling, not training)."""

    def __init__(self, tmp_path, models: dict):
        self.tmp_path, self.models = tmp_path, models  # project id -> model directory to hand back
        self.calls: list[tuple[str, str]] = []
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, event, payload, setup, served):
        import shutil

        from ner.backend.retrain import Retrained

        project = str(payload["project"]["id"])
        self.calls.append((project, event))
        self.started.set()
        assert self.release.wait(30)
        out = self.tmp_path / f"run{len(self.calls)}-{project}"
        shutil.copytree(self.models[project], out)
        return Retrained(out, "dev.conll", dev_f1=0.5, served_f1=0.25, sentences=2)


def event(action, project):
    return {"action": action, "project": {"id": project, "label_config": LABEL_CONFIG}}


def test_retraining_runs_one_at_a_time_and_switches_when_ready(tagger, model_dir, tmp_path):
    """Events during a training coalesce into one more run; the served model switches only when loaded."""
    gate = Gate(tmp_path, {"7": model_dir})
    backend = Backend(tagger, trainer=gate, retrain_every=2)
    client = TestClient(create_app(backend))
    assert client.post("/webhook", json=event("ANNOTATION_CREATED", 7)).json()["training"] == "waiting"
    assert client.post("/webhook", json=event("ANNOTATION_CREATED", 7)).json()["training"] == "started"
    assert gate.started.wait(10)
    assert client.get("/health").json()["projects"]["7"]["training"] == "running"
    assert client.post("/webhook", json=event("START_TRAINING", 7)).json()["training"] == "queued"
    assert client.post("/webhook", json=event("START_TRAINING", 7)).json()["training"] == "queued"
    assert backend.served("7")[0] is tagger  # still the old model while training
    gate.release.set()
    assert backend.idle.wait(30)
    assert gate.calls == [("7", "ANNOTATION_CREATED"), ("7", "START_TRAINING")]
    assert backend.served("7")[0].path == tmp_path / "run2-7" and backend.trainings == 2
    health = client.get("/health").json()
    assert health["training"] is False
    assert health["projects"]["7"]["last_training"] | {"seconds": 0} == {
        "project": "7", "event": "START_TRAINING", "status": "switched", "dev": "dev.conll", "dev_f1": 0.5,
        "served_f1": 0.25, "sentences": 2, "model_dir": str(tmp_path / "run2-7"), "seconds": 0,
        "model_version": backend.served("7")[0].version,
        "message": f"now serving {backend.served('7')[0].version} to project 7: dev F1 0.5000 vs 0.2500 of "
                   f"{tagger.version} on dev.conll"}


def test_one_model_per_project(tagger, model_dir, navec_model_dir, tmp_path):
    """Project B neither drops A's queued retraining nor gets A's model; each counts its own events."""
    from ner.tagger.core import Tagger

    gate = Gate(tmp_path, {"1": navec_model_dir, "2": model_dir})
    backend = Backend(tagger, trainer=gate, retrain_every=2)
    client = TestClient(create_app(backend))
    # one annotation in each project: neither has reached two yet
    assert client.post("/webhook", json=event("ANNOTATION_CREATED", 1)).json()["annotations_until_training"] == 1
    assert client.post("/webhook", json=event("ANNOTATION_CREATED", 2)).json()["annotations_until_training"] == 1
    assert client.post("/webhook", json=event("START_TRAINING", 1)).json()["training"] == "started"
    assert gate.started.wait(10)
    assert client.post("/webhook", json=event("START_TRAINING", 1)).json()["training"] == "queued"  # A again
    assert client.post("/webhook", json=event("START_TRAINING", 2)).json()["training"] == "queued"  # then B
    gate.release.set()
    assert backend.idle.wait(60)
    assert gate.calls == [("1", "START_TRAINING"), ("1", "START_TRAINING"), ("2", "START_TRAINING")]
    versions = {}
    for project in ("1", "2", "3"):
        body = client.post("/predict", json={**predict_request(ls_task(1, TEXT)), "project": f"{project}.1763772800"})
        versions[project] = body.json()["results"][0]["model_version"]
        assert client.post("/setup", json={**SETUP_REQUEST, "project": f"{project}.1"}).json() == {
            "model_version": versions[project]}
    assert versions == {"1": Tagger.load(navec_model_dir).version, "2": tagger.version, "3": tagger.version}
    assert backend.served("1")[0].path == tmp_path / "run2-1" and backend.served("2")[0].path == tmp_path / "run3-2"
    projects = client.get("/health").json()["projects"]
    assert {p: projects[p]["model_version"] for p in ("1", "2")} == {"1": versions["1"], "2": tagger.version}


def test_a_restarted_backend_serves_each_project_its_last_switched_model(tagger, model_dir, navec_model_dir,
                                                                        tmp_path):
    from ner.tagger.core import Tagger

    gate = Gate(tmp_path, {"7": navec_model_dir})
    gate.release.set()
    backend = Backend(tagger, trainer=gate, work_dir=tmp_path / "work")
    TestClient(create_app(backend)).post("/webhook", json=event("START_TRAINING", 7))
    assert backend.idle.wait(30) and backend.served("7")[0].path == tmp_path / "run1-7"
    again = Backend(tagger, work_dir=tmp_path / "work")  # the server restarted
    assert again.restore() == [f"project 7: serving {backend.served('7')[0].version} from {tmp_path / 'run1-7'}"]
    assert again.served("7")[0].path == tmp_path / "run1-7" and again.served("8")[0] is tagger
    assert again.health()["projects"]["7"]["last_training"]["status"] == "switched"
    other = Backend(Tagger.load(navec_model_dir), work_dir=tmp_path / "work")  # another base model
    assert other.restore()[0].startswith(f"project 7: base model {other.tagger.version} is not {tagger.version}")
    assert other.served("7")[0] is other.tagger


def test_a_failed_training_is_reported_and_the_old_model_kept(tagger, caplog):
    def trainer(event, payload, setup, served):
        raise OSError("No space left on device")

    backend = Backend(tagger, trainer=trainer, retrain_every=1)
    client = TestClient(create_app(backend))
    assert client.post("/webhook", json=event("START_TRAINING", 7)).status_code == 201
    assert backend.idle.wait(10)
    health = client.get("/health").json()
    assert health["training_error"] == "project 7: OSError: No space left on device"
    assert health["projects"]["7"]["last_training"]["status"] == "failed"
    assert health["projects"]["7"]["model_version"] == tagger.version
    assert "project 7: training failed: OSError: No space left on device" in caplog.text
    # the next "Start training" shows why the last one failed
    assert client.post("/webhook", json=event("START_TRAINING", 7)).json()["last_training"]["status"] == "failed"


def test_min_score_drops_the_spans_below_it(tagger):
    task = ls_task(1, TEXT)
    scores = sorted(r["score"] for r in Backend(tagger).predict(predict_request(task))["results"][0]["result"])
    assert len(scores) >= 2 and scores[0] < scores[-1]
    cut = (scores[0] + scores[-1]) / 2
    kept = Backend(tagger, min_score=cut).predict(predict_request(task))["results"][0]["result"]
    assert sorted(r["score"] for r in kept) == [s for s in scores if s >= cut]


@pytest.mark.parametrize("text, words, entity, kept", [
    ("ChatGPT — лучший", ["ChatGPT", "—", "лучший"], (0, 9), False),   # ends on a dash
    ("GPT - 4", ["GPT", "-", "4"], (0, 5), False),
    ("« BERT", ["«", "BERT"], (0, 6), False),                          # begins on a quote
    ("GPT - 4", ["GPT", "-", "4"], (0, 7), True),                      # a dash inside is fine
    ("GPT-4 и", ["GPT-4", "и"], (0, 5), True),
    ("7B модель", ["7B", "модель"], (0, 2), True),                     # a digit counts
])
def test_spans_that_begin_or_end_on_a_token_without_letters_are_never_emitted(text, words, entity, kept):
    from ner.records import Token
    from ner.labelstudio.predict import keep_spans
    from ner.tagger.core import Entity, TaggedText

    tokens, pos = [], 0
    for w in words:
        start = text.index(w, pos)
        tokens.append(Token(w, start, start + len(w)))
        pos = start + len(w)
    e = Entity(entity[0], entity[1], "Model", text[entity[0]:entity[1]], 0.99)
    tagged = TaggedText(text, (e,), 0.99, tuple(tokens))
    assert keep_spans(tagged, 0.0).entities == ((e,) if kept else ())


def test_offsets_are_code_points_around_astral_characters(client):
    text = "🚀 🚀 У ChatGPT 👍 есть датасет Alpaca 🤖 и 𝔘𝔫𝔦𝔠𝔬𝔡𝔢."
    result = client.post("/predict", json=predict_request(ls_task(1, text))).json()["results"][0]["result"]
    assert {x["value"]["text"] for x in result} >= {"ChatGPT", "Alpaca"}
    for x in result:  # what Label Studio draws: text[start:end] in code points
        assert text[x["value"]["start"]:x["value"]["end"]] == x["value"]["text"]


class CountingModel:
    """The real model, with every call's batch size written down; the first call waits until told."""

    def __init__(self, model):
        self.model, self.calls = model, []
        self.first = threading.Event()
        self.go = threading.Event()

    def __getattr__(self, name):
        return getattr(self.model, name)

    def predict(self, batch):
        self.calls.append(len(batch))
        if len(self.calls) == 1:
            self.first.set()
            assert self.go.wait(30)
        return self.model.predict(batch)


def test_concurrent_requests_are_batched_per_model_and_each_gets_its_own_answer(tagger, model_dir,
                                                                              navec_model_dir, tmp_path):
    """While one model call runs, 15 requests for project A and 8 for project B queue up: then one call
    per model serves them all, and each request gets the entities of its own text (offsets differ)."""
    from ner.backend.app import Project
    from ner.tagger.core import Tagger

    a, b = CountingModel(tagger.model), CountingModel(Tagger.load(navec_model_dir).model)
    b.first.set(), b.go.set()
    backend = Backend(Tagger(a, model_dir))
    backend.projects["2"] = Project(tagger=Tagger(b, navec_model_dir))
    texts = [" " * (2 * i) + "У ChatGPT есть датасет Alpaca." for i in range(24)]
    answers = [None] * len(texts)

    def ask(i):
        project = "2.1" if i >= 16 else "1.1"
        answers[i] = backend.predict({"tasks": [{"id": i, "data": {"text": texts[i]}}], "project": project})

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    threads[0].start()
    assert a.first.wait(10)  # request 0 is in the model; the others queue behind it
    for t in threads[1:]:
        t.start()
    deadline = time.monotonic() + 10
    while backend.batcher.queue.qsize() < len(texts) - 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    a.go.set()
    for t in threads:
        t.join(60)
    assert a.calls == [1, 15] and b.calls == [8]
    for i, answer in enumerate(answers):
        alone = Backend(Tagger(b.model if i >= 16 else a.model, None)).predict({"tasks": [{"id": i, "data": {
            "text": texts[i]}}]})  # the same text on its own, one call
        assert answer["model_version"] == (b if i >= 16 else a).version
        assert [(r["value"]["text"], r["value"]["start"], r["value"]["end"], r["value"]["labels"])
                for r in answer["results"][0]["result"]] == [
            (r["value"]["text"], r["value"]["start"], r["value"]["end"], r["value"]["labels"])
            for r in alone["results"][0]["result"]]
        if i < 16:
            assert ("ChatGPT", 2 + 2 * i, 9 + 2 * i, ["Model"]) in [
                (r["value"]["text"], r["value"]["start"], r["value"]["end"], r["value"]["labels"])
                for r in answer["results"][0]["result"]]


@pytest.mark.slow
def test_ner_serve_command_serves_with_a_token(model_dir):
    import os
    import subprocess
    import sys
    import time

    import httpx

    from tests.backend.serving import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "ner", "serve", "--model", str(model_dir), "--port", str(port),
                               "--auth-token", "t0k", "--retrain-every", "0", "--log-level", "warning"],
                              env={**os.environ, "LABEL_STUDIO_API_KEY": ""}, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"{url}/health", headers={"Authorization": "Bearer t0k"})
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["model_version"].startswith("seed-fit@")
        assert httpx.get(f"{url}/health").status_code == 401
        r = httpx.post(f"{url}/predict", json=predict_request(ls_task(1, TEXT)), headers={"Authorization": "Bearer t0k"})
        assert r.status_code == 200 and r.json()["results"][0]["result"]
        # no --min-score: the threshold calibrated on the model's dev set, in /health and on the first line
        from ner.formats.conll import read_conll
        from ner.models import load_model
        from ner.train.calibrate import min_score_for
        from tests.conftest import SEED

        expected = min_score_for(load_model(model_dir), [s for d in read_conll(SEED) for s in d.sentences if len(s)])
        health = httpx.get(f"{url}/health", headers={"Authorization": "Bearer t0k"}).json()
        assert health["min_score"] == expected > 0
    finally:
        server.terminate()
        server.wait(10)
    assert f"retraining off; min score {expected} calibrated on {SEED}" in server.stderr.read()


def test_ner_serve_without_a_model_says_what_to_do(tmp_path, monkeypatch, capsys):
    from ner.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NER_MODEL", raising=False)
    assert main(["serve"]) == 2
    assert "no model at models/default" in capsys.readouterr().err


def test_ner_serve_with_a_port_out_of_range_is_one_line(model_dir, capsys):
    from ner.cli import main

    assert main(["serve", "--model", str(model_dir), "--port", "99999", "--retrain-every", "0",
                 "--min-score", "0.5"]) == 2
    assert capsys.readouterr().err == "ner serve: error: --port 99999 must be between 0 and 65535\n"


def test_a_restart_with_a_given_min_score_uses_it_for_restored_projects_too(tagger, model_dir, tmp_path):
    gate = Gate(tmp_path, {"7": model_dir})
    gate.release.set()
    backend = Backend(tagger, trainer=gate, min_score=0.3, recalibrate=True, work_dir=tmp_path / "work")
    TestClient(create_app(backend)).post("/webhook", json=event("START_TRAINING", 7))
    assert backend.idle.wait(30) and backend.served("7") == (backend.served("7")[0], 0.0)  # its own calibration
    again = Backend(tagger, min_score=0.5, work_dir=tmp_path / "work")  # restarted with --min-score 0.5
    again.restore()
    assert again.served("7")[0].path == tmp_path / "run1-7" and again.served("7")[1] == 0.5
    calibrated = Backend(tagger, min_score=0.3, recalibrate=True, work_dir=tmp_path / "work")
    calibrated.restore()
    assert calibrated.served("7")[1] == 0.0


def test_one_projects_success_does_not_clear_anothers_training_error(tagger, navec_model_dir, tmp_path):
    def trainer(event, payload, setup, served):
        project = str(payload["project"]["id"])
        if project == "7":
            raise OSError("No space left on device")
        gate = Gate(tmp_path, {project: navec_model_dir})
        gate.release.set()
        return gate(event, payload, setup, served)

    backend = Backend(tagger, trainer=trainer, retrain_every=1, work_dir=tmp_path / "work")
    client = TestClient(create_app(backend))
    client.post("/webhook", json=event("START_TRAINING", 7))
    assert backend.idle.wait(10)
    client.post("/webhook", json=event("START_TRAINING", 8))
    assert backend.idle.wait(30)
    health = client.get("/health").json()
    assert health["projects"]["8"]["last_training"]["status"] == "switched"
    assert health["training_error"] == "project 7: OSError: No space left on device"


@pytest.mark.slow
def test_ner_serve_calibrates_the_same_from_another_directory(model_dir, tmp_path):
    """The model's config names its corpus relative to the repository root (as a run there writes it);
    served from elsewhere it still starts with the threshold of its dev set, carried in the directory."""
    import os
    import subprocess
    import sys

    from ner.train.calibrate import min_score_for
    from ner.formats.conll import read_conll
    from ner.models import load_model
    from tests.conftest import ROOT, SEED
    from tests.plugins.models import relative_corpus_copy

    moved = relative_corpus_copy(model_dir, tmp_path / "m")
    expected = min_score_for(load_model(moved), [s for d in read_conll(SEED) for s in d.sentences if len(s)])
    server = subprocess.Popen([sys.executable, "-m", "ner", "serve", "--model", str(moved), "--port", "0",
                               "--retrain-every", "0", "--log-level", "warning"], cwd=tmp_path,
                              env={**os.environ, "LABEL_STUDIO_API_KEY": "", "PYTHONPATH": str(ROOT)},
                              stderr=subprocess.PIPE, text=True)
    try:
        first = ""
        while not first.startswith("ner serve:"):  # the line that says what is served (warnings may come first)
            first = server.stderr.readline()
            if not first:
                break
    finally:
        server.terminate()
        server.wait(10)
    assert f"retraining off; min score {expected} calibrated on {SEED})" in first
    assert expected > 0
