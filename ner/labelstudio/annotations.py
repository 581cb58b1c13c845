"""Which annotation of a task counts: the pull policy, and the disagreements it reports.

Only submitted, non-cancelled annotations count (drafts live apart from them
in Label Studio's JSON). Of several, the ground-truth one wins, else the most
recently updated (ties: the higher id). ``by_annotator`` gives each annotator's
latest one for ``--all``, named by e-mail where ``with_emails`` found it. ``disagreements`` says, per task, which regions the
annotations do not share (W204). ``accepted_from`` tells an annotation submitted
exactly as a model pre-annotated it (Label Studio records the prediction an
annotation was made from), and ``Accepted`` counts them over a pull.

Left out: agreement metrics across a whole project.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..check import Issue


def submitted(task: dict) -> list[dict]:
    """The task's annotations that were submitted and not cancelled (skipped)."""
    return [a for a in task.get("annotations") or ()
            if not a.get("was_cancelled") and not a.get("skipped") and a.get("result") is not None]


def annotator(annotation: dict) -> str:
    """A file-name-safe annotator key: e-mail, else user id."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("id")
    who = str(who if who is not None else "unknown")
    return "".join(c if c.isalnum() or c in "@.-_" else "_" for c in who)


def with_emails(tasks: list[dict], users: dict[int, str]) -> list[dict]:
    """The tasks with each annotator given by id (as the JSON export gives them) given with the e-mail ``users``
    has for that id (``Client.user_emails``): people know each other by e-mail."""
    for task in tasks:
        for a in task.get("annotations") or ():
            if isinstance(a.get("completed_by"), int) and users.get(a["completed_by"]):
                a["completed_by"] = {"id": a["completed_by"], "email": users[a["completed_by"]]}
    return tasks


def _recency(annotation: dict):
    return (str(annotation.get("updated_at") or annotation.get("created_at") or ""), annotation.get("id") or 0)


def choose(annotations: list[dict]) -> dict | None:
    """Ground truth first, else the most recent; None when there is none."""
    if not annotations:
        return None
    truth = [a for a in annotations if a.get("ground_truth")]
    return max(truth or annotations, key=_recency)


def by_annotator(annotations: list[dict]) -> dict[str, dict]:
    """Each annotator's most recent annotation."""
    latest: dict[str, dict] = {}
    for a in annotations:
        key = annotator(a)
        if key not in latest or _recency(a) > _recency(latest[key]):
            latest[key] = a
    return latest


def _region_set(annotation: dict) -> set[tuple]:
    from .regions import regions

    return {(r["value"].get("start"), r["value"].get("end"), tuple(r["value"].get("labels") or ()),
             r["value"].get("text")) for r in regions(annotation.get("result"))}


def disagreements(annotations: list[dict], chosen: dict, where: str) -> list[Issue]:
    """One W204 per task whose annotations differ from the chosen one, naming what differs."""
    if len(annotations) < 2:
        return []
    base = _region_set(chosen)
    notes = []
    for other in annotations:
        if other is chosen:
            continue
        theirs = _region_set(other)
        if theirs != base:
            only_theirs = ", ".join(f"{r[2][0] if r[2] else '?'} {r[3]!r}" for r in sorted(theirs - base, key=str))
            only_ours = ", ".join(f"{r[2][0] if r[2] else '?'} {r[3]!r}" for r in sorted(base - theirs, key=str))
            said = [f"has [{only_theirs}]"] * bool(only_theirs) + [f"lacks [{only_ours}]"] * bool(only_ours)
            notes.append(f"{annotator(other)} {' and '.join(said)}")   # an empty side is left out, not '[]'
    if not notes:
        return []
    truth = sum(bool(a.get("ground_truth")) for a in annotations)   # as ``choose`` reads them: all or none, no choice
    why = ("the most recent" if truth in (0, len(annotations)) else "marked ground truth" if truth == 1
           else "the most recent marked ground truth")
    return [Issue(where, 0, "W204", f"{len(annotations)} annotations disagree; kept {annotator(chosen)}'s "
                                    f"(annotation {chosen.get('id')}, {why}; --all writes each annotator's); "
                  + "; ".join(notes))]


