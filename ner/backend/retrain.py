"""Retraining for the ML backend: the base corpus plus one project's annotations, gated on a dev set.

``Retrainer(model_dir)`` is the ``trainer`` that ``ner/backend/app.py`` calls in its
background thread for one project at a time. A run for project P:

1. takes P's annotations: the tasks Label Studio sent to ``/train``, else the
   project's tasks pulled through the API (``ner ls pull``'s policy);
2. reads the base corpus the served model was trained on (``train`` and ``dev`` of
   its ``train_config.toml``, or ``--train``/``--dev``) the way ``ner train``
   does: the same label mapping, and with no dev file the same seeded held-out
   share, so the dev set stays unseen by both models;
3. trains with the served model's own configuration on base + annotations into
   ``<work_dir>/project-P/rN/<name>`` (the corpus files it used beside it);
4. scores the new model and the model P is served now on that dev set (strict
   seqeval micro F1) and returns both in ``Retrained``; the backend switches
   only when the new score is not lower.

The new model's span-score threshold (``ner.train.calibrate``: the best F1 of kept spans on
that dev set) comes with it: the default ``--min-score`` of ``ner serve``.

The Label Studio connection comes from ``LABEL_STUDIO_URL``/``LABEL_STUDIO_API_KEY``
(or flags), else from what Label Studio sent to ``/setup`` (``hostname``, ``access_token``).

Left out: warm starts from the served weights (every run trains from scratch),
scheduling (``app.py`` runs one training at a time).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..train.calibrate import calibrate, corpus_problem

REPO_MODELS = Path(__file__).resolve().parents[2] / "models"


def default_work_dir() -> Path:
    """``serve`` under the cache (``$NER_CACHE_DIR``, else ``~/.cache/ner``): outside any repository."""
    from ..settings import cache_dir

    return cache_dir() / "serve"


@dataclass(frozen=True, slots=True)
class Retrained:
    """One finished training: the new model and both models' scores on the same dev set."""

    model_dir: Path
    dev: str            # what the dev set is (file, or the held-out share of the base corpus)
    dev_f1: float       # the new model
    served_f1: float    # the model the project was served while it trained
    sentences: int      # the project's annotated sentences added to the base corpus
    min_score: float = 0.0  # the new model's calibrated span threshold

    @property
    def better(self) -> bool:
        """Not worse than the served model: the switch rule."""
        return self.dev_f1 >= self.served_f1


