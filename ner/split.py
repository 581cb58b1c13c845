"""Deterministic train/dev/test splits by document that keep every label in every split.

``split_corpus(documents, ratios=(0.8, 0.1, 0.1), seed=13)`` deals whole
documents into splits; the same documents, ratios and seed always give the same
split. Ratios are shares of tokens (documents vary in length; tokens are what a
model learns from).

How units are dealt (units are documents, or sentences, see below):

1. Coverage: labels are taken rarest first; for each split that lacks a label,
   the unassigned unit carrying it that brings the most other missing labels
   (then the fewest tokens, then the seeded order) goes there, as long as the
   split has room (its share of units, at least one).
2. The rest, units with rare labels first and in seeded order, each go to the
   split that most lacks the unit's rarest label, then the split furthest
   below its share of tokens.

A corpus with fewer documents than the ratios need (fewer than
``1 / smallest ratio``; a CoNLL file with no ``-DOCSTART-`` is one document)
is split by sentence instead, and ``Split.note`` says so. Sentences keep their
document's id and order inside each split.

Left out: grouping documents (by author, source) that must stay together.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass

from .bio import tags_spans
from .errors import UserError
from .records import Document

NAMES = {2: ("train", "dev"), 3: ("train", "dev", "test")}  # two shares: train and dev (for ner train --dev)


@dataclass(frozen=True, slots=True)
class Split:
    names: tuple[str, ...]
    parts: tuple[tuple[Document, ...], ...]
    by: str                  # "document" or "sentence"
    notes: tuple[str, ...]   # why it is split by sentence, labels missing from a split

    def __iter__(self):
        return iter(zip(self.names, self.parts))


def parse_ratios(text: str) -> tuple[float, ...]:
    """Ratios from '0.8,0.1,0.1' (train,dev,test) or '0.9,0.1' (train,dev): 2 or 3 non-negative
    numbers, normalised to sum to 1.

    >>> parse_ratios("8,1,1")
    (0.8, 0.1, 0.1)
    """
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise UserError(f"--ratios {text!r}: give 2 or 3 numbers separated by commas, e.g. 0.8,0.1,0.1") from None
    if len(values) not in NAMES or any(v < 0 or math.isnan(v) for v in values) or not sum(values) > 0:
        raise UserError(f"--ratios {text!r}: give 2 or 3 non-negative numbers with a positive sum")
    total = sum(values)
    return tuple(round(v / total, 6) for v in values)


@dataclass
class _Unit:
    index: int
    doc: int
    sentences: tuple
    tokens: int
    labels: Counter


def _units(documents, by_sentence: bool) -> list[_Unit]:
    units = []
    for d, doc in enumerate(documents):
        groups = [(s,) for s in doc.sentences] if by_sentence else [doc.sentences]
        for group in groups:
            labels = Counter(label for s in group for _, _, label in tags_spans(s.tags))
            units.append(_Unit(len(units), d, group, sum(len(s) for s in group), labels))
    return units


def split_corpus(documents, ratios=(0.8, 0.1, 0.1), seed: int = 13) -> Split:
    """Split ``documents`` (see the module docstring); ``ratios`` has 2 or 3 shares."""
    documents = list(documents)
    ratios = tuple(ratios)
    if len(ratios) not in NAMES:
        raise UserError(f"ratios {ratios}: give 2 or 3 shares")
    active = [k for k, r in enumerate(ratios) if r > 0]
    notes = []
    by_sentence = len(documents) * min(ratios[k] for k in active) < 1
    if by_sentence:
        notes.append(f"{len(documents)} document(s) are too few for ratios {','.join(map(str, ratios))}; "
                     f"split by sentence instead (sentences of one document may land in different splits)")
    units = _units(documents, by_sentence)
    random.Random(seed).shuffle(units)
    assigned = _deal(units, ratios, active)
    parts = []
    for k in range(len(ratios)):
        mine = sorted((u for u in units if assigned[u.index] == k), key=lambda u: u.index)
        parts.append(_regroup(documents, mine))
    names = NAMES[len(ratios)]
    labels = Counter(label for u in units for label in u.labels)
    for k in active:
        present = {label for u in units if assigned[u.index] == k for label in u.labels}
        missing = sorted(set(labels) - present)
        if missing:
            notes.append(f"{names[k]} has no {', '.join(missing)} (too few "
                         f"{'sentences' if by_sentence else 'documents'} carry them)")
    return Split(names, tuple(parts), "sentence" if by_sentence else "document", tuple(notes))


def _deal(units: list[_Unit], ratios, active) -> dict[int, int]:
    total_tokens = sum(u.tokens for u in units) or 1
    label_totals = Counter()
    carriers = Counter()
    for u in units:
        label_totals.update(u.labels)
        carriers.update(u.labels.keys())
    room = {k: max(1, round(ratios[k] * len(units))) for k in active}
    assigned: dict[int, int] = {}
    tokens = Counter()
    have = {k: Counter() for k in active}
    order = {u.index: n for n, u in enumerate(units)}

    def give(u: _Unit, k: int) -> None:
        assigned[u.index] = k
        tokens[k] += u.tokens
        have[k].update(u.labels)

    # 1. coverage, rarest label first; the largest split first so training sees every label
    for label in sorted(carriers, key=lambda lab: (carriers[lab], lab)):
        for k in sorted(active, key=lambda k: (-ratios[k], k)):
            if have[k][label] or sum(1 for v in assigned.values() if v == k) >= room[k]:
                continue
            free = [u for u in units if u.index not in assigned and label in u.labels]
            if not free:
                break
            best = max(free, key=lambda u: (sum(1 for lab in u.labels if not have[k][lab]),
                                            -u.tokens, -order[u.index]))
            give(best, k)
    # 2. the rest: rare labels first, each to where its rarest label and then tokens are most lacking
    rest = [u for u in units if u.index not in assigned]
    rest.sort(key=lambda u: min((carriers[lab] for lab in u.labels), default=math.inf))
    for u in rest:
        rarest = min(u.labels, key=lambda lab: (carriers[lab], lab)) if u.labels else None

        def need(k: int) -> tuple[float, float, int]:
            label_need = ratios[k] * label_totals[rarest] - have[k][rarest] if rarest else 0.0
            return (label_need, ratios[k] * total_tokens - tokens[k], -k)

        give(u, max(active, key=need))
    return assigned


def _regroup(documents, units: list[_Unit]) -> tuple[Document, ...]:
    """Units (in corpus order) back into documents: sentences of one document stay together."""
    out = []
    for u in units:
        if out and out[-1][0] == u.doc:
            out[-1][1].extend(u.sentences)
        else:
            out.append((u.doc, list(u.sentences)))
    return tuple(Document(documents[d].id, tuple(s), documents[d].path, documents[d].meta) for d, s in out)


def split_counts(split: Split) -> dict[str, dict]:
    """Documents, sentences, tokens and entities per label of each split."""
    counts = {}
    for name, docs in split:
        sentences = [s for d in docs for s in d.sentences]
        counts[name] = {"documents": len(docs), "sentences": len(sentences),
                        "tokens": sum(len(s) for s in sentences),
                        "entities": dict(sorted(Counter(label for s in sentences
                                                        for _, _, label in tags_spans(s.tags)).items()))}
    return counts


__all__ = ["Split", "parse_ratios", "split_corpus", "split_counts"]
