"""Init, push, pull and convert: the Label Studio workflows, over ``client.py`` and ``tasks.py``.

``init_project`` (``project.py``) creates the project or updates its labeling config.
``push`` sends documents as tasks of one sitting (``layout.Layout``) in batches. A
document's key is its content, not its file name: content already in the project (under
any name) is not sent again, a document whose content changed under the same id is
reported and not pushed, and so is a document already there in another layout. A push
cut off half-way is simply run again. Re-pushing an unchanged corpus asks the server to
count tasks by the batch digests they carry instead of listing every task; a batch
that is not complete lists only its slot (the same documents in the same layout), and
the whole project only when that does not settle it. ``pull`` and ``convert_export``
turn tasks back into documents through one path, ``tasks_documents``, which applies the
annotation policy (``annotations.py``) and the span checks (``tasks.py``).

Left out: printing (the CLI does it), predictions from a model (``predict.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..check import Issue, Report
from ..errors import UserError
from . import annotations as policy
from .config import ConfigNames, check_labels, config_names
from .layout import Layout
from .project import init_project, labels_in_use  # noqa: F401  (re-exported)
from .regions import task_sentences
from .tasks import KEY_FIELD, assemble, document_parts, stamp_batch, tagged_task, task_info, task_key

COUNT_GROUP = 20  # batch digests counted in one request (each adds about 150 bytes to the URL)


@dataclass
class PushResult:
    created: int = 0
    unchanged: int = 0                                  # tasks whose content is already in the project
    changed: list[str] = field(default_factory=list)    # documents whose tasks hold other content: not pushed
    relaid: list[str] = field(default_factory=list)     # documents already there in another layout: not pushed
    same_content: list[tuple[str, str]] = field(default_factory=list)  # (document, the one it repeats)
    attached: int = 0                                   # predictions or annotations attached to tasks already there
    kept_annotated: int = 0                             # tasks already there that a person had annotated (left as they are)
    documents: int = 0
    tasks: int = 0
    project_id: int = 0


@dataclass
class PullResult:
    documents: dict[str, list] = field(default_factory=dict)  # annotator ('' = policy choice) -> documents
    report: Report = field(default_factory=Report)
    tasks: int = 0
    annotated: int = 0
    accepted: policy.Accepted = field(default_factory=policy.Accepted)   # submitted as pre-annotated
    blank: int = 0                                      # tasks without an annotation written all O (--unannotated)


def contains(name: str, values) -> dict:
    """A ``where`` for the ``ner`` data field holding any of ``|name:value|``."""
    return {KEY_FIELD: [f"|{name}:{v}|" for v in values]}


def existing_tasks(client, project_id: int, where: dict | None = None) -> list[tuple[dict, dict]]:
    """``(task, info)`` of our tasks in the project (those matching ``where``, a 'contains' filter)."""
    found = []
    for task in client.iter_tasks(project_id, with_results=False, where=where, operator="contains"):
        info = task_info(task)
        if info is not None and "hash" in info:
            found.append((task, info))
    return found


def push_batches(documents, *, batch_size: int, layout: Layout = Layout()):
    """``(batches, same_content)``: the ``document_parts`` of ``documents`` in batches of ``batch_size``,
    each info stamped with its batch digest and slot; a document whose content repeats an earlier
    one's is left out and named in ``same_content``."""
    if batch_size < 1:
        raise UserError(f"--tasks-per-request must be 1 or more, not {batch_size}")
    parts, names, contents, same = [], set(), {}, []
    for doc in documents:
        doc_parts = document_parts(doc, layout)
        doc_hash = doc_parts[0][0]["doc_hash"]
        if doc.id in names:
            raise UserError(f"document {doc.id!r} appears twice in the input; give the documents distinct ids "
                            f"(-DOCSTART- or file names)")
        names.add(doc.id)
        if doc_hash in contents:
            same.append((doc.id, contents[doc_hash]))
            continue
        contents[doc_hash] = doc.id
        parts += doc_parts
    batches = [parts[first:first + batch_size] for first in range(0, len(parts), batch_size)]
    for batch in batches:
        stamp_batch([info for info, _ in batch])
    return batches, same


