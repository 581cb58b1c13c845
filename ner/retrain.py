"""Retraining for the ML backend: pull a project's annotations, train a new model beside the old.

``Retrainer(model_dir)`` is the ``trainer`` that ``ner/serve.py`` calls in its
background thread on annotation or training events. It pulls the project's
annotations through ``labelstudio.sync`` (the same policy as ``ner ls pull``),
writes them as CoNLL, and trains with the served model's own training
configuration (``train_config.toml`` in its directory), overriding the corpus
and the output: ``<work_dir>/<name>-r<N>``. The served model keeps its name, so
only the weights hash in ``model_version`` changes.

The Label Studio connection comes from ``LABEL_STUDIO_URL``/``LABEL_STUDIO_API_KEY``
(or flags), else from what Label Studio sent to ``/setup`` (``hostname``, ``access_token``).

Left out: scheduling (serve.py runs one training at a time), evaluation gates.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from .errors import UserError


class Retrainer:
    def __init__(self, model_dir: str | Path, *, work_dir: str | Path | None = None, connection=None,
                 overrides: dict | None = None, min_sentences: int = 1):
        self.model_dir = Path(model_dir)
        self.work_dir = Path(work_dir) if work_dir else self.model_dir.parent
        self.connection = connection
        self.overrides = overrides or {}
        self.min_sentences = min_sentences
        self.runs = itertools.count(1)

    def _client(self, setup: dict):
        from .labelstudio.client import Client, Connection, connection_from

        if self.connection is not None:
            return Client(self.connection)
        try:
            return Client(connection_from())
        except UserError:
            if not setup.get("hostname") or not setup.get("access_token"):
                raise UserError("retraining needs Label Studio: set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY "
                                "(Label Studio's /setup call gave no hostname and token)") from None
            return Client(Connection(setup["hostname"].rstrip("/"), setup["access_token"]))

    def documents(self, project_id: int, setup: dict):
        """The project's annotated documents (``ner ls pull``'s policy: ground truth, else the latest)."""
        from .labelstudio.config import config_names
        from .labelstudio.sync import tasks_documents

        client = self._client(setup)
        project = client.project_by_id(project_id)
        names = config_names(project.label_config, f"project {project_id}")
        result = tasks_documents(client.iter_tasks(project_id), names=names)
        return [d for docs in result.documents.values() for d in docs]

    def __call__(self, event: str, payload: dict, setup: dict) -> Path:
        from .formats.conll import write_conll
        from .models import read_model_info
        from .train import train
        from .train.config import TrainConfig, load_config

        project_id = int(payload["project"]["id"])
        documents = self.documents(project_id, setup)
        n_sentences = sum(len(d.sentences) for d in documents)
        if n_sentences < self.min_sentences:
            raise UserError(f"project {project_id}: {n_sentences} annotated sentence(s); "
                            f"at least {self.min_sentences} needed to retrain")
        config_file = self.model_dir / "train_config.toml"
        base = load_config(config_file) if config_file.exists() else TrainConfig()
        name = read_model_info(self.model_dir).get("name") or self.model_dir.name
        while True:
            out = self.work_dir / f"{name}-r{next(self.runs)}"
            if not out.exists():
                break
        with tempfile.TemporaryDirectory(prefix="ner-retrain-") as tmp:
            corpus = Path(tmp) / f"project-{project_id}.conll"
            write_conll(documents, corpus)
            config = base.replace(train=str(corpus), dev="", out=str(out), name=name, **self.overrides)
            return Path(train(config))
