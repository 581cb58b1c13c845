"""Synthetic annotation errors: what the critic learns "wrong" from.

``corrupt(words, tags, labels, rate, seed, probs)`` changes about ``rate`` of the
entities of a corpus (drop one, retype it, shift a boundary by a token or two,
merge it with its neighbour, split it; a retype twice as often as each of the
others: see ``WEIGHTS``) and adds about as many spurious spans
(runs of one or two unannotated tokens, capitalised ones preferred, starting on a word the
corpus uses more than once: people annotate common words that look like entities, and a
word seen once is most often a name the model does not know, so a synthetic error there
taught the critic that a rare name is suspect). Given the
out-of-fold marginals ``probs``, half the retypes go to a label the model finds
plausible there (people confuse close labels, not random ones), and about
``rate / 2`` of the sentences take a weak model's reading instead of their gold
(``model_made``: the marginals' tags under Gumbel noise, as an annotator who
accepts pre-annotations unchecked would leave them), so that the learned critic
does not key on one generator's traces.
``truth(candidates, original, corrupted)`` says which candidates of the
corrupted corpus point at a change: an annotated span that was not in the
original, or an unannotated place where an original entity was dropped.

Left out: errors of the tokenization itself (split or glued words).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Sequence

from ...bio import spans_tags, tags_spans, to_iob2

OPERATIONS = ("drop", "retype", "shift", "merge", "split")
# A retype is drawn twice as often as each other change. The corpus's own errors are untouched rows of every
# corrupted copy, with the same features each time; its retypes (close labels) crowd the rows where the model
# names the span with another label, and at one change in five the synthetic retypes were outnumbered there
# (figures in bench/NOTES.md).
WEIGHTS = (1, 2, 1, 1, 1)


def _shift(span, n: int, taken: set[int], rng: random.Random):
    i, j, label = span
    moves = []
    for step in (1, 2):
        if i - step >= 0 and all(t not in taken for t in range(i - step, i)):
            moves.append((i - step, j))
        if j + step <= n and all(t not in taken for t in range(j, j + step)):
            moves.append((i, j + step))
        if j - i > step:
            moves += [(i + step, j), (i, j - step)]
    if not moves:
        return None
    a, b = rng.choice(moves)
    return (a, b, label)


def _retyped(label: str, labels: Sequence[str], mass, rng: random.Random) -> str:
    """Another label: uniform, or (half the time, given the model's label mass over the span) a plausible one."""
    others = [x for x in labels if x != label]
    if mass is None or rng.random() < 0.5:
        return rng.choice(others)
    weights = [0.05 + float(mass[labels.index(x)]) for x in others]
    return rng.choices(others, weights)[0]


def model_made(p, names: Sequence[str], rng: random.Random, noise: float = 0.5) -> list:
    """Spans of a weak model's reading of one sentence: the most probable tags of ``p`` (T x K, columns
    ``names``) after Gumbel noise of scale ``noise`` on the log-probabilities."""
    tags = []
    for row in p:
        scores = [math.log(max(float(v), 1e-9)) - noise * math.log(-math.log(rng.random() or 1e-12)) for v in row]
        tags.append(names[max(range(len(row)), key=scores.__getitem__)])
    return tags_spans(to_iob2(tags))


def corrupt_sentence(words: Sequence[str], spans: list, labels: Sequence[str], rate: float, rng: random.Random,
                     mass=None, common=None):
    """New spans for one sentence: each entity changed with probability ``rate``, spurious ones added.
    ``mass``: the model's label mass per token (T x labels), for plausible retypes; ``common``: the
    lower-cased words the corpus uses more than once, where spurious spans start (None: any word)."""
    out = []
    k = 0
    while k < len(spans):
        span = spans[k]
        if rng.random() >= rate:
            out.append(span)
            k += 1
            continue
        op = rng.choices(OPERATIONS, WEIGHTS)[0]
        i, j, label = span
        # tokens already given out, and those of the entities still to come: a shift must not reach them
        taken = {t for s in (*out, *spans[k + 1:]) for t in range(s[0], s[1])}
        nxt = spans[k + 1] if k + 1 < len(spans) else None
        if op == "merge" and nxt and nxt[0] - j <= 1:
            out.append((i, nxt[1], label))
            k += 2
            continue
        if op == "split" and j - i >= 2:
            cut = rng.randrange(i + 1, j)
            out += [(i, cut, label), (cut, j, label)]
        elif op == "retype" and len(labels) > 1:
            out.append((i, j, _retyped(label, list(labels), None if mass is None else mass[i:j].mean(0), rng)))
        elif op == "shift" and (moved := _shift(span, len(words), taken, rng)):
            out.append(moved)
        elif op in ("drop", "merge", "split", "shift"):
            pass  # drop, and the operations that do not fit this entity drop it too
        else:
            out.append(span)
        k += 1
    taken = {t for s in out for t in range(s[0], s[1])}
    free = [t for t in range(len(words)) if t not in taken and any(c.isalnum() for c in words[t])
            and (common is None or words[t].lower() in common)]
    n_add = sum(rng.random() < rate for _ in range(max(1, len(spans))))
    for _ in range(n_add):
        if not free:
            break
        capital = [t for t in free if words[t][:1].isupper()]
        t = rng.choice(capital if capital and rng.random() < 0.7 else free)
        end = t + 2 if t + 1 in free and rng.random() < 0.3 else t + 1
        out.append((t, end, rng.choice(list(labels))))
        free = [u for u in free if not t - 1 <= u <= end]
    return sorted(out)


def corrupt(words, tags, labels: Sequence[str], rate: float, seed: int, probs=None) -> list[tuple[str, ...]]:
    """Corrupted tags for every sentence (seeded; ``rate`` of entities changed, as many spurious added;
    with ``probs``, plausible retypes and ``rate / 2`` of the sentences read by a weak model)."""
    from .folds import tag_names

    rng = random.Random(seed)
    names = tag_names(labels)
    seen = Counter(w.lower() for ws in words for w in ws)
    common = {w for w, n in seen.items() if n > 1}
    out = []
    for n, (ws, ts) in enumerate(zip(words, tags)):
        spans = [s for s in tags_spans(ts) if s[2] in labels]
        p = None if probs is None else probs[n]
        if p is not None and len(ws) and rng.random() < rate / 2:
            out.append(tuple(spans_tags(len(ws), [s for s in model_made(p, names, rng) if s[2] in labels])))
            continue
        mass = None if p is None else p[:, 1::2] + p[:, 2::2]
        out.append(tuple(spans_tags(len(ws), corrupt_sentence(ws, spans, labels, rate, rng, mass, common))))
    return out


def truth(candidates, original, corrupted) -> list[int]:
    """1 for each candidate that points at a change between ``original`` and ``corrupted`` tags."""
    before = [set(tags_spans(ts)) for ts in original]
    after = [set(tags_spans(ts)) for ts in corrupted]
    dropped = [[s for s in b if not any(x[0] < s[1] and s[0] < x[1] for x in a)] for b, a in zip(before, after)]
    y = []
    for c in candidates:
        if c.label:
            y.append(int((c.start, c.end, c.label) not in before[c.item]))
        else:
            y.append(int(any(i < c.end and c.start < j for i, j, _ in dropped[c.item])))
    return y
