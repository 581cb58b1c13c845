"""How a corpus is laid out as Label Studio tasks: the text a person reads, and tasks of one sitting.

``detokenize`` (``ner/detok.py``, re-exported here) rebuilds a sentence's text from its tokens as a
person writes it. Every token keeps its exact range (``text[start:end] == word``), which is what a
pull maps regions back onto.

``Layout`` says how documents are cut into tasks: at most ``sentences`` sentences and
``chars`` characters per task, whichever comes first (0: no limit); a sentence longer
than ``chars`` is a task of its own, never cut. ``chunks`` does the cutting. The layout
is part of a task's key: a document is pushed with one layout only.

Left out: paragraph breaks (CoNLL has none to keep); re-flowing a text that has its own spacing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..detok import detokenize  # noqa: F401  (re-exported: the text of a task)

@dataclass(frozen=True, slots=True)
class Layout:
    """At most ``sentences`` sentences and ``chars`` characters per task (0: no limit)."""

    sentences: int = 10
    chars: int = 1500

    def __post_init__(self):
        if self.sentences < 0 or self.chars < 0:
            raise ValueError(f"a layout needs limits of 0 or more, not {self.sentences} sentences / {self.chars} "
                             f"characters")

    def __str__(self) -> str:
        return f"{self.sentences}s{self.chars}c"

    def describe(self) -> str:
        if not self.sentences and not self.chars:
            return "one task per document"
        limits = [f"{self.sentences} sentences" if self.sentences else "", f"{self.chars} characters"
                  if self.chars else ""]
        return "tasks of at most " + " / ".join(x for x in limits if x)

    @staticmethod
    def parse(value: str) -> "Layout":
        """The inverse of ``str``: ``'10s1500c'`` -> ``Layout(10, 1500)``."""
        m = re.fullmatch(r"(\d+)s(\d+)c", str(value))
        if not m:
            raise ValueError(f"not a task layout: {value!r}")
        return Layout(int(m[1]), int(m[2]))


def chunks(sizes, layout: Layout) -> list[tuple[int, int]]:
    """``(first, end)`` sentence ranges of one document's tasks, from each sentence's character count.

    >>> chunks([100, 100, 900, 2000, 10], Layout(2, 1000))
    [(0, 2), (2, 3), (3, 4), (4, 5)]
    """
    out, first, chars = [], 0, 0
    for k, size in enumerate(sizes):
        n = k - first
        extra = size + (1 if n else 0)  # the newline between sentences
        if n and ((layout.sentences and n >= layout.sentences) or (layout.chars and chars + extra > layout.chars)):
            out.append((first, k))
            first, chars, extra = k, 0, size
        chars += extra
    if first < len(sizes) or not out:
        out.append((first, len(sizes)))
    return out
