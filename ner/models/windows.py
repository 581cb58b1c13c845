"""Windows over long inputs, the same in training, evaluation and prediction.

One sliding window serves training, evaluation and prediction alike, so a long
document is never truncated: ``plan_windows`` cuts a sequence of words into
ranges whose cost (sub-word pieces for a transformer, 1 per word for navec)
fits the model, overlapping by at most ``stride``; each window starts and ends
after the one before it, so none holds another.

``merge_scores`` (per item: ``join_windows``) joins the windows' per-word score rows (CRF emissions for navec,
softmax probabilities for the transformer) into one row per word: a mean weighted
by ``1 + d``, where ``d`` is the word's distance from the nearest edge of that window
that cuts the sentence (the sentence's own start and end are not cuts). A word
deep inside one window and near the edge of another takes mostly the first
window's view, which saw context on both sides; in the middle of an overlap both
count alike. Tags are then decoded once over the whole sentence (Viterbi over
merged emissions for the CRF), never picked per window: picking tags per window
joined ``O`` from one window to ``I-X`` from the next.

Left out: sentence splitting (sentences come from the corpus reader or razdel); sub-word
encoding (``subwords.py``).
"""

from __future__ import annotations

from typing import Sequence


def plan_windows(costs: Sequence[int], size: int, stride: int) -> list[tuple[int, int]]:
    """Word ranges ``(start, end)`` covering every word, each costing at most ``size``.

    Consecutive windows share at most ``stride`` cost units of words, and fewer when
    the next word would not fit beside them: each window starts and ends strictly
    after the one before it. A single word costing more than ``size`` gets a window
    of its own (its pieces are cut in ``encode_words``; its first piece, which
    carries the label, is always kept).

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
        # step back from the end while the overlap stays within `stride` and leaves room for the
        # word at `end` (else the next window would stop at `end` too, inside this one); always move forward
        nxt, overlap = end, 0
        while (nxt - 1 > start and overlap + costs[nxt - 1] <= stride
               and overlap + costs[nxt - 1] + costs[end] <= size):
            nxt -= 1
            overlap += costs[nxt]
        start = nxt


def merge_scores(n: int, windows: Sequence[tuple[int, int]], scores: Sequence):
    """One score row per word, ``[n, K]``, from overlapping windows' rows (``scores[k]``: ``[end_k - start_k, K]``).

    Each row is the mean of the word's rows in every window holding it, weighted by
    ``1 + d`` (``d``: the distance to that window's nearest edge inside the sentence).

    >>> merge_scores(4, [(0, 3), (1, 4)], [[[1.0], [1.0], [1.0]], [[4.0], [4.0], [4.0]]]).ravel().tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    import numpy as np

    total = weight = None
    for (start, end), rows in zip(windows, scores, strict=True):
        rows = np.asarray(rows, dtype=np.float64)
        if rows.shape[0] != end - start:
            raise ValueError(f"window {start}:{end} has {rows.shape[0]} score rows")
        if total is None:
            total, weight = np.zeros((n, rows.shape[1])), np.zeros(n)
        i = np.arange(start, end)
        left = i - start if start > 0 else np.full(len(i), n)
        right = end - 1 - i if end < n else np.full(len(i), n)
        w = 1.0 + np.minimum(left, right)
        total[start:end] += w[:, None] * rows
        weight[start:end] += w
    if total is None:
        raise ValueError("no windows to merge")
    missing = np.flatnonzero(weight == 0)
    if len(missing):
        raise ValueError(f"words {missing[:5].tolist()} are in no window")
    return total / weight[:, None]


def join_windows(lengths: Sequence[int], plans: Sequence, rows: Sequence, n_tags: int, dtype="float64") -> list:
    """Each item's ``[words, n_tags]`` rows from its windows' rows (``rows``: every item's windows, in order):
    one window as it is, several merged (``merge_scores``), none (an empty item) an empty array."""
    import numpy as np

    out, pos = [], 0
    for n, plan in zip(lengths, plans, strict=True):
        mine = rows[pos : pos + len(plan)]
        pos += len(plan)
        if len(plan) == 1:
            out.append(mine[0])
        elif plan:
            out.append(merge_scores(n, plan, mine).astype(dtype))
        else:
            out.append(np.zeros((0, n_tags), dtype=dtype))
    return out


def open_window(tags: Sequence[str]) -> list[str]:
    """A window's gold tags with a first ``I-X`` (the window cut an entity) read as ``B-X``.

    The CRF forbids ``I-X`` at the start, so such a window's loss would be ~10,000, not ~3;
    the entity's visible part is an entity of its own.

    >>> open_window(["I-Model", "I-Model", "O"])
    ['B-Model', 'I-Model', 'O']
    """
    tags = list(tags)
    if tags and tags[0].startswith("I-"):
        tags[0] = "B-" + tags[0][2:]
    return tags