class Retrainer:
    def __init__(self, model_dir: str | Path, *, work_dir: str | Path | None = None, train: str | None = None,
                 dev: str | None = None, connection=None, overrides: dict | None = None, min_sentences: int = 1):
        self.model_dir = Path(model_dir)
        self.work_dir = Path(work_dir) if work_dir else default_work_dir()
        if self.work_dir.resolve().is_relative_to(REPO_MODELS):
            raise UserError(f"--work-dir {self.work_dir} is inside the repository's models/; retrained models "
                            f"go elsewhere (default {default_work_dir()})")
        self.train, self.dev = train, dev
        self.connection = connection
        self.overrides = overrides or {}
        self.min_sentences = min_sentences
        self._runs: dict[str, itertools.count] = {}

    def base_config(self):
        """The served model's training configuration with ``--train``/``--dev`` applied, checked."""
        from ..train.config import TrainConfig, load_config

        config_file = self.model_dir / "train_config.toml"
        base = load_config(config_file) if config_file.exists() else TrainConfig()
        base = base.replace(train=self.train, dev=self.dev)
        problem = corpus_problem(base, config_file)
        if problem:
            reason, flag = problem
            why = "" if base.train else " (the corpus the model was trained on) so that retraining keeps it"
            raise UserError(f"{reason}; pass ner serve {flag} FILE{why}")
        return base

    def check(self, payload: dict | None = None) -> None:
        """Raise ``UserError`` now, before a run is queued, when it could not train: no base corpus, or
        (when the payload carries the tasks, as ``/train`` does) too few or unusable annotations."""
        base = self.base_config()
        if payload and payload.get("tasks") is not None:
            self.annotated(self.documents(project_number(payload), {}, payload["tasks"], payload.get("label_config")),
                           base)

    def annotated(self, documents, base) -> list:
        """The documents' non-empty sentences, refused when too few or labelled outside the model."""
        from ..models import read_model_info

        added = [s for d in documents for s in d.sentences if len(s)]
        if len(added) < self.min_sentences:
            raise UserError(f"{len(added)} annotated sentence(s) in the project; "
                            f"at least {self.min_sentences} needed to retrain")
        info = read_model_info(self.model_dir)
        unknown = sorted({t[2:] for s in added for t in s.tags if t != "O"} - set(info.get("labels") or ()))
        if unknown and base.labels != "auto":
            raise UserError(f"annotations use label(s) {', '.join(unknown)} that model "
                            f"{info.get('name')} lacks ({', '.join(info.get('labels') or ())}); remove them from the "
                            f"labeling config or train a base model whose schema has them")
        return added

    def base_split(self):
        """``(config, train sentences, dev sentences, dev description)`` of the base corpus, as ``ner train`` reads it."""
        from ..train.prepare import prepare_data

        base = self.base_config()
        _, train_sents, dev_sents, _ = prepare_data(base)
        dev = base.dev or f"{len(dev_sents)} sentences held out of {base.train} (seed {base.seed})"
        return base, list(train_sents), list(dev_sents), dev

    def _client(self, setup: dict):
        from ..labelstudio.client import Client, Connection, connection_from

        if self.connection is not None:
            return Client(self.connection)
        try:
            return Client(connection_from())
        except UserError:
            if not setup.get("hostname") or not setup.get("access_token"):
                raise UserError("retraining needs Label Studio: set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY "
                                "(Label Studio's /setup call gave no hostname and token)") from None
            return Client(Connection(setup["hostname"].rstrip("/"), setup["access_token"]))

    def documents(self, project_id: int, setup: dict, tasks=None, label_config: str | None = None):
        """The project's annotated documents (``ner ls pull``'s policy: ground truth, else the latest)."""
        from ..labelstudio.config import config_names
        from ..labelstudio.sync import tasks_documents

        if tasks is None:
            client = self._client(setup)
            label_config = client.project_by_id(project_id).label_config
            tasks = client.iter_tasks(project_id)
        names = config_names(label_config, f"project {project_id}") if label_config else None
        result = tasks_documents(tasks, **({"names": names} if names else {}))
        errors = result.report.errors  # a region not placed would be trained on as O
        if errors:
            raise UserError(f"{len(errors)} annotated region(s) of project {project_id} cannot be placed on its "
                            f"tokens and would be trained on as O; first: {errors[0]}; fix them in Label Studio "
                            f"('ner ls pull' lists them all)")
        return [d for docs in result.documents.values() for d in docs]

    def __call__(self, event: str, payload: dict, setup: dict, served) -> Retrained:
        """Train for the project of ``payload`` and score the result against ``served`` (a ``Tagger``)."""
        from ..evaluate import evaluate_model
        from ..formats.conll import write_conll
        from ..models import read_model_info
        from ..records import Document
        from ..train import fit

        project = str(project_number(payload))
        documents = self.documents(int(project), setup, payload.get("tasks"), payload.get("label_config"))
        base, train_sents, dev_sents, dev = self.base_split()
        added = self.annotated(documents, base)
        info = read_model_info(self.model_dir)
        name = info.get("name") or self.model_dir.name
        runs = self._runs.setdefault(project, itertools.count(1))
        while True:
            run = self.work_dir / f"project-{project}" / f"r{next(runs)}"
            if not run.exists():
                break
        run.mkdir(parents=True)
        # what the run trained and stopped on, kept beside the model and named by its saved configuration
        # (mapped already: no --map/--keep), so that the new model can itself be served and retrained
        train_file, dev_file = run / "train.conll", run / "dev.conll"
        write_conll([Document("base", tuple(train_sents)), *documents], train_file)
        write_conll([Document("dev", tuple(dev_sents))], dev_file)
        added_train = [s for d in documents for s in d.sentences if len(s)]
        labels = train_labels(base, [*train_sents, *added_train, *dev_sents])
        renamed = bool(base.map or base.keep)
        config = base.replace(train=str(train_file), dev=str(dev_file), map="", keep="",
                              labels="auto" if renamed else base.labels, out=str(run / name), name=name,
                              **self.overrides)
        model_dir = Path(fit([*train_sents, *added_train], dev_sents, labels, config))
        # mapping="": the dev file holds the model's labels already; the served model's own --map would
        # rename them again (its mapped labels are no source labels, so every gold entity became O)
        new = evaluate_model(model_dir, dev_file, mapping="").evaluation.micro.f1
        old = evaluate_model(served.path, dev_file, mapping="").evaluation.micro.f1
        threshold = calibrate(model_dir).min_score  # training wrote it, on these dev sentences
        return Retrained(model_dir, dev, round(new, 4), round(old, 4), len(added), threshold)


def train_labels(base, sentences) -> list[str]:
    """The labels a retraining trains: the base schema's (``--labels``, else the default schema), or
    those of the mapped sentences when ``--map``/``--keep`` renamed them or ``--labels auto`` asks."""
    from ..train.prepare import labels_of, resolve_schema

    schema = None if (base.map or base.keep) else resolve_schema(base.labels, None)
    return list(schema.names) if schema is not None else labels_of(sentences)


def project_number(payload) -> int:
    """The Label Studio project id of a training payload (``{"project": {"id": 7}}``); a UserError otherwise."""
    project = payload.get("project") if isinstance(payload, dict) else None
    value = project.get("id") if isinstance(project, dict) else project
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError(f"the payload's project id {value!r} is not a number; Label Studio sends "
                        f'{{"project": {{"id": 7, ...}}}}') from None
