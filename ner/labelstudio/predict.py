"""Model predictions as Label Studio pre-annotations.

``task_prediction`` turns one ``TaggedText`` into a Label Studio prediction
(``result`` regions with per-span scores, a task-level ``score`` = the text's lowest
word probability, and ``model_version`` = model name plus weights hash), the shape
both ``ner ls predict`` and the ML backend (``ner/backend/``) send. ``keep_spans``
keeps only spans a person would keep: a score of at least ``min_score``, and a first
and last token with a letter or a digit (guidelines rule 3: ``ChatGPT —`` is never
sent). ``predict_project`` attaches predictions to a project's tasks:

- tasks that already hold a prediction of this model version are skipped, so a
  re-run creates nothing; a new model version adds its own predictions beside the old;
- tasks with human annotations are skipped unless ``include_annotated`` (a
  prediction never replaces an annotation either way);
- spans of labels the project's labeling config lacks are not sent (counted);
- the project's ``model_version`` is set to this version: Label Studio fills the Data
  Manager's "Prediction score" column only from the project's model version, so sorting
  by it, ascending, shows uncertain tasks first; a tab "Uncertain first" sorted so is made
  (``views.py``), so there is no step in the UI at all.

``attach_predictions`` does the same for tags pushed with ``ner ls push --as predictions``
onto tasks that are already in the project.

Left out: the connection (``client.py``), the JSON of regions (``tasks.py``).
"""

from __future__ import annotations

from ..errors import UserError

from dataclasses import dataclass, field

from .config import ConfigNames, config_names


def label_config_names(label_config: str | None, source: str = "labeling config") -> ConfigNames:
    """The from/to names and text key of a labeling config; the defaults for None."""
    return config_names(label_config, source) if label_config else ConfigNames()


def has_word(token: str) -> bool:
    """Whether a token has a letter or a digit (a span may begin and end only on such tokens)."""
    return any(c.isalnum() for c in token)


def keep_spans(tagged, min_score: float = 0.0, labels=None):
    """``tagged`` with only the entities worth pre-annotating: score >= ``min_score``, first and last
    token with a letter or digit, and (when ``labels`` is given) a label among ``labels``."""
    import dataclasses

    by_start = {t.start: t.text for t in tagged.tokens}
    by_end = {t.end: t.text for t in tagged.tokens}
    kept = tuple(e for e in tagged.entities if e.score >= min_score
                 and has_word(by_start.get(e.start, e.text)) and has_word(by_end.get(e.end, e.text))
                 and (labels is None or e.label in labels))
    return tagged if len(kept) == len(tagged.entities) else dataclasses.replace(tagged, entities=kept)


def task_prediction(tagged, names: ConfigNames, model_version: str) -> dict:
    """A Label Studio prediction for one ``TaggedText``."""
    from ..records import Span
    from .tasks import spans_to_results

    spans = [Span(e.start, e.end, e.label, e.text) for e in tagged.entities]
    scores = [round(e.score, 4) for e in tagged.entities]
    result = spans_to_results(tagged.text, spans, names.from_name, names.to_name, scores=scores)
    return {"result": result, "score": round(tagged.score, 4), "model_version": model_version}


@dataclass(slots=True)
class PredictSummary:
    """What ``predict_project`` did, task by task count."""

    model_version: str
    created: int = 0
    already: int = 0        # tasks holding a prediction of this version
    annotated: int = 0      # tasks skipped because a human annotated them
    dropped: int = 0        # spans below min_score or on a token without a letter or digit
    unknown: dict[str, int] = field(default_factory=dict)  # spans of labels the project lacks, by label
    problems: list[str] = field(default_factory=list)  # tasks that could not be predicted, with why

    def __str__(self) -> str:
        parts = [f"{self.created} prediction(s) created with {self.model_version}",
                 f"{self.already} task(s) already had them"]
        if self.annotated:
            parts.append(f"{self.annotated} annotated task(s) skipped")
        if self.dropped:
            parts.append(f"{self.dropped} span(s) below the min score or on a token with no letter or digit left out")
        if self.unknown:
            parts.append(f"{sum(self.unknown.values())} span(s) of labels the project lacks left out "
                         f"({', '.join(f'{k}: {v}' for k, v in sorted(self.unknown.items()))})")
        if self.problems:
            parts.append(f"{len(self.problems)} task(s) could not be predicted")
        return "; ".join(parts)


def _field(obj, name, default=None):
    if isinstance(obj, dict):
        return obj.get(name, default)
    value = getattr(obj, name, default)
    return default if value is None else value


def plan_tasks(tasks, model_version: str, names: ConfigNames, summary: PredictSummary,
               include_annotated: bool = False):
    """The ``(task_id, text)`` of tasks that need a prediction of ``model_version``; counts the rest."""
    for task in tasks:
        task_id = _field(task, "id")
        predictions = _field(task, "predictions", []) or []
        if any(_field(p, "model_version") == model_version for p in predictions):
            summary.already += 1
            continue
        annotations = [a for a in (_field(task, "annotations", []) or []) if not _field(a, "was_cancelled", False)]
        if annotations and not include_annotated:
            summary.annotated += 1
            continue
        text = (_field(task, "data", {}) or {}).get(names.text_key)
        if not isinstance(text, str):
            summary.problems.append(f"task {task_id}: no text in data.{names.text_key}")
            continue
        yield task_id, text


