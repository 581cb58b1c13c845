"""The critic's review queue in Label Studio, and learning from what reviewers did.

``push_review(client, title, items, labels, suspects)`` sends one task per
suspect: the sentence with its annotation as it stands (an annotation), the
suggested correction (a prediction of model version ``critic`` whose score is
the critic's, so the Data Manager sorts by it), and in the task data the
suspect's place, kind, score and signals (``ner_critic_*``). A suspect already
in the project is not sent again.

``learn(client, title, critic, weight)`` reads those tasks back. A task counts
as reviewed when its annotation was changed, updated by someone after it was
imported (``updated_by``), or a second annotation was made; the verdict is *kept* when the suspect's span (or,
for a missing entity, the lack of one) is still there, *deleted* when the span is
gone and nothing overlaps it, *corrected* otherwise. Kept is 0, the others are
1; the critic is refitted with them (``Critic.refit``) and the summary says how
the reviewed suspects' scores and ranking moved.

Left out: Label Studio Enterprise's review stage (accept/reject buttons); tokens
flagged for their letters (a word's spelling is not a span verdict).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from ...bio import spans_tags, tags_spans
from ...check import Report
from ...errors import UserError
from ...records import Document, Span

MODEL_VERSION = "critic"


def _suspect_id(item, s) -> str:
    words = "\x1f".join(item.sentence.words)
    key = f"{words}\x1e{'|'.join(item.sentence.tags)}\x1e{s.start}:{s.end}:{s.kind}:{s.label}"
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def corrected_tags(tags, s) -> list[str]:
    """The sentence's tags with the suspect's suggestion applied."""
    spans = [sp for sp in tags_spans(tags) if not (s.label and sp == (s.start, s.end, s.label))]
    if s.fix:
        a, b, _ = s.fix
        spans = [sp for sp in spans if not (sp[0] < b and a < sp[1])] + [s.fix]
    return spans_tags(len(tags), sorted(spans))


def push_review(client, title: str, items, labels, suspects) -> int:
    """Send the suspects (not flagged tokens) as review tasks; returns how many were created."""
    from ...labelstudio.config import config_names
    from ...labelstudio.tasks import document_parts, spans_to_results, tagged_task

    project = client.project(title)
    names = config_names(project["label_config"], f"project {title!r}")
    have = {t.get("data", {}).get("ner_critic_id") for t in client.iter_tasks(project["id"], with_results=False)}
    tasks = []
    for s in suspects:
        if s.kind == "token":
            continue
        item = items[s.item]
        sid = _suspect_id(item, s)
        if sid in have:
            continue
        doc = Document(f"critic-{sid}", (item.sentence,))
        key, chunk = document_parts(doc)[0]
        task = tagged_task(key, chunk, tags_as="annotations", names=names)
        text = task["data"][names.text_key]
        offsets = task["meta"]["ner"]["tokens"]
        fixed = [Span(offsets[i][0], offsets[j - 1][1], lab, text[offsets[i][0]:offsets[j - 1][1]])
                 for i, j, lab in tags_spans(corrected_tags(item.sentence.tags, s))]
        task["predictions"] = [{"model_version": MODEL_VERSION, "score": float(s.score),
                                "result": spans_to_results(text, fixed, names.from_name, names.to_name,
                                                           [float(s.score)] * len(fixed))}]
        record = s.record(items)
        task["data"].update({"ner_critic_id": sid, "ner_critic_score": round(float(s.score), 4),
                             "ner_critic_kind": s.kind, "ner_critic_where": f"{record['file']}:{record['first_line']}",
                             "ner_critic_span": [s.start, s.end, s.label],
                             "ner_critic_tags": list(item.sentence.tags),
                             "ner_critic_suggested": record["suggested"],
                             "ner_critic_features": [float(x) for x in s.features]})
        tasks.append(task)
    if not tasks:
        return 0
    created = client.import_tasks(project["id"], tasks)
    client.set_model_version(project["id"], MODEL_VERSION)
    return created


def _latest(task: dict) -> tuple[dict | None, bool]:
    """The task's latest annotation, and whether it was touched after the import."""
    done = [a for a in task.get("annotations") or () if not a.get("was_cancelled")]
    if not done:
        return None, False
    latest = max(done, key=lambda a: (str(a.get("updated_at") or ""), a.get("id") or 0))
    # an imported annotation has no updated_by and no last action (its two times differ by microseconds)
    return latest, len(done) > 1 or latest.get("updated_by") is not None or latest.get("last_action") not in (
        None, "imported")


