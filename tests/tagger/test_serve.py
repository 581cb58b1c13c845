"""The ML backend's HTTP contract, with the payloads Label Studio 1.23 sends (ml/api_connector.py)."""

from __future__ import annotations

import base64
import re
import threading

import pytest
from starlette.testclient import TestClient

from ner.labelstudio.config import format_labeling_config
from ner.schema import load_schema
from ner.serve import Auth, Backend, create_app

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
    assert r.json() == {"status": "UP", "model_class": "ner", "model_version": tagger.version,
                        "training": False, "training_error": None}
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
    # UTF-16 offsets, as the editor counts: the emoji is two code units
    assert [(x["from_name"], x["to_name"], x["type"], x["value"]["start"], x["value"]["end"],
             x["value"]["labels"]) for x in chatgpt] == [("label", "text", "labels", 5, 12, ["Model"])]
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


@pytest.mark.parametrize("payload, message", [
    (b"not json", "not JSON"),
    (b"[]", "'tasks' list"),
    (b'{"tasks": "x"}', "'tasks' list"),
    (b'{"tasks": [{"id": 5, "data": {"body": "x"}}]}', "task 5: no text in data.text"),
    (b'{"tasks": [{"id": 5, "data": {"text": 42}}]}', "task 5: no text in data.text"),
    (b'{"tasks": [7]}', r"tasks\[0\]: no text"),
    (b'{"tasks": [], "label_config": "<View><Text"}', "not valid XML"),
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


def test_webhook_ignores_other_events_and_reports_when_training_is_off(client):
    r = client.post("/webhook", json={"action": "PROJECT_UPDATED", "project": {"id": 7}})
    assert r.status_code == 200 and r.json()["status"] == "Unknown event"
    r = client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 7}})
    assert r.status_code == 201 and r.json() == {"status": "ok", "training": "disabled"}


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


def test_retraining_runs_one_at_a_time_and_switches_when_ready(tagger, model_dir, tmp_path):
    """Events during a training coalesce into one more run; the served model switches only when loaded."""
    import shutil

    started = threading.Event()
    release = threading.Event()
    calls = []

    def trainer(event, payload, setup):
        calls.append(event)
        started.set()
        release.wait(30)
        out = tmp_path / f"copy{len(calls)}"
        shutil.copytree(model_dir, out)
        return out

    backend = Backend(tagger, trainer=trainer, retrain_every=2)
    client = TestClient(create_app(backend))
    event = {"action": "ANNOTATION_CREATED", "project": {"id": 7, "label_config": LABEL_CONFIG}}
    assert client.post("/webhook", json=event).json()["training"] == "waiting"
    assert client.post("/webhook", json=event).json()["training"] == "started"
    assert started.wait(10)
    assert client.get("/health").json()["training"] is True
    assert client.post("/webhook", json={**event, "action": "START_TRAINING"}).json()["training"] == "queued"
    assert client.post("/webhook", json={**event, "action": "START_TRAINING"}).json()["training"] == "queued"
    assert backend.tagger is tagger  # still the old model while training
    release.set()
    assert backend.idle.wait(30)
    assert calls == ["ANNOTATION_CREATED", "START_TRAINING"]
    assert backend.tagger.path == tmp_path / "copy2" and backend.trainings == 2
    assert client.get("/health").json()["training"] is False


def test_a_failed_training_is_reported_and_the_old_model_kept(tagger):
    def trainer(event, payload, setup):
        raise RuntimeError("disk full")

    backend = Backend(tagger, trainer=trainer, retrain_every=1)
    client = TestClient(create_app(backend))
    assert client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 7}}).status_code == 201
    assert backend.idle.wait(10)
    health = client.get("/health").json()
    assert health["training_error"] == "RuntimeError: disk full" and health["model_version"] == tagger.version


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer(backend):
    # Same words, different spacing: offsets tell the requests apart, and batching cannot move probabilities.
    texts = [" " * (2 * i) + "У ChatGPT есть датасет Alpaca." for i in range(16)]
    answers = [None] * len(texts)

    def ask(i):
        answers[i] = backend.predict({"tasks": [{"id": i, "data": {"text": texts[i]}}]})

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for i, answer in enumerate(answers):
        regions = answer["results"][0]["result"]
        assert ("ChatGPT", 2 + 2 * i, 9 + 2 * i) in [(r["value"]["text"], r["value"]["start"], r["value"]["end"])
                                                    for r in regions]


@pytest.mark.slow
def test_ner_serve_command_serves_with_a_token(model_dir):
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
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
    finally:
        server.terminate()
        server.wait(10)


def test_ner_serve_without_a_model_says_what_to_do(tmp_path, monkeypatch, capsys):
    from ner.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NER_MODEL", raising=False)
    assert main(["serve"]) == 2
    assert "no model at models/default" in capsys.readouterr().err
