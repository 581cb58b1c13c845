"""Corpora for training: the train and dev files read and checked, labels renamed, a dev split held out.

Everything a user can get wrong is found here, before any model is built: an
unreadable or broken corpus (its first error with file:line, and a pointer to
``ner validate --fix``), labels outside the schema, a ``--map``/``--keep`` label
the corpus never has, an empty split. Reading itself is ``ner.corpus``.

Left out: the model's own input encoding (``ner.models.windows``, ``ner.models.subwords``).
"""

from __future__ import annotations

import random

from ..corpus import CorpusFile, check_map, label_mapping, map_tags, parse_map, read_split, resolve_schema
from ..errors import UserError
from ..records import Sentence

__all__ = ["CorpusFile", "hold_out", "labels_of", "map_tags", "parse_map", "prepare_data", "read_split",
           "resolve_schema"]


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


def prepare_data(config):
    """(schema labels, train sentences, dev sentences, notes) with every input problem raised as UserError."""
    mapping = label_mapping(config.map, getattr(config, "keep", ""))
    schema = resolve_schema(config.labels, mapping)
    train_split = read_split(config.train, schema, mapping)
    dev_split = read_split(config.dev, schema, mapping) if config.dev else None
    files = [train_split] + ([dev_split] if dev_split else [])
    check_map(mapping, train_split.found | (dev_split.found if dev_split else frozenset()),
              " or ".join(f.path for f in files))
    notes = [f"{f.path}: {f.unmapped} entities with labels --map/--keep do not name became O"
             for f in files if f.unmapped]
    if dev_split:
        train_sents, dev_sents = train_split.sentences, dev_split.sentences
    else:
        if len(train_split.sentences) < 2:
            raise UserError(f"{config.train}: one sentence; give a --dev corpus or more data")
        train_sents, dev_sents = hold_out(train_split.sentences, config.dev_fraction, config.seed)
        notes.append(f"no dev corpus: {len(dev_sents)} of {len(train_split.sentences)} training sentences held out")
    labels = list(schema.names) if schema is not None else labels_of(train_sents)
    if not labels:
        raise UserError(f"{config.train}: no entities at all; nothing to learn")
    return labels, train_sents, dev_sents, notes
