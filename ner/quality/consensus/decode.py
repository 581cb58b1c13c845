"""From candidate posteriors to valid IOB2: the best non-overlapping spans, their scores, the sentence score.

Choosing candidate ``c`` with label ``l`` is right with probability ``p[c, l]``; leaving it
out is right with ``p[c, none]``. ``decode_text`` picks the non-overlapping set that
maximises the expected number of right decisions (weighted interval scheduling over the
gains ``p[c, l] - p[c, none]``, only positive ones), so overlapping candidates resolve to
one span and the tags are valid IOB2 by construction.

A span's ``score`` is ``p[c, l]``. A sentence's ``score`` is the probability that every
decision in it is right, missing entities included: the product of the chosen spans'
scores and of ``p[c, none]`` of each candidate left out that overlaps no chosen span (one
that does is wrong whenever the chosen span is right, so it is already counted).

"Missing entities included" means candidates someone marked and the merge left out. Left out:
entities no annotator marked (``em.py``'s silent rows count them for the whole corpus; per
sentence their estimate is only a length penalty, see ``merge.py``).
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np


def best_spans(options) -> list:
    """The non-overlapping subset of ``(i, j, weight, payload)`` with the largest total weight.

    >>> [o[3] for o in best_spans([(0, 2, 1.0, "a"), (1, 3, 1.5, "b"), (2, 4, 1.0, "c")])]
    ['a', 'c']
    """
    options = sorted((o for o in options if o[2] > 0), key=lambda o: (o[1], o[0]))
    ends = [o[1] for o in options]
    best = [0.0] * (len(options) + 1)
    take = [False] * len(options)
    for n, (i, _, w, _) in enumerate(options):
        before = bisect_right(ends, i, 0, n)
        with_it = best[before] + w
        take[n] = with_it > best[n]
        best[n + 1] = with_it if take[n] else best[n]
    chosen, n = [], len(options)
    while n > 0:
        if take[n - 1]:
            chosen.append(options[n - 1])
            n = bisect_right(ends, options[n - 1][0], 0, n - 1)
        else:
            n -= 1
    return chosen[::-1]


def decode_text(ranges, posterior: np.ndarray, labels, calibrate=None) -> tuple[list[tuple[int, int, str, float]], float]:
    """``([(i, j, label, score)], sentence score)`` for one text's candidate ``ranges`` and posteriors.

    ``calibrate`` (``calibrate.Calibration``) maps the probabilities the scores are made of (a span's
    label; for a candidate left out, ``1 -`` its best label's); the decision itself uses the posteriors.
    """
    none = len(labels)
    options = []
    for r, p in zip(ranges, posterior):
        best = int(np.argmax(p[:none])) if none else 0
        options.append((r[0], r[1], float(p[best] - p[none]), (r, best)))
    chosen = best_spans(options)
    sure = (lambda p: float(p)) if calibrate is None else (lambda p: float(calibrate(p)))
    spans = [(r[0], r[1], labels[k], sure(posterior[ranges.index(r)][k])) for *_, (r, k) in chosen]
    score = 1.0
    for _, _, _, s in spans:
        score *= s
    for r, p in zip(ranges, posterior):
        if not any(r[0] < j and i < r[1] for i, j, _, _ in spans):
            score *= float(p[none]) if calibrate is None else 1.0 - sure(p[:none].max() if none else 0.0)
    return spans, score
