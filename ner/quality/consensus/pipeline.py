"""``consensus(paths, ...)``: read the annotators' files, align them, merge, score against gold if given.

The library function behind ``ner consensus``: it reads, aligns (``versions.py``), merges
(``merge.py``) and returns an ``Outcome``; the command writes it. ``gold`` is a corpus of
(some of) the same texts: with ``anchor`` its sentences fix the merge there and teach the
confusions; either way the report gives each annotator's true figures beside the estimates.
``reviewed`` (``{(content key, copy): tags}``, from ``review.answers``) anchors the same way.

Left out: writing files (``output.py``), Label Studio (``review.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...bio import tags_spans
from ...errors import UserError
from .merge import Merge, merge, truth
from .versions import Note, Text, align, annotator_names, load_versions

GOLD = "\x00gold"  # the gold corpus's name while aligning: no annotator file is named so


@dataclass(frozen=True)
class Outcome:
    texts: list                    # Text per merged text
    result: Merge
    files: dict                    # annotator -> file
    notes: list                    # Note per alignment problem (a text missing, other words, a stale answer)
    truth: dict | None             # merge.truth(...) when gold was given
    gold: dict                     # text index -> gold spans
    info: tuple = ()               # lines worth saying that are no problem (how much of the corpus gold covers)


def read_all(paths, *, names: str = "", fmt: str | None = None, mapping=None, gold: str = "") -> tuple:
    """``(texts, annotators, files, gold spans by text, notes)`` of the annotators' files and the gold."""
    if len(paths) < 2:
        raise UserError(f"give two or more annotators' files of the same texts (got {len(paths)})")
    who = annotator_names(paths, names)
    versions = {w: load_versions(p, w, fmt=fmt, mapping=mapping) for w, p in zip(who, paths)}
    for w, p in zip(who, paths):
        if not versions[w]:
            raise UserError(f"{p}: no sentences; give the annotator's version of the texts")
    if gold:
        versions[GOLD] = load_versions(gold, GOLD, fmt=fmt, mapping=mapping)
    texts, notes = align(versions, silent=(GOLD,))
    gold_spans = {}
    kept = []
    for text in texts:
        tags = dict(text.tags)
        g = tags.pop(GOLD, None)
        if not tags:  # a gold text no annotator has: nothing to merge
            notes.append(Note(text.where, "a gold text no annotator has; left out"))
            continue
        if g is not None:
            gold_spans[len(kept)] = frozenset(tags_spans(g))
        kept.append(Text(text.key, text.sentence, text.where, tags, text.copy))
    return kept, who, dict(zip(who, map(str, paths))), gold_spans, notes


def _refuse_case_twins(labels, texts) -> None:
    """Labels that differ only in case ("organization", "Organization") would split the votes silently."""
    seen: dict[str, str] = {}
    for label in labels:
        other = seen.setdefault(label.lower(), label)
        if other != label:
            users = sorted({who for t in texts for who, tags in t.tags.items()
                            if any(s[2] == label for s in tags_spans(tags))})
            raise UserError(f"labels {other!r} and {label!r} differ only in case ({label!r} in {', '.join(users)}); "
                            f"they would be counted as two labels: rename one with --map {label}={other},... "
                            f"(every label the merge should keep)")


def consensus(paths, *, names: str = "", fmt: str | None = None, mapping=None, gold: str = "",
              anchor: bool = True, reviewed: dict | None = None, smoothing: float = 1.0,
              redundancy: bool = False) -> Outcome:
    """Merge the annotators' versions of the same texts; see the module docstring."""
    texts, who, files, gold_spans, notes = read_all(paths, names=names, fmt=fmt, mapping=mapping, gold=gold)
    anchors = dict(gold_spans) if anchor else {}
    if reviewed:
        where = {(t.key, t.copy): n for n, t in enumerate(texts)}
        for slot, tags in reviewed.items():
            if slot in where and len(tags) == len(texts[where[slot]].sentence):
                anchors[where[slot]] = frozenset(tags_spans(tags))
            else:  # the files changed since the push: the answer has no text to anchor
                notes.append(Note("review", f"a reviewed sentence ({slot[0][:40]!r}) is in none of the files "
                                            f"(with the same words); its answer is not used"))
    labels = sorted({s[2] for t in texts for tags in t.tags.values() for s in tags_spans(tags)}
                    | {s[2] for spans in (*anchors.values(), *gold_spans.values()) for s in spans})
    _refuse_case_twins(labels, texts)
    result = merge(texts, who, labels=labels, anchors=anchors, smoothing=smoothing, redundancy=redundancy)
    info = ()
    if gold and len(gold_spans) < len(texts):
        info = (f"{gold}: {len(texts) - len(gold_spans)} of {len(texts)} texts have no gold sentence; the true "
                f"figures count the other {len(gold_spans)}",)
    return Outcome(texts, result, files, notes, truth(texts, result, gold_spans) if gold else None, gold_spans, info)
