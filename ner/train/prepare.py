"""Corpora for training: read, check, rename labels, pick the label set, hold out a dev split.

Everything a user can get wrong is found here, before any model is built: an
unreadable or broken corpus (its first error with file:line, and a pointer to
``ner validate --fix``), labels outside the schema, an empty split.

Left out: the model's own input encoding (``ner.models.windows``, ``ner.models.subwords``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..bio import tags_spans
from ..check import Report
from ..errors import UserError
from ..formats.conll import read_corpus
from ..records import Sentence
from ..schema import Schema, load_schema


@dataclass(frozen=True, slots=True)
class Split:
    path: str
    sentences: tuple[Sentence, ...]
    unmapped: int  # entities whose label --map did not name (now O)

    @property
    def n_tokens(self) -> int:
        return sum(len(s) for s in self.sentences)


def map_tags(tags, mapping: dict[str, str]) -> tuple[list[str], int]:
    """Tags with labels renamed by ``mapping``; entities of other labels become O (and are counted).

    >>> map_tags(["B-Person", "I-Person", "B-Project", "O"], {"Person": "PER"})
    (['B-PER', 'I-PER', 'O', 'O'], 1)
    """
    out = ["O"] * len(tags)
    dropped = 0
    for start, end, label in tags_spans(tags):
        target = mapping.get(label)
        if target is None:
            dropped += 1
            continue
        out[start] = f"B-{target}"
        for i in range(start + 1, end):
            out[i] = f"I-{target}"
    return out, dropped


def read_split(path: str, schema: Schema | None, mapping: dict[str, str] | None = None) -> Split:
    """The sentences of one corpus file, checked; raises UserError on the first problem."""
    report = Report()
    docs = read_corpus([path], schema=None if mapping else schema, report=report)
    if report.errors:
        first = report.errors[0]
        if first.code in ("E100", "E101", "E102"):
            raise UserError(str(first))
        raise UserError(f"{first} ({len(report.errors)} error(s) in {path}; see 'ner validate {path}', "
                        f"and 'ner validate --fix' repairs what it can)")
    sentences = [s for d in docs for s in d.sentences if len(s)]
    if not sentences:
        raise UserError(f"{path}: no sentences; the split is empty")
    unmapped = 0
    if mapping:
        mapped = []
        for s in sentences:
            tags, dropped = map_tags(s.tags, mapping)
            unmapped += dropped
            mapped.append(s.with_tags(tags))
        sentences = mapped
    if schema is not None:
        for s in sentences:
            for i, tag in enumerate(s.tags):
                if tag != "O" and tag[2:] not in schema:
                    closest = schema.closest(tag[2:])
                    hint = f"did you mean {closest!r}? " if closest else ""
                    raise UserError(f"{path}:{s.line + i if s.line else 0}: label {tag[2:]!r} is not in the "
                                    f"schema ({', '.join(schema.names)}); {hint}pass --labels or --map")
    return Split(path, tuple(sentences), unmapped)


def resolve_schema(labels: str, mapping: dict[str, str] | None) -> Schema | None:
    """The schema for ``--labels``; None means 'auto' (taken from the training data)."""
    if labels == "auto":
        return None
    if not labels and mapping:
        return Schema.auto(mapping.values(), "mapped")
    return load_schema(labels or None)


def labels_of(sentences) -> list[str]:
    return sorted({t[2:] for s in sentences for t in s.tags if t != "O"})


def hold_out(sentences, fraction: float, seed: int) -> tuple[tuple[Sentence, ...], tuple[Sentence, ...]]:
    """(train, dev): a seeded random ``fraction`` of the sentences (at least one) as dev."""
    if len(sentences) < 2:
        raise UserError("the training corpus has one sentence; give a --dev corpus or more data")
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    n_dev = max(1, round(len(sentences) * fraction))
    dev = set(order[:n_dev])
    return (tuple(s for i, s in enumerate(sentences) if i not in dev),
            tuple(s for i, s in enumerate(sentences) if i in dev))
