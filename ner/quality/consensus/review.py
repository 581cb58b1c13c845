"""The least sure merged sentences reviewed in Label Studio, and the answers brought back as anchors.

``least_sure(result, share=, top=)`` picks the texts to review (lowest sentence score first;
anchored texts never). ``push_review(client, title, texts, result, picks)`` sends them through
the team's review queue (``ner.labelstudio.review.push_queue``): one *open* task per text, the
merge pre-selected as the prediction of model version ``current`` (Submit works on an unchanged
merge), each annotator's version as a further prediction whose model version is the annotator
and whose score is its estimated F1, a short Russian note naming what the annotators disagree
on, the readable columns of the queue's tab, the least sure first (suspicion = 1 - the
sentence score). A text already in the project is not sent again.
``answers(client, title)`` reads the submitted tasks through ``read_queue`` as
``{(content key, copy): tags}`` (submitted unchanged: the merge confirmed, an anchor too), which
``pipeline.consensus(reviewed=...)`` anchors.

Left out: Label Studio Enterprise's review stage; several reviewers of one task (the latest
submitted annotation wins).
"""

from __future__ import annotations

import hashlib

from ...bio import tags_spans
from ...labelstudio.review import ReviewItem, Version, push_queue, read_queue
from .output import merged_sentence

NOTE_ITEMS = 3          # disagreements named in a note; the rest are counted


def least_sure(result, *, share: float = 0.0, top: int = 0) -> list[int]:
    """Indices of the texts to review: the ``top`` least sure, or the least sure ``share`` of all texts."""
    order = sorted((t for t in range(len(result.scores)) if t not in result.anchored),
                   key=lambda t: (result.scores[t], t))
    count = top if top else int(round(share * len(result.scores)))
    return order[:count]


def _text_id(text) -> str:
    return hashlib.sha1(f"{text.key}\x1e{text.copy}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _clusters(spans_by_who) -> list[tuple[int, int]]:
    """Word ranges covering overlapping spans of any annotator, in order."""
    out: list[list[int]] = []
    for i, j, _ in sorted(s for spans in spans_by_who.values() for s in spans):
        if out and i < out[-1][1]:
            out[-1][1] = max(out[-1][1], j)
        else:
            out.append([i, j])
    return [(i, j) for i, j in out]


def disagreement(text, order=None) -> str:
    """A short note on what ``text``'s annotators disagree on: per stretch of words they did not all
    mark alike, who said what (``нет``: no entity there), e.g.
    ``Расхождения: «Сбербанк»: ORG (alpha, gamma) / LOC (beta)``."""
    who = [w for w in (order or text.tags) if w in text.tags]
    spans = {w: tags_spans(text.tags[w]) for w in who}
    words = text.sentence.words
    parts = []
    for a, b in _clusters(spans):
        readings: dict = {}
        for w in who:
            readings.setdefault(tuple(s for s in spans[w] if a <= s[0] and s[1] <= b), []).append(w)
        if len(readings) == 1:
            continue
        ranges = {(i, j) for reading in readings for i, j, _ in reading}
        short = len(ranges) == 1 and all(len(r) <= 1 for r in readings)

        def said(reading):
            if not reading:
                return "нет"
            return " ".join(lab if short else f"«{' '.join(words[i:j])}» {lab}" for i, j, lab in reading)

        votes = sorted(readings.items(), key=lambda kv: (not kv[0], -len(kv[1]), who.index(kv[1][0])))
        head = f"«{' '.join(words[a:b])}»: " if short else ""
        parts.append(head + " / ".join(f"{said(r)} ({', '.join(ws)})" for r, ws in votes))
    if not parts:
        return "Аннотаторы согласны; проверьте, не пропущено ли что-то."
    more = f"; и ещё {len(parts) - NOTE_ITEMS}" if len(parts) > NOTE_ITEMS else ""
    return "Расхождения: " + "; ".join(parts[:NOTE_ITEMS]) + more


def review_items(texts, result, picks) -> list[ReviewItem]:
    """One queue item per picked text: the merge as it stands, each annotator's version scored with its
    estimated F1 (tabs in the order of the estimates), the content key and copy in ``extra``."""
    quality = {e.who: round(float(e.micro.f1), 4) for e in result.estimates}
    out = []
    for t in picks:
        text = texts[t]
        versions = tuple(Version(who, tuple(text.tags[who]), f1) for who, f1 in quality.items() if who in text.tags)
        out.append(ReviewItem(_text_id(text), merged_sentence(text, result.spans[t]),
                              round(1.0 - float(result.scores[t]), 4), text.where,
                              disagreement(text, list(quality)), versions,
                              {"consensus_key": text.key, "consensus_copy": text.copy}))
    return out


def push_review(client, title: str, texts, result, picks) -> int:
    """Send the picked texts as open review tasks; returns how many were created (none twice)."""
    return push_queue(client, title, review_items(texts, result, picks), result.labels)


def answers(client, title: str, report=None) -> dict:
    """``{(content key, copy): tags}`` of the submitted consensus tasks of project ``title``."""
    return {(r.extra["consensus_key"], int(r.extra.get("consensus_copy", 0))): tuple(r.after.tags)
            for r in read_queue(client, title, report) if "consensus_key" in r.extra}
