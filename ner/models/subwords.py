"""Sub-word encoding for the transformer: pieces of a window of words, labels on first pieces.

Sub-word alignment uses the fast tokenizer's ``word_ids`` (ruBERT folds ё and й,
so pieces are never re-joined into text): the label goes on the first piece of
each word and -100 on the rest. A word the tokenizer turns into no piece at all
(a lone control or zero-width character) is fed as the unknown token, so every
word keeps exactly one labelled piece.

Left out: windows (``windows.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

IGNORE = -100


@dataclass(frozen=True, slots=True)
class Encoded:
    """One window of words as model input: piece ids, and each piece's word (None for specials)."""

    input_ids: list[int]
    word_ids: list[int | None]
    labels: list[int] | None


def piece_counts(tokenizer, words: Sequence[str]) -> list[int]:
    """Number of sub-word pieces of each word (0 for a word the tokenizer drops)."""
    if not words:
        return []
    enc = tokenizer(list(words), is_split_into_words=True, add_special_tokens=False)
    counts = [0] * len(words)
    for w in enc.word_ids():
        if w is not None:
            counts[w] += 1
    return counts


def align_labels(word_ids: Sequence[int | None], word_labels: Sequence[int]) -> list[int]:
    """The label of each word on its first piece, -100 on its other pieces and on specials.

    >>> align_labels([None, 0, 0, 1, None], [3, 4])
    [-100, 3, -100, 4, -100]
    """
    out = []
    prev = None
    for w in word_ids:
        out.append(IGNORE if w is None or w == prev else word_labels[w])
        prev = w
    return out


def encode_words(tokenizer, words: Sequence[str], max_pieces: int,
                 word_labels: Sequence[int] | None = None) -> Encoded:
    """Model input for one window of words; raises ValueError if a word would lose its label."""
    words = [w if n else tokenizer.unk_token for w, n in zip(words, piece_counts(tokenizer, words))]
    enc = tokenizer(words, is_split_into_words=True, add_special_tokens=True)
    ids, wids = list(enc["input_ids"]), list(enc.word_ids())
    if sum(w is not None for w in wids) > max_pieces:
        # only one over-long word can be here (plan_windows): keep its first pieces and every special
        kept, pieces = [], 0
        for pos, w in enumerate(wids):
            if w is None or pieces < max_pieces:
                kept.append(pos)
                pieces += w is not None
        ids, wids = [ids[p] for p in kept], [wids[p] for p in kept]
    firsts = {w for w in wids if w is not None}
    if len(firsts) != len(words):
        raise ValueError(f"{len(words) - len(firsts)} word(s) got no sub-word piece: {words!r}")
    labels = align_labels(wids, word_labels) if word_labels is not None else None
    return Encoded(ids, wids, labels)


def first_pieces(word_ids: Sequence[int | None]) -> list[int]:
    """Positions of each word's first piece, in word order."""
    out = []
    prev = None
    for pos, w in enumerate(word_ids):
        if w is not None and w != prev:
            out.append(pos)
        prev = w
    return out
