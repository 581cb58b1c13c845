"""The Label Studio ML backend: ``/health``, ``/setup``, ``/predict``, ``/webhook``, ``/train`` over HTTP.

Label Studio's side of the protocol (checked against Label Studio 1.23): it GETs
``/health``; POSTs ``/setup`` with ``{"project": "ID.TIMESTAMP", "schema": LABEL_CONFIG,
"hostname", "access_token", "extra_params"}`` and reads ``model_version`` back;
POSTs ``/predict`` with ``{"tasks": [TASK...], "project", "label_config", "params"}``
and expects ``{"results": [{"result": [...], "score": S, "model_version": V}, ...]}``,
one item per task, in order. "Start training" is a ``START_TRAINING`` event posted to
``/webhook`` (``{"action": ..., "project": {...}}``) or, with the webhook feature flag
off, ``/train`` with the annotated tasks (``{"annotations": [TASK...], "project",
"label_config"}``); a non-2xx answer marks the backend as failed in Label Studio.

One model per project: every project starts on the base model, and a retraining for
project P (``Backend.trainer``, see ``retrain.py`` beside it) changes only what P is served.
Each project counts its own annotation events and holds its own pending run; the
runs of all projects go one at a time through one queue, and events for a project
already queued or running coalesce into one more run for it. A new model replaces
the served one only when its dev F1 is not lower; every run ends in a record
(switched, kept, refused, failed, with the numbers) in ``/health`` and the log.

Pre-annotations hold only spans a person would keep (``labelstudio.predict.keep_spans``,
as ``ner ls predict``): a score of at least ``min_score``, a first and last token with a
letter or a digit (guidelines rule 3), and a label the project's labeling config has.

Bad payloads get 400 with a message; an error inside one request is logged and
answered with 500, the server keeps serving.

With a ``work_dir``, each switch is written to ``work_dir/project-P/served.json``, and
``Backend.restore`` serves those models again after a restart (only on the same base model).

Left out: interactive (per-click) predictions.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .batching import Batcher
from ..errors import UserError
from .http import Auth, BadRequest, Refused, create_app  # noqa: F401  (re-exported: the app and its parts)
from ..tagger.core import Tagger

log = logging.getLogger(__name__)  # "ner.backend.app", the name tests and log configs use

ANNOTATION_EVENTS = frozenset({"ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATION_DELETED"})

# A trainer gets (event, payload, setup, served tagger) and returns a ``retrain.Retrained``.
Trainer = Callable[[str, dict, dict, Tagger], object]


def project_id(value) -> str:
    """``"7"`` of ``"7.1763772800"`` (/setup, /predict, /train), ``{"id": 7}`` (webhooks) or ``7``; '' when absent."""
    if isinstance(value, dict):
        value = value.get("id")
    return "" if value is None else str(value).split(".", 1)[0]


@dataclass
class Project:
    """What one project is served and how its retraining stands."""

    tagger: Tagger | None = None      # None: the base model
    min_score: float | None = None    # None: the backend's
    events: int = 0                   # annotation events since its last run
    pending: tuple[str, dict] | None = None
    last: dict | None = None          # the record of its last finished run
    setup: dict = field(default_factory=dict)


class Backend:
    """The base model, one ``Project`` per Label Studio project, and the training queue."""

    def __init__(self, tagger: Tagger, trainer: Trainer | None = None, retrain_every: int = 10,
                 min_score: float = 0.0, recalibrate: bool = False, work_dir: str | Path | None = None):
        self.tagger = tagger
        self.work_dir = Path(work_dir) if work_dir is not None else None  # where switches are remembered
        self.trainer = trainer
        self.retrain_every = retrain_every  # annotation events per retraining; START_TRAINING always trains
        self.min_score = min_score
        self.recalibrate = recalibrate      # a switched model brings its own calibrated min_score
        self.projects: dict[str, Project] = {}
        self.trainings = 0                  # finished runs
        self.batcher = Batcher()
        self._lock = threading.Lock()
        self._queue: list[str] = []         # projects with a pending run, oldest first
        self._running: str | None = None
        self.idle = threading.Event()
        self.idle.set()

    @property
    def training(self) -> bool:
        return not self.idle.is_set()

    @property
    def setups(self) -> dict[str, dict]:
        return {pid: p.setup for pid, p in self.projects.items() if p.setup}

    def project(self, pid: str) -> Project:
        with self._lock:
            return self.projects.setdefault(pid, Project())

    def served(self, pid: str) -> tuple[Tagger, float]:
        """The model and threshold project ``pid`` gets ('' or unknown: the base model)."""
        state = self.projects.get(pid)
        if state is None or state.tagger is None:
            return self.tagger, self.min_score
        return state.tagger, self.min_score if state.min_score is None else state.min_score

    def predict(self, payload) -> dict:
        from ..labelstudio.predict import keep_spans, label_config_names, task_prediction

        if not isinstance(payload, dict) or not isinstance(payload.get("tasks"), list):
            raise BadRequest("expected a JSON object with a 'tasks' list")
        if not isinstance(payload.get("label_config") or "", str):
            raise BadRequest("'label_config' must be the labeling config's XML as a string")
        names = label_config_names(payload.get("label_config"))
        tagger, min_score = self.served(project_id(payload.get("project")))  # one model for the whole request
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
        labels = names.labels if payload.get("label_config") else None  # spans of labels the project lacks: left out
        results = [task_prediction(keep_spans(t, min_score, labels), names, tagger.version)
                   for t in self.batcher.analyze(tagger, texts)]
        return {"results": results, "model_version": tagger.version}

    def setup(self, payload) -> dict:
        from ..labelstudio.predict import label_config_names

        if not isinstance(payload, dict):
            raise BadRequest("expected a JSON object")
        pid = project_id(payload.get("project"))
        tagger, _ = self.served(pid)
        if not isinstance(payload.get("schema") or "", str):
            raise BadRequest("'schema' must be the labeling config's XML as a string")
        if payload.get("schema"):
            names = label_config_names(payload["schema"])
            unknown = sorted(set(names.labels) - set(tagger.labels))  # tolerated: LS shows what it knows
            if unknown:
                log.warning("project %s labels %s are not in model %s", pid, unknown, tagger.version)
        if pid:
            self.project(pid).setup = payload
        return {"model_version": tagger.version}

    def webhook(self, payload) -> tuple[dict, int]:
        if not isinstance(payload, dict) or not isinstance(payload.get("action"), str):
            raise BadRequest("expected a JSON object with an 'action'")
        event = payload["action"]
        if event != "START_TRAINING" and event not in ANNOTATION_EVENTS:
            return {"status": "Unknown event", "action": event}, 200
        if self.trainer is None and event != "START_TRAINING":
            return {"status": "ok", "training": "disabled"}, 201
        pid = project_id(payload.get("project"))
        if not pid:
            raise BadRequest(f"{event}: expected a 'project' object with an 'id'")
        return self._request_training(pid, event, payload)

    def train(self, payload) -> tuple[dict, int]:
        """``/train``: Label Studio's "Start training" with its webhook feature flag off."""
        if not isinstance(payload, dict) or not project_id(payload.get("project")):
            raise BadRequest("expected a JSON object with a 'project'")
        tasks = payload.get("annotations")
        if not isinstance(tasks, list) or not tasks:
            raise BadRequest("no annotated tasks in 'annotations': annotate some tasks, then start training")
        pid = project_id(payload["project"])
        return self._request_training(pid, "START_TRAINING", {
            "action": "START_TRAINING", "project": {"id": pid}, "tasks": tasks,
            "label_config": payload.get("label_config")})

    def _request_training(self, pid: str, event: str, payload: dict) -> tuple[dict, int]:
        state = self.project(pid)
        try:
            if self.trainer is None:
                raise Refused("training is off in this backend (ner serve --retrain-every 0)")
            check = getattr(self.trainer, "check", None)
            if check is not None and event == "START_TRAINING":
                try:
                    check(payload)
                except UserError as e:
                    raise Refused(str(e)) from None
        except Refused as e:
            self._finish(pid, {"project": pid, "event": event, "status": "refused", "message": str(e)})
            return {"status": "error", "error": f"project {pid}: {e}", "last_training": state.last}, 409
        with self._lock:
            if event != "START_TRAINING":
                state.events += 1
                if state.events < self.retrain_every:
                    return {"status": "ok", "training": "waiting", "project": pid,
                            "annotations_until_training": self.retrain_every - state.events}, 201
            state.events = 0
            state.pending = (event, payload)
            if pid not in self._queue:
                self._queue.append(pid)
            answer = "queued" if self.training else "started"
            if not self.training:
                self.idle.clear()
                threading.Thread(target=self._work, name="ner-train", daemon=True).start()
        return {"status": "ok", "training": answer, "project": pid, "last_training": state.last}, 201

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._running = None
                    self.idle.set()
                    return
                pid = self._queue.pop(0)
                state = self.projects[pid]
                (event, payload), state.pending = state.pending, None
                self._running = pid
            self._train(pid, state, event, payload)

    def _train(self, pid: str, state: Project, event: str, payload: dict) -> None:
        started = time.monotonic()
        served, _ = self.served(pid)
        record = {"project": pid, "event": event}
        try:
            result = self.trainer(event, payload, state.setup, served)
            record.update(dev=result.dev, dev_f1=result.dev_f1, served_f1=result.served_f1,
                          sentences=result.sentences, model_dir=str(result.model_dir))
            numbers = f"dev F1 {result.dev_f1:.4f} vs {result.served_f1:.4f} of {served.version} on {result.dev}"
            if result.better:
                tagger = Tagger.load(result.model_dir)
                state.tagger = tagger  # the switch: requests already running keep the old one
                state.min_score = result.min_score if self.recalibrate else None
                record.update(status="switched", model_version=tagger.version,
                              message=f"now serving {tagger.version} to project {pid}: {numbers}")
                self._remember(pid, state, record)
            else:
                record.update(status="kept", model_version=served.version,
                              message=f"kept {served.version} for project {pid}: the new model is worse, "
                                      f"{numbers} (it stays in {result.model_dir})")
        except UserError as e:
            record.update(status="refused", message=str(e))
        except Exception as e:  # a failed training must not stop the server or the next one
            log.exception("project %s: training after %s failed", pid, event)
            record.update(status="failed", message=f"{type(e).__name__}: {e}"[:2000])
        record["seconds"] = round(time.monotonic() - started, 1)
        self.trainings += 1
        self._finish(pid, record)

    def _remember(self, pid: str, state: Project, record: dict) -> None:
        if self.work_dir is None:
            return
        path = self.work_dir / f"project-{pid}" / "served.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"base": self.tagger.version, "model_dir": record["model_dir"],
                                   "min_score": state.min_score, "last_training": record}, indent=2), encoding="utf-8")
        os.replace(tmp, path)

    def restore(self) -> list[str]:
        """Serve each project the model its last switch chose (``served.json``); one line per project."""
        lines = []
        for path in sorted(self.work_dir.glob("project-*/served.json")) if self.work_dir else ():
            pid = path.parent.name.removeprefix("project-")
            try:
                info = json.loads(path.read_text(encoding="utf-8"))
                if info["base"] != self.tagger.version:
                    lines.append(f"project {pid}: base model {self.tagger.version} is not {info['base']}, which "
                                 f"{path} was retrained from; serving the base model")
                    continue
                tagger = Tagger.load(info["model_dir"])
            except (OSError, ValueError, KeyError, UserError) as e:
                lines.append(f"project {pid}: {path} unusable ({e}); serving the base model")
                continue
            state = self.project(pid)
            # a threshold calibrated for that model, unless this run was given its --min-score
            state.min_score = info.get("min_score") if self.recalibrate else None
            state.tagger, state.last = tagger, info.get("last_training")
            lines.append(f"project {pid}: serving {tagger.version} from {info['model_dir']}")
        return lines

    def _finish(self, pid: str, record: dict) -> None:
        self.project(pid).last = record
        status = record["status"]
        level = {"switched": logging.INFO, "kept": logging.WARNING}.get(status, logging.ERROR)
        log.log(level, "project %s: training %s: %s", pid, status, record["message"])

    @property
    def training_error(self) -> str | None:
        """What went wrong in each project whose last run did not end in a model; None when none did.
        Derived per project, so one project's success does not clear another's error."""
        errors = [f"project {pid}: {state.last['message']}" for pid, state in self.projects.items()
                  if state.last and state.last.get("status") in ("refused", "failed")]
        return "; ".join(errors) or None

    def health(self) -> dict:
        with self._lock:
            projects = {}
            for pid, state in self.projects.items():
                tagger, min_score = self.served(pid)
                projects[pid] = {
                    "model_version": tagger.version, "min_score": min_score,
                    "training": "running" if pid == self._running else "queued" if pid in self._queue else None,
                    "annotations_until_training": self.retrain_every - state.events,
                    "last_training": state.last}
        return {"status": "UP", "model_class": "ner", "model_version": self.tagger.version,
                "min_score": self.min_score, "training": self.training, "training_error": self.training_error,
                "projects": projects}
