"""Model predictions as Label Studio pre-annotations.

``task_prediction`` turns one ``TaggedText`` into a Label Studio prediction
(``result`` regions with per-span scores, a task-level ``score`` = the text's lowest
word probability, and ``model_version`` = model name plus weights hash), the shape
both ``ner ls predict`` and the ML backend (``ner/serve.py``) send. ``predict_project``
attaches predictions to a project's tasks:

- tasks that already hold a prediction of this model version are skipped, so a
  re-run creates nothing; a new model version adds its own predictions beside the old;
- tasks with human annotations are skipped unless ``include_annotated`` (a
  prediction never replaces an annotation either way);
- sort the Data Manager by "Prediction score", ascending, to see uncertain tasks first.

Left out: the connection (``client.py``), the JSON of regions (``tasks.py``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from ..errors import UserError


@dataclass(frozen=True, slots=True)
class LabelNames:
    """Where predictions go in a labeling config: ``<Labels name=from_name toName=to_name>``
    over ``<Text name=to_name value="$value">``, with the config's label values."""

    from_name: str = "label"
    to_name: str = "text"
    value: str = "text"
    labels: tuple[str, ...] = ()


def label_config_names(label_config: str | None) -> LabelNames:
    """The names in a Label Studio labeling config (the defaults for None).

    >>> label_config_names('<View><Labels name="ner" toName="doc"><Label value="Model"/></Labels>'
    ...                    '<Text name="doc" value="$body"/></View>')
    LabelNames(from_name='ner', to_name='doc', value='body', labels=('Model',))
    """
    if not label_config:
        return LabelNames()
    try:
        root = ET.fromstring(label_config)
    except ET.ParseError as e:
        raise UserError(f"the labeling config is not valid XML ({e})") from None
    labels = next((el for el in root.iter() if el.tag == "Labels"), None)
    if labels is None or not labels.get("name") or not labels.get("toName"):
        raise UserError("the labeling config has no <Labels name=... toName=...>; NER predictions need one")
    to_name = labels.get("toName").split(",")[0]
    text = next((el for el in root.iter() if el.get("name") == to_name), None)
    if text is None or not (text.get("value") or "").startswith("$"):
        raise UserError(f"the labeling config has no <Text name={to_name!r} value=\"$...\"> for its Labels")
    values = tuple(el.get("value") for el in labels if el.tag == "Label" and el.get("value"))
    return LabelNames(labels.get("name"), to_name, text.get("value")[1:], values)


def task_prediction(tagged, names: LabelNames, model_version: str) -> dict:
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
    problems: list[str] = field(default_factory=list)  # tasks that could not be predicted, with why

    def __str__(self) -> str:
        parts = [f"{self.created} prediction(s) created with {self.model_version}",
                 f"{self.already} task(s) already had them"]
        if self.annotated:
            parts.append(f"{self.annotated} annotated task(s) skipped (--include-annotated to predict them)")
        if self.problems:
            parts.append(f"{len(self.problems)} task(s) could not be predicted")
        return "; ".join(parts)


def _field(obj, name, default=None):
    if isinstance(obj, dict):
        return obj.get(name, default)
    value = getattr(obj, name, default)
    return default if value is None else value


def plan_tasks(tasks, model_version: str, names: LabelNames, summary: PredictSummary,
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
        text = (_field(task, "data", {}) or {}).get(names.value)
        if not isinstance(text, str):
            summary.problems.append(f"task {task_id}: no text in data.{names.value}")
            continue
        yield task_id, text


def predict_project(client, project_id: int, tagger, *, include_annotated: bool = False,
                    batch_size: int = 64, progress=None) -> PredictSummary:
    """Attach ``tagger``'s predictions to the tasks of a project; see the module docstring.

    ``client`` is a ``label_studio_sdk.LabelStudio``; ``progress`` (optional) is called with
    the number of tasks done after each batch.
    """
    project = client.projects.get(id=project_id)
    names = label_config_names(_field(project, "label_config"))
    summary = PredictSummary(tagger.version)
    tasks = client.tasks.list(project=project_id, fields="all", page_size=100)
    todo = list(plan_tasks(tasks, tagger.version, names, summary, include_annotated))
    for i in range(0, len(todo), batch_size):
        chunk = todo[i:i + batch_size]
        tagged = tagger.analyze_many([text for _, text in chunk], batch_size=batch_size)
        for (task_id, _), t in zip(chunk, tagged):
            prediction = task_prediction(t, names, tagger.version)
            client.predictions.create(task=task_id, result=prediction["result"], score=prediction["score"],
                                      model_version=tagger.version)
            summary.created += 1
        if progress is not None:
            progress(len(chunk))
    return summary