def _has_version(client, task_id: int, model_version: str) -> bool:
    return model_version in client.prediction_versions(task_id)


def predict_project(client, title: str, tagger, *, include_annotated: bool = False, min_score: float = 0.0,
                    batch_size: int = 64, progress=None, announce=None) -> PredictSummary:
    """Attach ``tagger``'s predictions to the tasks of the project titled ``title``; see the module docstring.

    ``client`` is a ``ner.labelstudio.client.Client``; ``progress`` (optional) is called with
    the number of tasks done after each batch; ``announce`` (optional) with a line, before the work,
    when annotated tasks are skipped. Predictions go in one request per batch.
    """
    project = client.project(title)
    names = label_config_names(project["label_config"], f"project {title!r}")
    if names.labels and not set(names.labels) & set(tagger.labels):
        raise UserError(f"model {tagger.name} tags {', '.join(tagger.labels)}, none of which project {title!r} "
                        f"labels ({', '.join(names.labels)}); use a model trained on the project's labels, or "
                        f"'ner ls init --project {title!r} --labels FILE' with the model's")
    summary = PredictSummary(tagger.version)
    todo = list(plan_tasks(client.iter_tasks(project["id"]), tagger.version, names, summary, include_annotated))
    if summary.annotated and announce is not None:
        announce(f"{summary.annotated} task(s) already have annotations and are skipped (a person's, or a "
                 f"corpus's tags that 'ner ls push' sent as annotations, as it does by default); --include-annotated "
                 f"pre-annotates them too, leaving the annotations as they are")
    for i in range(0, len(todo), batch_size):
        chunk = todo[i:i + batch_size]
        batch = []
        for (task_id, _), t in zip(chunk, tagger.analyze_many([text for _, text in chunk], batch_size=batch_size)):
            kept = keep_spans(t, min_score)
            summary.dropped += len(t.entities) - len(kept.entities)
            if names.labels:
                for e in kept.entities:
                    if e.label not in names.labels:
                        summary.unknown[e.label] = summary.unknown.get(e.label, 0) + 1
                kept = keep_spans(kept, labels=set(names.labels))
            batch.append(dict(task_prediction(kept, names, tagger.version), task=task_id))

        def unsent(_exc, batch=batch):
            # The server may have stored the batch before the connection dropped: send only what is missing.
            batch[:] = [p for p in batch if not _has_version(client, p["task"], tagger.version)]

        client.import_predictions(project["id"], batch, on_retry=unsent)
        summary.created += len(batch)
        if progress is not None:
            progress(len(chunk))
    if summary.created or summary.already:
        from .views import uncertain_first

        client.set_model_version(project["id"], tagger.version)
        uncertain_first(client, project["id"], names.text_key)
    return summary


def _placed(client, project_id: int, parts, names: ConfigNames, skip):
    """``(task, spans, text, span scores)`` for each task of ``parts`` (already in the project) that ``skip(task)`` keeps:
    the parts' tags placed on the task's own text and token ranges."""
    from ..bio import tags_spans
    from ..records import token_span
    from .tasks import laid_scores, task_info

    wanted = {(info["doc_hash"], info["layout"], info["part"]): laid for info, laid in parts}
    for task in client.iter_tasks(project_id):
        info = task_info(task)
        laid = wanted.get((info.get("doc_hash"), info.get("layout"), info.get("part"))) if info else None
        if laid is None or skip(task):
            continue
        text, offsets = task["data"][names.text_key], info["tokens"]
        tags = [t for sentence, _, _ in laid for t in sentence.tags]
        spans = [token_span(text, offsets, i, j, label) for i, j, label in tags_spans(tags)]
        yield task, spans, text, laid_scores(laid, len(spans))


def attach_predictions(client, project_id: int, parts, model_version: str, names: ConfigNames) -> int:
    """Attach the tags of ``parts`` (already in the project) as predictions to their tasks that hold
    none of ``model_version``; the regions are placed on each task's own text and token ranges."""
    from .tasks import prediction_score, spans_to_results

    def has_version(task):
        return any(p.get("model_version") == model_version for p in task.get("predictions") or ())

    predictions = [{"task": task["id"], "model_version": model_version, "score": prediction_score(scores),
                    "result": spans_to_results(text, spans, names.from_name, names.to_name, scores)}
                   for task, spans, text, scores in _placed(client, project_id, parts, names, has_version)]
    for first in range(0, len(predictions), 500):
        client.import_predictions(project_id, predictions[first:first + 500])
    return len(predictions)


def attach_annotations(client, project_id: int, parts, names: ConfigNames) -> tuple[int, int]:
    """Attach the tags of ``parts`` as annotations to their tasks that hold none (pushed earlier as text
    only); tasks a person already annotated are left as they are. Returns ``(attached, left)``."""
    from .tasks import spans_to_results

    left = [0]

    def annotated(task):
        done = bool(task.get("annotations")) or bool(task.get("total_annotations"))
        left[0] += done
        return done

    attached = 0
    for task, spans, text, _ in _placed(client, project_id, parts, names, annotated):
        client.create_annotation(task["id"], spans_to_results(text, spans, names.from_name, names.to_name, None))
        attached += 1
    return attached, left[0]
