"""BIO tags <-> spans, and the tag shapes and schemes found in real files.

IOB2 is the canonical scheme: every entity opens with ``B-``. ``parse_tag``
reads one tag (and says what is wrong with it); ``tags_spans``/``spans_tags``
convert between a tag sequence and token-index spans ``(start, end, label)``
with ``end`` exclusive. Scheme conversion (IOB1, BIOES/BILOU) and the
repair policy live in ``check.py``, which reports every change.

Left out: nested entities (BIO cannot express them).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

# Prefixes of every scheme we read: IOB1/IOB2 (B, I), BIOES (S, E), BILOU (U, L).
_PREFIXES = frozenset("BIESLU")
_SHAPE = re.compile(r"^([A-Za-z])[-_:.|/ ](.+)$")


class Tag(NamedTuple):
    """A parsed tag: ``prefix`` is 'O' or one of B I E S L U; ``fixed`` is the repaired spelling
    when only the spelling was wrong (``B_Model`` -> ``B-Model``, ``0`` -> ``O``); ``problem``
    says what is wrong when the tag cannot be read at all."""

    prefix: str
    label: str
    fixed: str | None = None
    problem: str | None = None


@lru_cache(maxsize=4096)
def parse_tag(tag: str) -> Tag:
    """Read one tag.

    >>> parse_tag("B-Model")
    Tag(prefix='B', label='Model', fixed=None, problem=None)
    >>> parse_tag("B_Model").fixed
    'B-Model'
    """
    if tag == "O":
        return Tag("O", "")
    if tag in ("0", "o", "-", "_"):
        return Tag("O", "", "O")
    if len(tag) > 2 and tag[1] == "-" and tag[0] in _PREFIXES:
        return Tag(tag[0], tag[2:])
    m = _SHAPE.match(tag)
    if m is None:
        return Tag("", tag, None, "no B-/I- prefix")
    prefix, label = m.group(1).upper(), m.group(2)
    if prefix not in _PREFIXES:
        return Tag("", label, None, f"prefix {m.group(1)!r} is not one of B, I, E, S, L, U")
    return Tag(prefix, label, f"{prefix}-{label}")


def tags_spans(tags) -> list[tuple[int, int, str]]:
    """Entity spans of an IOB2 tag sequence as ``(start, end, label)`` token ranges.

    An ``I-X`` that does not continue an ``X`` opens a new entity (the conlleval
    reading); tags that cannot be parsed count as ``O``. Two neighbouring entities
    of one type stay two (``B-X B-X``).

    >>> tags_spans(["B-Model", "I-Model", "O", "B-Date", "B-Date"])
    [(0, 2, 'Model'), (3, 4, 'Date'), (4, 5, 'Date')]
    """
    spans = []
    start = None
    label = None
    for i, tag in enumerate(tags):
        if tag == "O":
            prefix, cur = "O", ""
        else:
            parsed = parse_tag(tag)
            prefix, cur = parsed.prefix, parsed.label
        if prefix == "I" and label == cur and start is not None:
            continue
        if start is not None:
            spans.append((start, i, label))
            start = label = None
        if prefix in ("B", "I"):
            start, label = i, cur
    if start is not None:
        spans.append((start, len(tags), label))
    return spans


def to_iob2(tags) -> list[str]:
    """The IOB2 spelling of a tag sequence as ``tags_spans`` reads it: an ``I-X`` that opens
    an entity becomes ``B-X``, unreadable tags become ``O``. Evaluation, error files and
    ``tag()`` all pass predictions through this, so the three see the same entities.

    >>> to_iob2(["I-Model", "I-Model", "O", "I-Date"])
    ['B-Model', 'I-Model', 'O', 'B-Date']
    """
    tags = list(tags)
    return spans_tags(len(tags), tags_spans(tags))


def spans_tags(n: int, spans) -> list[str]:
    """IOB2 tags for ``n`` tokens from ``(start, end, label)`` token ranges.

    Raises ValueError on overlapping or out-of-range spans: BIO cannot hold them,
    and the callers report them instead of dropping one silently.

    >>> spans_tags(4, [(1, 3, "Model")])
    ['O', 'B-Model', 'I-Model', 'O']
    """
    tags = ["O"] * n
    for start, end, label in sorted(spans):
        if not 0 <= start < end <= n:
            raise ValueError(f"span {start}:{end} ({label}) is outside {n} tokens")
        if any(t != "O" for t in tags[start:end]):
            raise ValueError(f"span {start}:{end} ({label}) overlaps another span")
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
    return tags
