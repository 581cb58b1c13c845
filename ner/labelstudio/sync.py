"""Init, push, pull and convert: the Label Studio workflows, over ``client.py`` and ``tasks.py``.

``init_project`` creates the project (or updates its labeling config).
``push`` sends documents as tasks in batches, skipping tasks whose content hash
is already there and reporting documents that changed under the same id; a push
cut off half-way is simply run again. Re-pushing an unchanged corpus asks the
server to count tasks by the batch digests they carry instead of listing every
task. ``pull`` and ``convert_export`` turn tasks back into documents through one
path, ``tasks_documents``, which applies the annotation policy
(``annotations.py``) and the span checks (``tasks.py``).

Left out: printing (the CLI does it), predictions from a model (``predict.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..check import Issue, Report
from ..errors import UserError
from ..records import Sentence
from . import annotations as policy
from .config import ConfigNames, config_names, format_labeling_config
from .tasks import assemble, document_parts, stamp_batch, tagged_task, task_key, task_sentences


COUNT_GROUP = 20  # batch digests counted in one request (each adds about 150 bytes to the URL)


@dataclass
class PushResult:
    created: int = 0
    unchanged: int = 0
    changed: list[str] = field(default_factory=list)
    project_id: int = 0


@dataclass
class PullResult:
    documents: dict[str, list] = field(default_factory=dict)  # annotator ('' = policy choice) -> documents
    report: Report = field(default_factory=Report)
    tasks: int = 0
    annotated: int = 0


def init_project(client, title: str, schema) -> tuple[dict, bool]:
    """``(project, created)``: a new project, or the existing one with its config brought up to date."""
    if len(title.strip()) < 3:
        raise UserError(f"project title {title!r} is too short; Label Studio needs 3 characters or more")
    config = format_labeling_config(schema)
    project = client.find_project(title)
    if project is None:
        return client.create_project(title, config, f"NER labels: {', '.join(schema.names)}"), True
    if project["label_config"] != config:
        client.update_config(project["id"], config)
        project["label_config"] = config
    return project, False


def existing_hashes(client, project_id: int, where: dict | None = None) -> dict[tuple[str, int], str]:
    """``(document, part) -> content hash`` of the tasks already in the project (those matching ``where``)."""
    found = {}
    for task in client.iter_tasks(project_id, with_results=False, where=where):
        data = task.get("data") or {}
        if "ner_hash" in data:
            found[task_key(task)] = data["ner_hash"]
    return found


def push_batches(documents, *, batch_size: int,
                 sentences_per_task: int = 0) -> list[list[tuple[dict, tuple[Sentence, ...]]]]:
    """``document_parts`` of ``documents`` in batches of ``batch_size``, each key stamped with its batch digest."""
    if batch_size < 1:
        raise UserError(f"batch size must be 1 or more, not {batch_size}")
    parts, seen = [], set()
    for doc in documents:
        for key, chunk in document_parts(doc, sentences_per_task=sentences_per_task):
            doc_part = task_key(key)
            if doc_part in seen:
                raise UserError(f"document {doc_part[0]!r} appears twice in the input (part {doc_part[1]}); "
                                f"give the documents distinct ids (-DOCSTART- or file names)")
            seen.add(doc_part)
            parts.append((key, chunk))
    batches = [parts[first:first + batch_size] for first in range(0, len(parts), batch_size)]
    for batch in batches:
        stamp_batch([key for key, _ in batch])
    return batches


def push(client, title: str, documents, *, sentences_per_task: int = 0, tags_as: str | None = "annotations",
         model_version: str = "", batch_size: int = 500, progress=None) -> PushResult:
    """Send documents as tasks; ``progress(n)`` is called after each batch with the tasks handled.

    The tasks of a batch carry its digest, and push never sends a task twice, so
    the server never holds more tasks with a digest than the batch has: batches
    whose digests (up to ``COUNT_GROUP`` asked in one request) are held on as many
    tasks as the batches have together are complete, and their results are not even
    built. Only when some are not (first push, a push cut off, a changed document,
    another batch size) are the project's tasks listed, once, to decide task by
    task: absent ones are sent, ones with another content hash are reported as
    changed, none is sent twice. The listing is what costs (the server takes 1-2 ms
    a task); a count is one request, though it too scans the project's task data.
    """
    project = client.project(title)
    project_id = project["id"]
    names = config_names(project["label_config"], f"project {title!r}")
    result = PushResult(project_id=project_id)
    batches = push_batches(documents, batch_size=batch_size, sentences_per_task=sentences_per_task)
    todo, anything = [], None  # anything: does the project hold tasks at all (asked only when it matters)
    for first in range(0, len(batches), COUNT_GROUP):
        group = batches[first:first + COUNT_GROUP]
        digests = [batch[0][0]["ner_batch"] for batch in group]
        size = sum(map(len, group))
        if anything is not False and client.count_tasks(project_id, {"ner_batch": digests}) == size:
            anything = True
            result.unchanged += size
            if progress:
                for batch in group:
                    progress(len(batch))
        else:
            if anything is None:  # an empty project (a first push) needs no more counts and no listing
                anything = client.count_tasks(project_id) > 0
            todo += group
    have = existing_hashes(client, project_id) if todo and anything else {}

    for batch in todo:
        pending = []
        for key, chunk in batch:
            (doc, part), digest = task_key(key), key["ner_hash"]
            if (doc, part) not in have:
                pending.append(tagged_task(key, chunk, tags_as=tags_as, model_version=model_version, names=names))
            elif have[doc, part] == digest:
                result.unchanged += 1
            else:
                result.changed.append(f"document {doc!r} part {part}" if part else f"document {doc!r}")

        def missing(sent):
            # The batch's own digest finds what a dropped request stored before it failed.
            now = existing_hashes(client, project_id, {"ner_batch": batch[0][0]["ner_batch"]})
            return [t for t in sent if now.get(task_key(t)) != t["data"]["ner_hash"]]

        if pending:
            try:
                result.created += client.import_tasks(project_id, pending, refresh=missing)
            except UserError as e:
                raise UserError(f"push to project {title!r} stopped with {result.created} task(s) created: "
                                f"{e}") from None
        if progress:
            progress(len(batch))
    if tags_as == "predictions":  # the Data Manager's "Prediction score" follows the project's version
        client.set_model_version(project_id, model_version or "imported")
    return result


def tasks_documents(tasks, *, names: ConfigNames = ConfigNames(), schema=None, all_annotators: bool = False,
                    unannotated: bool = False, source: str = "", result: PullResult | None = None) -> PullResult:
    """Documents from API/JSON-export tasks, by the pull policy; every lossy case is in the report."""
    result = result or PullResult()
    report = result.report
    parts: dict[str, list] = {}
    for task in tasks:
        result.tasks += 1
        where = f"{source}task {task.get('id', '?')}"
        done = policy.submitted(task)
        if done:
            result.annotated += 1
        if all_annotators:
            chosen = policy.by_annotator(done)
        else:
            pick = policy.choose(done)
            chosen = {"": pick} if pick is not None else {}
            if pick is not None:
                report.issues.extend(policy.disagreements(done, pick, where))
        if not chosen and unannotated:
            chosen = {"": {"result": []}}
        for who, annotation in chosen.items():
            sentences = task_sentences(task, annotation.get("result"), names=names, where=where,
                                       report=report, schema=schema)
            parts.setdefault(who, []).append((task, sentences))
    result.documents = {who: assemble(pairs) for who, pairs in parts.items()}
    return result


def pull(client, title: str, *, schema=None, all_annotators: bool = False, unannotated: bool = False) -> PullResult:
    """The project's annotations as documents (see ``tasks_documents``)."""
    project = client.project(title)
    names = config_names(project["label_config"], f"project {title!r}")
    return tasks_documents(client.all_tasks(project["id"]), names=names, schema=schema,
                           all_annotators=all_annotators, unannotated=unannotated)


def convert_export(path: str | Path, *, schema=None, all_annotators: bool = False,
                   unannotated: bool = False, names: ConfigNames = ConfigNames()) -> tuple[str, PullResult]:
    """``(format, result)`` of a UI export file (JSON, JSON-MIN or CONLL2003)."""
    from .exports import load_export_tasks, read_conll2003

    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            head = f.read(64).lstrip()
    except OSError as e:
        raise UserError(f"{path}: cannot read the export ({e.strerror}); check the path") from None
    if not head.startswith(("[", "{")):
        result = PullResult()
        result.documents[""] = read_conll2003(path, schema=schema, report=result.report)
        result.tasks = sum(len(d.sentences) for d in result.documents[""])
        return "CONLL2003", result
    fmt, tasks = load_export_tasks(path, names)
    return fmt, tasks_documents(tasks, names=names, schema=schema, all_annotators=all_annotators,
                                unannotated=unannotated, source=f"{path.name}: ")


__all__ = ["PushResult", "PullResult", "init_project", "push", "pull", "tasks_documents", "convert_export",
           "existing_hashes", "push_batches", "Issue"]
