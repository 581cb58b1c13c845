"""The record ``ner llm annotate`` writes for each text, and the shots it sends before a text.

A record (one JSON line per answered text, in input order) is a corpus record that
``ner.formats.jsonl`` reads (``tokens``/``tags`` agree with ``spans``) plus what the LLM said::

    {"id": "texts:3", "document": "texts", "docstart": false, "text": "Модель BERT-а.",
     "tokens": ["Модель", "BERT-а", "."], "tags": ["O", "B-Model", "O"],
     "spans": [{"start": 7, "end": 13, "label": "Model", "text": "BERT-а"}],
     "annotator": "api.openai.com/gpt-4o-mini", "truncated": false,
     "unplaced": [{"text": "Google", "label": "Organization", "reason": "not in the text"}]}

``similar_shots`` picks the annotated sentences closest to a text (word overlap) for
``--examples``/``--shots``, the closest last, next to the text.

Left out: per-span scores (an LLM's answer carries none; see docs/llm.md).
"""

from __future__ import annotations

import math
import re

from ..bio import spans_tags
from .place import Placement
from .prompt import format_answer

_WORD = re.compile(r"\w+")


def format_record(item, spans) -> dict:
    """The corpus record of ``item`` (an ``inputs.Item``) with ``spans`` as ``(start, end, label)`` on its tokens."""
    starts = {s: i for i, (s, _) in enumerate(item.offsets)}
    ends = {e: i + 1 for i, (_, e) in enumerate(item.offsets)}
    ranges = [(starts[s], ends[e], label) for s, e, label in spans]
    return {"id": item.id, "document": item.document, "docstart": item.docstart, "text": item.text,
            "tokens": list(item.words), "tags": spans_tags(len(item.words), ranges),
            "spans": [{"start": s, "end": e, "label": label, "text": item.text[s:e]} for s, e, label in spans]}


def format_output(item, placement: Placement, annotator: str) -> dict:
    """The output record of one placed answer."""
    return {**format_record(item, placement.spans), "annotator": annotator, "truncated": placement.truncated,
            "unplaced": [u.as_dict() for u in placement.unplaced]}


def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower().replace("ё", "е") for w in _WORD.findall(text))


def similar_shots(text: str, pool, k: int) -> list[tuple[str, str]]:
    """The ``k`` items of ``pool`` (with ``text`` and ``spans``) sharing most words with ``text``
    (cosine over word sets), as ``(text, answer)``, the most similar last; ``text`` itself is skipped."""
    if k <= 0 or not pool:
        return []
    mine = _words(text)
    scored = []
    for n, example in enumerate(pool):
        if example.text == text:
            continue
        theirs = _words(example.text)
        score = len(mine & theirs) / math.sqrt(len(mine) * len(theirs)) if mine and theirs else 0.0
        scored.append((score, -n, example))
    best = sorted(scored, key=lambda x: (x[0], x[1]))[-k:]
    return [(e.text, format_answer(e.spans)) for _, _, e in best]
