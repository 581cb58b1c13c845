"""Annotation errors the critic was not built from, for ``bench_critic_unseen.py``.

Written from the description in issue 23, not from ``ner.quality.critic.corrupt``:

- ``independent(words, tags, labels, share, seed)``: ``share`` of the entities changed, a quarter
  each: dropped, retyped to another label, the end moved (its last token cut, or the next
  word added), and a capitalised unannotated word made an entity;
- ``model_made(tags, predicted, share, seed, exclude)``: ``share`` of the sentences take a weak
  model's prediction in place of the gold, as an annotator who accepts pre-annotations unchecked
  leaves them; the errors are the differences, each classified;
- ``close_labels(tags, share, seed, pairs)``: ``share`` of the entities whose label has a close
  neighbour (Organization and Application, Model and Method_ML, Dataset and Model) given that
  neighbour's label instead.

Each returns ``(corrupted tags, errors)``; an error is ``(sentence, first token, end token, kind)``
over the tokens it touches, kind one of ``dropped``, ``retyped``, ``boundary``, ``invented``.
"""

from __future__ import annotations

import random

from ner.bio import spans_tags, tags_spans

CLOSE = {"Organization": ("Application",), "Application": ("Organization",), "Model": ("Method_ML", "Dataset"),
         "Method_ML": ("Model",), "Dataset": ("Model",)}


def _tags(n_tokens, spans_by_sentence):
    return [tuple(spans_tags(n, sorted(spans))) for n, spans in zip(n_tokens, spans_by_sentence)]


def _moved(words, spans, k: int, rng: random.Random):
    """The span ``k`` with its last token cut or the next word added (at random where both fit), or None."""
    start, end, label = spans[k]
    nxt = spans[k + 1][0] if k + 1 < len(spans) else len(words)
    moves = [(start, end - 1, label)] if end - start > 1 else []
    if end < nxt and any(c.isalnum() for c in words[end]):
        moves.append((start, end + 1, label))
    return rng.choice(moves) if moves else None


def independent(words, tags, labels, share: float, seed: int):
    rng = random.Random(seed)
    spans = [list(tags_spans(ts)) for ts in tags]
    every = [(s, k) for s, sp in enumerate(spans) for k in range(len(sp))]
    n = round(share * len(every))
    quarter = [n // 4 + (k < n % 4) for k in range(4)]
    order = rng.sample(every, len(every))
    jobs = ["dropped"] * quarter[0] + ["retyped"] * quarter[1] + ["boundary"] * quarter[2]
    errors, gone, used = [], set(), set()
    for kind in jobs:
        for s, k in order:
            if (s, k) in used:
                continue
            start, end, label = spans[s][k]
            moved = _moved(words[s], spans[s], k, rng) if kind == "boundary" else None
            if kind == "boundary" and moved is None:
                continue
            used.add((s, k))
            break
        else:
            break
        if kind == "dropped":
            gone.add((s, k))
        elif kind == "retyped":
            spans[s][k] = (start, end, rng.choice([x for x in labels if x != label]))
        else:
            spans[s][k] = moved
            end = max(end, moved[1])
        errors.append((s, start, end, kind))
    kept = [[sp for k, sp in enumerate(row) if (s, k) not in gone] for s, row in enumerate(spans)]
    free = [(s, t) for s, ws in enumerate(words) for t, w in enumerate(ws)
            if w[:1].isupper() and w[:1].isalpha() and not any(a - 1 <= t <= b for a, b, _ in spans[s])]
    for s, t in rng.sample(free, min(len(free), quarter[3])):
        kept[s].append((t, t + 1, rng.choice(list(labels))))
        errors.append((s, t, t + 1, "invented"))
    return _tags([len(ws) for ws in words], kept), errors


def differences(gold, made, s: int):
    """The errors of one sentence whose gold spans ``gold`` were replaced by ``made``, each once: a gold
    entity the weak model broke into several pieces is one error, not one per piece."""
    out = []
    for a, b, label in made:
        if (a, b, label) in gold:
            continue
        over = [g for g in gold if g[0] < b and a < g[1]]
        if not over:
            out.append((s, a, b, "invented"))
        elif any(g[:2] == (a, b) for g in over):
            out.append((s, a, b, "retyped"))
        else:
            out.append((s, min(a, *(g[0] for g in over)), max(b, *(g[1] for g in over)), "boundary"))
    for a, b, label in gold:
        if not any(m[0] < b and a < m[1] for m in made):
            out.append((s, a, b, "dropped"))
    return list(dict.fromkeys(out))


def model_made(tags, predicted, share: float, seed: int, exclude=()):
    """``predicted``: a weak model's tags for every sentence; ``exclude``: sentences it was trained on."""
    rng = random.Random(seed)
    pool = [s for s in range(len(tags)) if s not in set(exclude)]
    chosen = set(rng.sample(pool, round(share * len(tags))))
    out, errors = [], []
    for s, ts in enumerate(tags):
        if s in chosen:
            errors += differences(tags_spans(ts), tags_spans(predicted[s]), s)
            out.append(tuple(predicted[s]))
        else:
            out.append(tuple(ts))
    return out, errors


def close_labels(tags, share: float, seed: int, pairs=None):
    pairs = CLOSE if pairs is None else pairs
    rng = random.Random(seed)
    spans = [list(tags_spans(ts)) for ts in tags]
    every = [(s, k) for s, sp in enumerate(spans) for k, (_, _, label) in enumerate(sp) if label in pairs]
    total = sum(len(sp) for sp in spans)
    errors = []
    for s, k in rng.sample(every, min(len(every), round(share * total))):
        a, b, label = spans[s][k]
        spans[s][k] = (a, b, rng.choice(pairs[label]))
        errors.append((s, a, b, "retyped"))
    return _tags([len(ts) for ts in tags], spans), errors