class _Known:
    """What the project holds, from listed ``(task, info)``: parts by content, documents by name."""

    def __init__(self, listed=()):
        self.parts: dict[tuple[str, str, int], tuple[dict, dict]] = {}
        self.layouts: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}
        self.add(listed)

    def add(self, listed):
        for task, info in listed:
            doc_hash = info.get("doc_hash")
            if doc_hash is None:  # pushed before contents were keys: its name and part hash stand in
                doc_hash = f"{info.get('doc')}\x1f{info['hash']}"
            layout = str(info.get("layout", ""))
            self.parts[doc_hash, layout, int(info.get("part", 0))] = (task, info)
            self.layouts.setdefault(doc_hash, set()).add(layout)
            self.names.setdefault(str(info.get("doc")), doc_hash)

    def decide(self, info: dict) -> str | None:
        """'there', 'create', 'changed', 'relaid' for one part; None when this listing cannot tell."""
        doc_hash, layout = info["doc_hash"], info["layout"]
        if (doc_hash, layout, info["part"]) in self.parts:
            return "there"
        if layout in self.layouts.get(doc_hash, ()):
            return "create"  # another part of the document is there: a push cut off between batches
        if doc_hash in self.layouts:
            return "relaid"
        if info["doc"] in self.names:
            return "changed"
        return None


def push(client, title: str, documents, *, layout: Layout = Layout(), tags_as: str | None = "annotations",
         model_version: str = "", batch_size: int = 500, progress=None) -> PushResult:
    """Send documents as tasks; ``progress(n)`` is called after each batch with the tasks handled.

    The tasks of a batch carry its digest, and push never sends a task twice, so the
    server never holds more tasks with a digest than the batch has: batches whose
    digests (up to ``COUNT_GROUP`` asked in one request) are held on as many tasks as
    the batches have together are complete, and their tasks are not even built; a short
    group is counted again by halves to find its incomplete batches. For those (first
    push, a push cut off, a changed document, another batch size) the tasks of the batch's
    slot are listed (one filtered request), and the whole project once, only when they do
    not tell every part. ``tags_as="predictions"`` also attaches
    the predictions to tasks already there that lack this model version.
    """
    project = client.project(title)
    project_id = project["id"]
    names = config_names(project["label_config"], f"project {title!r}")
    documents = list(documents)
    if tags_as:  # texts alone (tags_as=None) need no label of the config
        check_labels(documents, names, f"project {title!r}")
    result = PushResult(project_id=project_id, documents=len(documents))
    batches, result.same_content = push_batches(documents, batch_size=batch_size, layout=layout)
    result.tasks = sum(map(len, batches))
    state = {"anything": None}  # does the project hold tasks at all (asked only when it matters)

    def complete(group, held=None) -> list:
        """The batches of ``group`` the server holds whole: one count, then halves of a short group,
        the second half's count being the rest of the group's (a few counts find the one batch a
        changed document left incomplete)."""
        if state["anything"] is False:
            return []
        if held is None:
            held = client.count_tasks(project_id, contains("batch", [batch[0][0]["batch"] for batch in group]),
                                      "contains")
        if held == sum(map(len, group)):
            state["anything"] = True
            return group
        if state["anything"] is None:  # an empty project (a first push) needs no more counts and no listing
            state["anything"] = held > 0 or client.count_tasks(project_id) > 0
        if held == 0 or len(group) == 1:
            return []
        half = len(group) // 2
        left = client.count_tasks(project_id, contains("batch", [batch[0][0]["batch"] for batch in group[:half]]),
                                  "contains")
        return complete(group[:half], left) + complete(group[half:], held - left)

    todo, there = [], []
    for first in range(0, len(batches), COUNT_GROUP):
        group = batches[first:first + COUNT_GROUP]
        whole = {id(batch) for batch in complete(group)}
        for batch in group:
            if id(batch) in whole:
                result.unchanged += len(batch)
                there += batch
                if progress:
                    progress(len(batch))
            else:
                todo.append(batch)
    anything = state["anything"]

    everything: _Known | None = None
    decided: dict[str, str] = {}  # document -> the verdict of a part that keeps it out ('changed', 'relaid')
    for batch in todo:
        known = _Known(existing_tasks(client, project_id, contains("slot", [batch[0][0]["slot"]]))) \
            if anything else _Known()
        pending = []
        for info, laid in batch:
            verdict = known.decide(info) if anything else "create"
            if verdict is None:  # not in the slot: pushed in another batch, under another name, or never
                if everything is None:
                    everything = _Known(existing_tasks(client, project_id))
                verdict = everything.decide(info) or "create"
            verdict = decided.get(info["doc"], verdict)
            if verdict == "there":
                result.unchanged += 1
                there.append((info, laid))
            elif verdict == "create":
                pending.append(tagged_task(info, laid, tags_as=tags_as, model_version=model_version, names=names))
            else:
                if info["doc"] not in decided:
                    decided[info["doc"]] = verdict
                    (result.changed if verdict == "changed" else result.relaid).append(info["doc"])

        def missing(sent, digest=batch[0][0]["batch"]):
            # The batch's own digest finds what a dropped request stored before it failed.
            now = {task_key(info): info["hash"] for _, info in existing_tasks(client, project_id,
                                                                               contains("batch", [digest]))}
            return [t for t in sent if now.get(task_key(t["meta"]["ner"])) != t["meta"]["ner"]["hash"]]

        if pending:
            try:
                result.created += client.import_tasks(project_id, pending, refresh=missing)
            except UserError as e:
                raise UserError(f"push to project {title!r} stopped with {result.created} task(s) created: "
                                f"{e}") from None
        if progress:
            progress(len(batch))
    if result.created:
        from .views import hide_bookkeeping

        hide_bookkeeping(client, project_id, names.text_key)
    # tasks pushed earlier as text only get the tags now (one count first: an unchanged re-push lists nothing)
    if tags_as == "annotations" and there and client.count_unannotated(project_id):
        from .predict import attach_annotations

        result.attached, result.kept_annotated = attach_annotations(client, project_id, there, names)
    if tags_as == "predictions":
        if there:
            from .predict import attach_predictions

            result.attached = attach_predictions(client, project_id, there, model_version or "imported", names)
        # the Data Manager's "Prediction score" follows the project's version
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
            chosen, result.blank = {"": {"result": [], "unannotated": True}}, result.blank + 1
        for who, annotation in chosen.items():
            sentences = task_sentences(task, annotation.get("result"), names=names, where=where,
                                       report=report, schema=schema)
            parts.setdefault(who, []).append((task, sentences))
            if not annotation.get("unannotated"):
                result.accepted.mark(annotation, task, sentences)
    result.documents = {who: assemble(pairs) for who, pairs in parts.items()}
    result.accepted.place(result.documents)
    return result


