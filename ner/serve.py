"""The Label Studio ML backend: ``/health``, ``/setup``, ``/predict``, ``/webhook`` over HTTP.

Label Studio's side of the protocol (checked against Label Studio 1.23): it GETs
``/health``; POSTs ``/setup`` with ``{"project": "ID.TIMESTAMP", "schema": LABEL_CONFIG,
"hostname", "access_token", "extra_params"}`` and reads ``model_version`` back;
POSTs ``/predict`` with ``{"tasks": [TASK...], "project", "label_config", "params"}``
and expects ``{"results": [{"result": [...], "score": S, "model_version": V}, ...]}``,
one item per task, in order; POSTs webhook events (``{"action": ..., "project": {...}}``)
to ``/webhook``. Basic auth is what Label Studio sends when the backend asks for it;
a bearer token suits other clients.

Annotation events and ``START_TRAINING`` may retrain the model in a background
thread (``Backend.trainer``): one training at a time, events during a training
coalesce into one more run, and the served model changes only once the new one
has loaded. Bad payloads get 400 with a message; an error inside one request is
logged and answered with 500, the server keeps serving.

Left out: interactive (per-click) predictions, ``/train`` of the old protocol
(Label Studio 1.23 sends training as a webhook event).
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .batching import Batcher
from .errors import UserError
from .tagger import Tagger

log = logging.getLogger("ner.serve")

TRAIN_EVENTS = frozenset({"ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATION_DELETED", "START_TRAINING"})


class BadRequest(Exception):
    """A payload the backend cannot work with; answered with 400 and this message."""


@dataclass(frozen=True, slots=True)
class Auth:
    """Credentials a request must carry: a bearer token, or a basic-auth user and password."""

    token: str | None = None
    user: str | None = None
    password: str | None = None

    @staticmethod
    def parse_basic(value: str) -> "Auth":
        user, sep, password = value.partition(":")
        if not sep or not user or not password:
            raise UserError(f"--basic-auth takes USER:PASSWORD, not {value!r}")
        return Auth(user=user, password=password)

    def allows(self, header: str | None) -> bool:
        if self.token is None and self.user is None:
            return True
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if self.token is not None and scheme.lower() == "bearer":
            return hmac.compare_digest(value.strip().encode(), self.token.encode())
        if self.user is not None and scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return (hmac.compare_digest(user.encode(), self.user.encode())
                    & hmac.compare_digest(password.encode(), self.password.encode()))
        return False


# A trainer gets (event, payload, setup) and returns the directory of a newly trained model.
Trainer = Callable[[str, dict, dict], "str | Path"]


class Backend:
    """The served model, the project settings Label Studio gave in ``/setup``, and retraining."""

    def __init__(self, tagger: Tagger, trainer: Trainer | None = None, retrain_every: int = 10):
        self.tagger = tagger
        self.trainer = trainer
        self.retrain_every = retrain_every  # annotation events per retraining; START_TRAINING always trains
        self._annotation_events = 0
        self.setups: dict[str, dict] = {}  # project id -> the /setup payload (hostname, access_token)
        self.training_error: str | None = None
        self.trainings = 0
        self.batcher = Batcher()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pending: tuple[str, dict] | None = None
        self.idle = threading.Event()
        self.idle.set()

    @property
    def training(self) -> bool:
        return not self.idle.is_set()

    def predict(self, payload) -> dict:
        from .labelstudio.predict import label_config_names, task_prediction

        if not isinstance(payload, dict) or not isinstance(payload.get("tasks"), list):
            raise BadRequest("expected a JSON object with a 'tasks' list")
        names = label_config_names(payload.get("label_config"))
        tagger = self.tagger  # one model for the whole request, even if a new one is swapped in
        texts = []
        for i, task in enumerate(payload["tasks"]):
            data = task.get("data") if isinstance(task, dict) else None
            text = data.get(names.text_key) if isinstance(data, dict) else None
            if not isinstance(text, str):
                where = f"task {task.get('id')}" if isinstance(task, dict) and "id" in task else f"tasks[{i}]"
                raise BadRequest(f"{where}: no text in data.{names.text_key}")
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as e:
                raise BadRequest(f"task {task.get('id')}: data.{names.text_key} is not valid Unicode "
                                 f"(lone surrogate at {e.start})") from None
            texts.append(text)
        results = [task_prediction(t, names, tagger.version) for t in self.batcher.analyze(tagger, texts)]
        return {"results": results, "model_version": tagger.version}

    def setup(self, payload) -> dict:
        from .labelstudio.predict import label_config_names

        if not isinstance(payload, dict):
            raise BadRequest("expected a JSON object")
        if payload.get("schema"):
            names = label_config_names(payload["schema"])
            unknown = sorted(set(names.labels) - set(self.tagger.labels))  # tolerated: LS shows what it knows
            if unknown:
                log.warning("project labels %s are not in model %s", unknown, self.tagger.version)
        project = str(payload.get("project") or "").split(".", 1)[0]
        if project:
            self.setups[project] = payload
        return {"model_version": self.tagger.version}

    def webhook(self, payload) -> tuple[dict, int]:
        if not isinstance(payload, dict) or not isinstance(payload.get("action"), str):
            raise BadRequest("expected a JSON object with an 'action'")
        event = payload["action"]
        if event not in TRAIN_EVENTS:
            return {"status": "Unknown event", "action": event}, 200
        if self.trainer is None:
            return {"status": "ok", "training": "disabled"}, 201
        if not isinstance(payload.get("project"), dict) or "id" not in payload["project"]:
            raise BadRequest(f"{event}: expected a 'project' object with an 'id'")
        with self._lock:
            if event != "START_TRAINING":
                self._annotation_events += 1
                if self._annotation_events < self.retrain_every:
                    return {"status": "ok", "training": "waiting",
                            "annotations_until_training": self.retrain_every - self._annotation_events}, 201
            self._annotation_events = 0
            if self.training:
                self._pending = (event, payload)
                return {"status": "ok", "training": "queued"}, 201
            self._start(event, payload)
        return {"status": "ok", "training": "started"}, 201

    def _start(self, event: str, payload: dict) -> None:
        self.idle.clear()
        self._thread = threading.Thread(target=self._train_loop, args=(event, payload), name="ner-train",
                                        daemon=True)
        self._thread.start()

    def _train_loop(self, event: str, payload: dict) -> None:
        while True:
            project = str(payload["project"]["id"])
            try:
                model_dir = self.trainer(event, payload, self.setups.get(project, {}))
                tagger = Tagger.load(model_dir)
                self.tagger = tagger  # the switch: requests already running keep the old one
                self.trainings += 1
                self.training_error = None
                log.info("now serving %s", tagger.version)
            except Exception as e:  # a failed training must not stop the server or the next one
                log.exception("training after %s failed", event)
                self.training_error = f"{type(e).__name__}: {e}"
            with self._lock:
                if self._pending is None:
                    self.idle.set()
                    return
                event, payload = self._pending
                self._pending = None


def create_app(backend: Backend, auth: Auth | None = None):
    """The ASGI application serving ``backend``."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    auth = auth or Auth()

    async def body(request: Request):
        raw = await request.body()
        try:
            return json.loads(raw or b"null")
        except ValueError as e:
            raise BadRequest(f"the body is not JSON ({e})") from None

    def endpoint(work, method: str = "POST"):
        async def handle(request: Request):
            if not auth.allows(request.headers.get("authorization")):
                return PlainTextResponse("Unauthorized", 401, {"WWW-Authenticate": 'Basic realm="ner"'})
            try:
                payload = await body(request) if method == "POST" else None
                result = await run_in_threadpool(work, payload)
                content, status = result if isinstance(result, tuple) else (result, 200)
                return JSONResponse(content, status)
            except (BadRequest, UserError) as e:
                return JSONResponse({"status": "error", "error": str(e)}, 400)
            except Exception as e:  # one failed request is answered and logged; the server keeps serving
                log.exception("%s %s failed", request.method, request.url.path)
                return JSONResponse({"status": "error", "error": f"{type(e).__name__}: {e}"[:2000]}, 500)

        return handle

    def health(_):
        return {"status": "UP", "model_class": "ner", "model_version": backend.tagger.version,
                "training": backend.training, "training_error": backend.training_error}

    routes = [
        Route("/", endpoint(health, "GET"), methods=["GET"]),
        Route("/health", endpoint(health, "GET"), methods=["GET"]),
        Route("/setup", endpoint(backend.setup), methods=["POST"]),
        Route("/predict", endpoint(backend.predict), methods=["POST"]),
        Route("/webhook", endpoint(backend.webhook), methods=["POST"]),
        Route("/metrics", endpoint(lambda _: {}, "GET"), methods=["GET"]),
    ]
    return Starlette(routes=routes)