def made_from(annotation: dict, task: dict) -> dict | None:
    """The prediction an annotation was made from: Label Studio records it (``parent_prediction``, set when the
    editor opened on it) and the prediction as viewed (a JSON export lists a task's predictions by id only); else
    the task's own of that id. None: made without one, or the prediction is gone."""
    parent = annotation.get("parent_prediction")
    if parent is None:
        return None
    known = [p for p in (annotation.get("prediction"), *(task.get("predictions") or ())) if isinstance(p, dict)]
    return next((p for p in known if p.get("id") == parent and isinstance(p.get("result"), list)), None)


def accepted_from(annotation: dict, task: dict) -> str | None:
    """The model version whose pre-annotation ``annotation`` was submitted as it stood (``made_from``), its regions
    that prediction's, none moved, added, removed or relabelled; None: made without one, or changed."""
    return _unchanged(annotation, made_from(annotation, task))


def _unchanged(annotation: dict, made: dict | None) -> str | None:
    if made is None or _placed(annotation) != _placed(made):
        return None
    return _version(made)


def _version(prediction: dict) -> str:
    return str(prediction.get("model_version") or "unnamed")


def _placed(annotation: dict) -> set[tuple]:
    """Where the regions are and what they say (a prediction may carry no ``text``; the editor adds it)."""
    from .regions import regions

    return {(r["value"].get("start"), r["value"].get("end"), tuple(sorted(r["value"].get("labels") or ())))
            for r in regions(annotation.get("result"))}


@dataclass
class Accepted:
    """Over a pull: the annotations submitted exactly as pre-annotated, per model version (their lead times, in
    seconds, where recorded), out of ``pulled``; the sentences they hold (``mark``, then ``places``), and the task
    of every sentence read (``tasks``)."""

    lead_times: dict[str, list] = field(default_factory=dict)
    edited: dict[str, list] = field(default_factory=dict)    # made from its prediction, then changed: lead times
    pulled: int = 0
    places: dict[tuple, str] = field(default_factory=dict)   # (annotator, document id, sentence index) -> version
    tasks: dict[tuple, int] = field(default_factory=dict)    # (annotator, document id, sentence index) -> task id
    _marked: dict[int, str] = field(default_factory=dict)
    _task: dict[int, int] = field(default_factory=dict)

    def mark(self, annotation: dict, task: dict, sentences) -> None:
        self.pulled += 1
        self._task.update((id(s), task.get("id")) for s in sentences)
        made = made_from(annotation, task)
        version = _unchanged(annotation, made)
        if version is None and made is not None:
            self.edited.setdefault(_version(made), []).append(annotation.get("lead_time"))
        if version is not None:
            self.lead_times.setdefault(version, []).append(annotation.get("lead_time"))
            self._marked.update((id(s), version) for s in sentences)

    def place(self, documents: dict) -> None:
        """Where the marked sentences landed in the assembled documents (annotator -> documents)."""
        placed = [((who, doc.id, n), id(s)) for who, docs in documents.items() for doc in docs
                  for n, s in enumerate(doc.sentences)]
        self.places = {at: self._marked[s] for at, s in placed if s in self._marked}
        self.tasks = {at: self._task[s] for at, s in placed if s in self._task}

    def lines(self, title: str = "") -> list[str]:
        """A line per model version, for the summary of a pull (``title``: the project) or a converted export."""
        import shlex
        import statistics

        def median(times) -> str:
            known = [t for t in times if isinstance(t, (int, float))]
            return f"median {statistics.median(known):.0f} s on a task" if known else "no lead time recorded"

        out = []
        for version, times in sorted(self.lead_times.items()):
            edited = self.edited.get(version, [])
            out.append(f"{len(times)} of the {self.pulled} annotation(s) read were submitted exactly as model "
                       f"{version!r} pre-annotated them ({median(times)}"
                       + (f"; the {len(edited)} changed from it: {median(edited)}" if edited else "")
                       + "): they hold its errors unless someone read them closely"
                       + (f" ('ner critic --project {shlex.quote(title)}' reports their sentences apart)" if title
                          else ""))
        return out
