"""The least sure merged sentences reviewed in Label Studio, and the answers brought back as anchors.

``least_sure(result, share=, top=)`` picks the texts to review (lowest sentence score first;
anchored texts never). ``push_review(client, title, texts, result, picks)`` sends one task
per text: the merge as the task's annotation (pre-selected, a reviewer edits it), and each
annotator's version as a prediction whose model version is the annotator's name and whose
score is its estimated F1, so the reviewer can switch between them (Label Studio shows them as
tabs beside the merge). The task data keeps the text's content key and copy
(``ner_consensus_key``/``_copy``), its place, score and the merged tags; a text already in
the project is not sent again. ``answers(client, title)`` reads back the reviewed tasks
(changed, updated by someone, or annotated again: the critic queue's rule) as
``{(content key, copy): tags}``, which ``pipeline.consensus(reviewed=...)`` anchors.

What counts as reviewed comes from ``ner.labelstudio.review.latest_annotation`` through
``_reviewed_annotation`` below. The team's reusable queue (``ner.labelstudio.review``:
``push_queue``/``read_queue``, open tasks with the merge pre-selected as a prediction, a
readable tab) is there to switch to.

Left out: Label Studio Enterprise's review stage; several reviewers of one task (the latest
submitted annotation wins).
"""

from __future__ import annotations

import hashlib

from ...bio import tags_spans
from ...check import Report
from ...records import Document, Span
from .output import merged_sentence

MODEL_VERSION = "consensus"


def _reviewed_annotation(task: dict):
    """``(latest annotation, touched since import)``: the rule the critic's queue used while its tasks
    arrived annotated (now ``ner.labelstudio.review``, whose ``push_queue`` sends open tasks)."""
    from ...labelstudio.review import latest_annotation

    return latest_annotation(task)


def least_sure(result, *, share: float = 0.0, top: int = 0) -> list[int]:
    """Indices of the texts to review: the ``top`` least sure, or the least sure ``share`` of all texts."""
    order = sorted((t for t in range(len(result.scores)) if t not in result.anchored),
                   key=lambda t: (result.scores[t], t))
    count = top if top else int(round(share * len(result.scores)))
    return order[:count]


def _text_id(text) -> str:
    return hashlib.sha1(f"{text.key}\x1e{text.copy}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


def review_task(text, spans, score: float, names, quality: dict) -> dict:
    """One review task: the merge as the annotation, each annotator's version as a prediction scored with the
    annotator's estimated F1 (``quality``; its keys also give the order of the tabs)."""
    from ...labelstudio.tasks import document_parts, spans_to_results, tagged_task

    sentence = merged_sentence(text, spans)
    tid = _text_id(text)
    info, laid = document_parts(Document(f"consensus-{tid}", (sentence,)))[0]
    task = tagged_task(info, laid, tags_as="annotations", names=names)
    body = task["data"][names.text_key]
    offsets = task["meta"]["ner"]["tokens"]
    predictions = []
    for who, f1 in quality.items():
        if who not in text.tags:
            continue
        found = [Span(offsets[i][0], offsets[j - 1][1], lab, body[offsets[i][0]:offsets[j - 1][1]])
                 for i, j, lab in tags_spans(text.tags[who])]
        predictions.append({"model_version": who, "score": round(float(f1), 4),
                            "result": spans_to_results(body, found, names.from_name, names.to_name,
                                                       [1.0] * len(found))})
    task["predictions"] = predictions
    task["data"].update({"ner_consensus_id": tid, "ner_consensus_key": text.key, "ner_consensus_copy": text.copy,
                         "ner_consensus_where": text.where, "ner_consensus_score": round(float(score), 4),
                         "ner_consensus_tags": list(sentence.tags)})
    return task


def push_review(client, title: str, texts, result, picks) -> int:
    """Send the picked texts as review tasks; returns how many were created (none twice)."""
    from ...labelstudio.config import config_names

    project = client.project(title)
    names = config_names(project["label_config"], f"project {title!r}")
    have = {t.get("data", {}).get("ner_consensus_id") for t in client.iter_tasks(project["id"], with_results=False)}
    quality = {e.who: e.micro.f1 for e in result.estimates}
    tasks = [review_task(texts[t], result.spans[t], result.scores[t], names, quality) for t in picks]
    tasks = [task for task in tasks if task["data"]["ner_consensus_id"] not in have]
    if not tasks:
        return 0
    return client.import_tasks(project["id"], tasks)


def answers(client, title: str) -> dict:
    """``{(content key, copy): tags}`` of the reviewed consensus tasks of project ``title``."""
    from ...labelstudio.config import config_names
    from ...labelstudio.tasks import task_sentences

    project = client.project(title)
    names = config_names(project["label_config"], f"project {title!r}")
    out = {}
    for task in client.iter_tasks(project["id"]):
        data = task.get("data") or {}
        if "ner_consensus_key" not in data:
            continue
        annotation, touched = _reviewed_annotation(task)
        if annotation is None:
            continue
        sentences = task_sentences(task, annotation.get("result"), names=names, where=f"task {task.get('id')}",
                                   report=Report())
        if len(sentences) != 1:
            continue
        tags = tuple(sentences[0].tags)
        if not touched and list(tags) == list(data.get("ner_consensus_tags", ())):
            continue  # untouched since the push: not reviewed
        out[(data["ner_consensus_key"], int(data.get("ner_consensus_copy", 0)))] = tags
    return out
