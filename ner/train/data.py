"""Encoding for training and prediction: windows over long inputs, sub-word label alignment.

One sliding window serves training, evaluation and prediction alike, so a long
document is never truncated: ``plan_windows`` cuts a sequence of words into
ranges whose cost (sub-word pieces for a transformer, 1 per word for navec)
fits the model, overlapping by ``stride``; ``merge_windows`` gives each word the
output of the window in which it sits farthest from an edge (most context on
both sides).

Sub-word alignment uses the fast tokenizer's ``word_ids`` (ruBERT folds ё and й,
so pieces are never re-joined into text): the label goes on the first piece of
each word and -100 on the rest. A word the tokenizer turns into no piece at all
(a lone control or zero-width character) is fed as the unknown token, so every
word keeps exactly one labelled piece.

Left out: sentence splitting (sentences come from the corpus reader or razdel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

IGNORE = -100


def plan_windows(costs: Sequence[int], size: int, stride: int) -> list[tuple[int, int]]:
    """Word ranges ``(start, end)`` covering every word, each costing at most ``size``.

    Consecutive windows share about ``stride`` cost units of words. A single word
    costing more than ``size`` gets a window of its own (its pieces are cut in
    ``encode_words``; its first piece, which carries the label, is always kept).

    >>> plan_windows([1] * 10, 4, 2)
    [(0, 4), (2, 6), (4, 8), (6, 10)]
    >>> plan_windows([1, 1, 1], 4, 2)
    [(0, 3)]
    """
    if size < 1 or not 0 <= stride < size:
        raise ValueError(f"window size {size} and stride {stride}: need 0 <= stride < size")
    n = len(costs)
    if n == 0:
        return []
    windows = []
    start = 0
    while True:
        end, total = start, 0
        while end < n and (end == start or total + costs[end] <= size):
            total += costs[end]
            end += 1
        windows.append((start, end))
        if end >= n:
            return windows
        # step back from the end while the overlap stays within `stride`, but always move forward
        nxt, overlap = end, 0
        while nxt - 1 > start and overlap + costs[nxt - 1] <= stride:
            nxt -= 1
            overlap += costs[nxt]
        start = nxt


def merge_windows(n: int, windows: Sequence[tuple[int, int]], outputs: Sequence[Sequence]) -> list:
    """One output per word from overlapping windows' outputs (``outputs[k][i - start_k]``).

    Each word takes the window where it is farthest from either edge; a window
    edge at the start or end of the whole input does not count as an edge.

    >>> merge_windows(5, [(0, 3), (2, 5)], [["a0", "a1", "a2"], ["b2", "b3", "b4"]])
    ['a0', 'a1', 'a2', 'b3', 'b4']
    """
    best: list = [None] * n
    margin = [-1] * n
    for (start, end), out in zip(windows, outputs):
        if len(out) != end - start:
            raise ValueError(f"window {start}:{end} has {len(out)} outputs")
        for i in range(start, end):
            left = i - start if start > 0 else n
            right = end - 1 - i if end < n else n
            m = min(left, right)
            if m > margin[i]:
                margin[i], best[i] = m, out[i - start]
    missing = [i for i in range(n) if margin[i] < 0]
    if missing:
        raise ValueError(f"words {missing[:5]} are in no window")
    return best


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
    if len(ids) > max_pieces + 2:
        # only one over-long word can be here (plan_windows): keep its first pieces and the specials
        ids = ids[: max_pieces + 1] + ids[-1:]
        wids = wids[: max_pieces + 1] + wids[-1:]
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
