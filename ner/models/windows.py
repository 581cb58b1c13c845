"""Windows over long inputs, the same in training, evaluation and prediction.

One sliding window serves training, evaluation and prediction alike, so a long
document is never truncated: ``plan_windows`` cuts a sequence of words into
ranges whose cost (sub-word pieces for a transformer, 1 per word for navec)
fits the model, overlapping by ``stride``; ``merge_windows`` gives each word the
output of the window in which it sits farthest from an edge (most context on
both sides).

Left out: sentence splitting (sentences come from the corpus reader or razdel); sub-word
encoding (``subwords.py``).
"""

from __future__ import annotations

from typing import Sequence


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
