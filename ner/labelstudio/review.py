"""A review queue in Label Studio: open tasks a reviewer works in order, and what each reviewer decided.

Any tool that wants people to look again at some sentences uses it (the critic's suspects,
the least sure sentences of a consensus). ``ensure_queue`` makes the project, or gives an
existing one the two review controls, before any expensive work starts. ``push_queue``
sends one *open* task per ``ReviewItem`` (no annotation: nothing is "Completed" before a
reviewer submits):

- the sentence as it stands is a prediction of model version ``current``, the project's
  version, so the editor starts from it and Submit works on an unchanged sentence ("kept"
  is one click); each alternative (a suggestion, another annotator's version) is a further
  prediction, a tab beside it;
- a short note under the text says what is suspect and what is proposed; the reviewer may
  also tick "kept" or "fixed" (a Choices control, optional: an unchanged sentence means
  kept, a changed one fixed);
- the data columns are readable (text, note, suspicion, where) and a tab "Review queue",
  the one the project opens on, lists those left to review most suspect first with internals
  hidden; the tab "Reviewed" lists the submitted ones, latest first.
  Bookkeeping (the tags as pushed, token ranges, the caller's ``extra``) lives in task meta.

``reviewed(tasks, names)`` (pure) and ``read_queue`` return one ``Reviewed`` per task a
reviewer submitted: its verdict, the sentence before and after, who, and the ``extra``.

Left out: what a verdict means for the caller (``quality/critic/review.py``), writing
corrections into files (``formats/retag.py``), Enterprise's review stage.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from ..check import Issue, Report
from ..errors import UserError
from ..records import Document, Sentence
from .config import config_names, format_labeling_config

CURRENT = "current"        # model version of the sentence as it stands: the pre-selected prediction
KEPT, FIXED = "kept", "fixed"
VERDICT = "verdict"        # the Choices control's name
NOTE = "note"              # the data field (and Text tag) of the per-task instruction
TAB = "Review queue"
DONE_TAB = "Reviewed"
META = "ner_review"
HEADER = "Верно - Submit (kept); ошибка - исправьте разметку и Submit (fixed)"
STALE = "Снято: этого подозрения нет среди подозрений последнего запуска критика; проверять не обязательно"


@dataclass(frozen=True, slots=True)
class Version:
    """An alternative shown as a prediction: ``name`` is its tab's model version ("critic", "annotator 3"),
    ``score`` its own score there (an annotator's F1; None: none, the item's suspicion is in its note and column)."""

    name: str
    tags: tuple[str, ...]
    score: float | None = None


@dataclass(frozen=True, slots=True)
class ReviewItem:
    key: str                   # unique: an item already in the project is not sent again
    sentence: Sentence         # its words and the tags as they stand
    score: float | None        # suspicion in [0, 1]: the queue lists the highest first (None: none shown, last)
    where: str                 # shown: "corpus.conll:12"
    note: str                  # shown under the text: what is suspect, what is proposed
    versions: tuple[Version, ...] = ()
    extra: dict = field(default_factory=dict, compare=False)   # kept in meta, returned with the verdict


@dataclass(frozen=True, slots=True)
class Reviewed:
    key: str
    task: int
    verdict: str               # KEPT or FIXED: ticked, else read from whether the sentence changed
    ticked: bool               # the reviewer ticked the verdict (not inferred)
    before: Sentence
    after: Sentence
    reviewer: str
    extra: dict = field(default_factory=dict, compare=False)


def review_config(xml: str) -> str:
    """``xml`` (a labeling config with ``<Labels>`` over a ``<Text>``) with a header, the note and the
    kept/fixed choices added; unchanged when it has them."""
    names = config_names(xml)
    root = ET.fromstring(xml)
    if any(t.tag == "Choices" and t.get("name") == VERDICT for t in root.iter()):
        return xml
    end = xml.rstrip().rfind("</View>")
    added = (f'  <View style="margin-top: 8px; padding: 4px 8px; background: #fff3cd; border-radius: 4px">\n'
             f'    <Text name="{NOTE}" value="${NOTE}"/>\n  </View>\n'
             f'  <Header value={quoteattr(HEADER)} size="5"/>\n'
             f'  <Choices name="{VERDICT}" toName={quoteattr(names.to_name)} choice="single" showInline="true">\n'
             f'    <Choice value="{KEPT}"/>\n    <Choice value="{FIXED}"/>\n  </Choices>\n')
    return xml[:end] + added + xml[end:]


def queue_config(labels) -> str:
    """A new review project's labeling config: ``ner ls init``'s (the default schema: its colours, hotkeys and
    hints) when it holds every one of ``labels``, else one of ``labels`` alone (as ``--labels auto`` makes),
    with the review controls added."""
    from ..schema import Schema, load_schema

    schema = load_schema()
    return review_config(format_labeling_config(schema if set(labels) <= set(schema.names) else Schema.auto(labels)))


def ensure_queue(client, title: str, labels, description: str = "review queue: open tasks, most suspect first"
                 ) -> dict:
    """The review project ``title``: made (with ``description``) when missing, given the review controls when
    it lacks them; refused (one line) when its labeling config lacks one of ``labels``. Cheap: call it first."""
    project = client.find_project(title)
    if project is None:
        if len(title.strip()) < 3:
            raise UserError(f"project title {title!r} is too short; Label Studio needs 3 characters or more")
        return client.create_project(title, queue_config(labels), description)
    have = config_names(project["label_config"], f"project {title!r}").labels
    missing = sorted(set(labels) - set(have))
    if have and missing:
        raise UserError(f"project {title!r} lacks the label(s) {', '.join(missing)}; add them "
                        f"(ner ls init --project {title!r} --labels FILE) or name another --project")
    xml = review_config(project["label_config"])
    if xml != project["label_config"]:
        client.update_config(project["id"], xml)
        project["label_config"] = xml
    return project


def queue_task(item: ReviewItem, names) -> dict:
    """The open task of one item (pure): text and readable fields in data, bookkeeping in meta."""
    from .tasks import document_parts, spans_to_results, tagged_task
    from ..bio import tags_spans
    from ..records import token_span

    info, laid = document_parts(Document(f"review-{item.key}", (item.sentence,)))[0]
    task = tagged_task(info, laid, tags_as=None, names=names)
    text, offsets = task["data"][names.text_key], task["meta"]["ner"]["tokens"]

    def prediction(version: Version) -> dict:
        spans = [token_span(text, offsets, i, j, lab) for i, j, lab in tags_spans(version.tags)]
        if version.score is None:   # the item's suspicion is its note's and column's: on the version's tab and
            # beside each of its regions it read as a confidence in them, unrelated regions too (the trial)
            result = spans_to_results(text, spans, names.from_name, names.to_name)
            return {"model_version": version.name, "result": [{**r, "origin": "prediction"} for r in result]}
        score = float(version.score)
        return {"model_version": version.name, "score": score,
                "result": spans_to_results(text, spans, names.from_name, names.to_name, [score] * len(spans))}

    suspicion = "" if item.score is None else round(float(item.score), 3)
    task["data"] = {names.text_key: text, NOTE: item.note, "suspicion": suspicion, "where": item.where}
    task["meta"][META] = {"key": item.key, "tags": list(item.sentence.tags), "extra": item.extra}
    task["predictions"] = [prediction(v) for v in (Version(CURRENT, item.sentence.tags), *item.versions)]
    return task


def push_queue(client, title: str, items, labels) -> int:
    """Send the items not yet in project ``title`` (made or completed by ``ensure_queue``) as open
    tasks, most suspect first; returns how many were created. An item already there whose task nobody
    has submitted gets its suspicion and note brought up to date where its versions are the same (the
    tab lists by suspicion; a task whose versions changed is left as it is, whole); the queue's tab is
    (re)made."""
    from .annotations import submitted
    from .views import readable_tab

    project = ensure_queue(client, title, labels)
    names = config_names(project["label_config"], f"project {title!r}")
    scored = any(it.score is not None for it in items)    # else nothing to bring up to date: ids, data, meta
    have = {((t.get("meta") or {}).get(META) or {}).get("key"): t
            for t in client.iter_tasks(project["id"], with_results=scored)}
    order = sorted(items, key=lambda it: -1.0 if it.score is None else -it.score)
    tasks = [queue_task(it, names) for it in order if it.key not in have]
    for it in order:
        old = have.get(it.key)
        if old and not submitted(old):
            _refresh(client, old, it, names)
    created = client.import_tasks(project["id"], tasks) if tasks else 0
    client.set_model_version(project["id"], CURRENT)
    columns = [names.text_key, NOTE, "suspicion", "where"]
    # the queue lists what is left to review (a skipped task is left); what reviewers submitted has a tab of its own:
    # reviewed tasks stayed on top of the queue with their old notes (the trial)
    readable_tab(client, project["id"], TAB, ["-tasks:data.suspicion"], columns, first=True,
                 filters=[("total_annotations", "equal", "Number", 0)])
    readable_tab(client, project["id"], DONE_TAB, ["-tasks:completed_at"], [*columns, "annotators"],
                 filters=[("total_annotations", "greater", "Number", 0)])
    return created


def submitted_keys(client, title: str) -> set:
    """The keys of the items whose task in project ``title`` a reviewer has submitted."""
    from .annotations import submitted

    tasks = client.iter_tasks(client.project(title)["id"], with_results=True)
    return {((t.get("meta") or {}).get(META) or {}).get("key") for t in tasks if submitted(t)}


def _refresh(client, old: dict, it: ReviewItem, names) -> None:
    """An open task takes its item's suspicion and note, where its versions are the same (else it is left whole:
    its note would contradict the versions shown beside it)."""
    if it.score is None:
        return
    new = queue_task(it, names)
    if _versions(new) == _versions(old) and new["data"] != old["data"]:
        client.update_task_data(old["id"], {**old["data"], NOTE: it.note, "suspicion": new["data"]["suspicion"]})


GONE = object()   # what ``bring_up_to_date``'s ``lookup`` answers for a task whose suspect the caller no longer finds


def bring_up_to_date(client, title: str, lookup) -> int:
    """The open tasks of queue ``title``, by what ``lookup(key, extra)`` says of each: an item (the caller finds its
    suspect) brings its suspicion and note up to date (``_refresh``), or a retired task back, with the note and
    suspicion it had where its versions changed (the new ones would name a suggestion it does not show); ``GONE``
    gives it suspicion 0, so that the tab lists it last, and a note saying so (``STALE``, with what it had): a
    reviewer worked a suspect the critic had dropped, still near the top (the trial); None leaves it as it is (not
    the caller's). Returns how many it retired now."""
    import re

    from .annotations import submitted

    project = client.project(title)
    names = config_names(project["label_config"], f"project {title!r}")
    retired, was = 0, re.compile(re.escape(STALE) + r" \(было ([0-9.]+): (.*)\)", re.DOTALL)
    for task in client.iter_tasks(project["id"], with_results=True):
        meta = (task.get("meta") or {}).get(META) or {}
        note = str(task["data"].get(NOTE, ""))
        if not meta or submitted(task) or (found := lookup(meta.get("key"), meta.get("extra") or {})) is None:
            continue
        if found is GONE:
            if not note.startswith((STALE, "Уже не подозревается")):   # (the first wording, 4604a40)
                client.update_task_data(task["id"], {**task["data"], "suspicion": 0.0,
                                                     NOTE: f"{STALE} (было {task['data'].get('suspicion')}: {note})"})
                retired += 1
        elif (old := was.fullmatch(note)) and _versions(queue_task(found, names)) != _versions(task):
            client.update_task_data(task["id"], {**task["data"], NOTE: old[2], "suspicion": float(old[1])})
        else:
            _refresh(client, task, found, names)
    return retired


def _versions(task: dict) -> list:
    """The task's versions (predictions) as model version and regions, scores left out."""
    from .regions import regions

    def spans(result):
        return sorted((r["value"].get("start"), r["value"].get("end"), tuple(r["value"].get("labels") or ()))
                      for r in regions(result))

    return sorted((p.get("model_version") or "", spans(p.get("result"))) for p in task.get("predictions") or ())


def _verdict(annotation: dict) -> str:
    for r in annotation.get("result") or ():
        if r.get("type") == "choices" and r.get("from_name") == VERDICT:
            chosen = (r.get("value") or {}).get("choices") or []
            if chosen and chosen[0] in (KEPT, FIXED):
                return chosen[0]
    return ""


def reviewed(tasks, names, report: Report | None = None) -> list[Reviewed]:
    """One ``Reviewed`` per queue task with a submitted annotation (its latest); what cannot be read
    back goes to ``report``."""
    from .annotations import annotator, submitted
    from .regions import task_sentences

    report = report if report is not None else Report()
    out = []
    for task in tasks:
        mine = (task.get("meta") or {}).get(META)
        done = submitted(task)
        if not isinstance(mine, dict) or not done:
            continue
        latest = max(done, key=lambda a: (str(a.get("updated_at") or ""), a.get("id") or 0))
        where = f"task {task.get('id')}"
        after = task_sentences(task, latest.get("result"), names=names, where=where, report=report)
        if len(after) != 1 or len(after[0]) != len(mine["tags"]):
            report.issues.append(Issue(where, 0, "E207", f"the reviewed task reads back as {len(after)} sentence(s) "
                                       f"of {sum(map(len, after))} word(s), not the {len(mine['tags'])} words pushed "
                                       f"(was the task's text edited?); its answer is not used, review it by hand"))
            continue
        before = Sentence(after[0].words, tuple(mine["tags"]))
        ticked = _verdict(latest)
        verdict = ticked or (KEPT if after[0].tags == before.tags else FIXED)
        out.append(Reviewed(mine["key"], task.get("id"), verdict, bool(ticked), before, after[0],
                            annotator(latest), dict(mine.get("extra") or {})))
    return out


def read_queue(client, title: str, report: Report | None = None) -> list[Reviewed]:
    """``reviewed`` over the tasks of project ``title``, reviewers named by e-mail."""
    from dataclasses import replace

    project = client.project(title, "a review queue is made by what sends it tasks: ner critic FILES --push-review "
                                    f"(or --audit N) --project {title!r}, or ner consensus --push-review")
    names = config_names(project["label_config"], f"project {title!r}")
    found = reviewed(client.iter_tasks(project["id"]), names, report)
    emails = client.user_emails() if any(r.reviewer.isdigit() for r in found) else {}
    return [replace(r, reviewer=emails.get(int(r.reviewer), r.reviewer)) if r.reviewer.isdigit() else r
            for r in found]