def verdicts(tasks, names) -> list[tuple[str, list[float], int, str]]:
    """``(suspect id, features, 1 = an error / 0 = kept, verdict)`` for each reviewed critic task."""
    from ...labelstudio.tasks import task_sentences

    out = []
    for task in tasks:
        data = task.get("data") or {}
        if "ner_critic_id" not in data:
            continue
        annotation, touched = _latest(task)
        if annotation is None:
            continue
        report = Report()
        sentences = task_sentences(task, annotation.get("result"), names=names, where=f"task {task.get('id')}",
                                   report=report)
        if len(sentences) != 1:
            continue
        spans = tags_spans(sentences[0].tags)
        if not touched and spans == tags_spans(data.get("ner_critic_tags", ())):
            continue  # untouched since the push: not reviewed
        start, end, label = data["ner_critic_span"]
        if label:
            if (start, end, label) in spans:
                verdict = "kept"
            elif any(i < end and start < j for i, j, _ in spans):
                verdict = "corrected"
            else:
                verdict = "deleted"
        else:
            verdict = "corrected" if any(i < end and start < j for i, j, _ in spans) else "kept"
        out.append((data["ner_critic_id"], data["ner_critic_features"], int(verdict != "kept"), verdict))
    return out


def _order_agreement(scores, y) -> float:
    """Share of (error, kept) pairs of reviewed suspects the scores put in the right order (ties half)."""
    pos, neg = scores[y == 1], scores[y == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def learn(client, title: str, critic, weight: float = 5.0, seed: int = 13, **_):
    """``(refitted critic, summary)`` from the reviewers' verdicts in project ``title``."""
    from ...labelstudio.config import config_names

    project = client.project(title)
    names = config_names(project["label_config"], f"project {title!r}")
    found = verdicts(client.iter_tasks(project["id"]), names)
    if not found:
        raise UserError(f"project {title!r} has no reviewed critic tasks yet; review some "
                        f"(change, delete or re-submit the annotation) and run --learn again")
    x = np.array([f for _, f, _, _ in found], dtype=np.float64)
    y = np.array([v for _, _, v, _ in found], dtype=np.float64)
    before = critic.score(x)
    new = critic.refit(x, y, weight, seed)
    after = new.score(x)
    counts = {k: sum(1 for *_, v in found if v == k) for k in ("kept", "corrected", "deleted")}
    lines = [f"{len(found)} verdicts from {title!r}: {counts['kept']} kept, {counts['corrected']} corrected, "
             f"{counts['deleted']} deleted; the critic now holds {len(new.verdict_y)} (weight {weight:g} each)"]
    for name, mask in (("errors", y == 1), ("kept", y == 0)):
        if mask.any():
            lines.append(f"  {name}: mean score {before[mask].mean():.3f} -> {after[mask].mean():.3f}")
    lines.append(f"  errors ranked above kept spans: {_order_agreement(before, y):.1%} -> "
                 f"{_order_agreement(after, y):.1%}")
    moved = [(sid, b, a) for (sid, *_), b, a in zip(found, before, after)]
    lines.append("  " + json.dumps({"changed": [{"id": sid, "before": round(float(b), 3),
                                                 "after": round(float(a), 3)} for sid, b, a in moved[:10]]}))
    return new, "\n".join(lines)