def pull(client, title: str, *, schema=None, all_annotators: bool = False, unannotated: bool = False) -> PullResult:
    """The project's annotations as documents (see ``tasks_documents``).

    The JSON export is the fast way to every task; it is checked against the project's task
    count, and the paged listing is used instead when the export holds fewer (seen once on a
    loaded machine: an export four tasks short of the listing made a moment before)."""
    project = client.project(title)
    names = config_names(project["label_config"], f"project {title!r}")
    tasks = client.all_tasks(project["id"])
    if len(tasks) < client.count_tasks(project["id"]):
        tasks = list(client.iter_tasks(project["id"]))
    return tasks_documents(policy.with_emails(tasks, client.user_emails()), names=names, schema=schema,
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
        if not head.startswith("-DOCSTART-"):  # Label Studio's CONLL2003 export opens with "-DOCSTART- -X- O"
            raise UserError(f"{path}: not a Label Studio export (JSON, JSON-MIN, or CONLL2003, which opens with "
                            f"-DOCSTART-); for a corpus file use 'ner convert'")
        result = PullResult()
        result.documents[""] = read_conll2003(path, schema=schema, report=result.report)
        # Label Studio writes one block per task, and only annotated tasks
        result.tasks = result.annotated = sum(len(d.sentences) for d in result.documents[""])
        return "CONLL2003", result
    fmt, tasks = load_export_tasks(path, names)
    result = PullResult()
    if fmt == "JSON-MIN" and any(KEY_FIELD in (t.get("data") or {}) for t in tasks):
        result.report.issues.append(Issue(str(path), 0, "W207", "a JSON-MIN export leaves out task meta, where "
                                          "ner ls push keeps the token ranges and document ids: tokens come from "
                                          "razdel and each task is a document; export JSON for a lossless round "
                                          "trip"))
    return fmt, tasks_documents(tasks, names=names, schema=schema, all_annotators=all_annotators,
                                unannotated=unannotated, source=f"{path.name}: ", result=result)


__all__ = ["PushResult", "PullResult", "init_project", "push", "pull", "tasks_documents", "convert_export",
           "existing_tasks", "push_batches", "check_labels", "Issue"]
