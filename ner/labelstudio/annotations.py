"""Which annotation of a task counts: the pull policy, and the disagreements it reports.

Only submitted, non-cancelled annotations count (drafts live apart from them
in Label Studio's JSON). Of several, the ground-truth one wins, else the most
recently updated (ties: the higher id). ``by_annotator`` gives each annotator's
latest one for ``--all``. ``disagreements`` says, per task, which regions the
annotations do not share (W204).

Left out: agreement metrics across a whole project.
"""

from __future__ import annotations

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
            notes.append(f"{annotator(other)} has [{only_theirs}] and lacks [{only_ours}]")
    if not notes:
        return []
    return [Issue(where, 0, "W204", f"{len(annotations)} annotations disagree; kept {annotator(chosen)}'s "
                                    f"(annotation {chosen.get('id')}); " + "; ".join(notes))]
