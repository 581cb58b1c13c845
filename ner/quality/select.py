"""What to label next: the texts of a pool whose labels should help the model most.

``select(candidates, n, model=...)`` scores every candidate with the model's own
per-word tag distributions (``word_distributions``: T x K rows, merged across windows)
and picks ``n`` of them greedily:

- uncertainty, three ways: MNLP, the mean log-probability of each word's most likely tag
  (Shen et al. 2017's length-normalised sequence score, with per-word marginals standing in
  for the sequence); the least confident word (its top probability); and the expected number
  of wrong words, the sum over words of 1 - top probability (a total, so it grows with the
  words and entities a text holds, as Settles & Craven's total token entropy does). Each
  chosen measure (``measures``, default errors + least) becomes a percentile rank over the
  pool and the priority is their mean (in [0, 1], 1 = most uncertain). Per sentence labelled,
  errors + least beat MNLP + least in a factRuEval pilot, by picking longer sentences:
  ``bench/bench_select.py`` reports both sentences and tokens;
- cost: an annotator's time goes with what they read, so with ``cost="tokens"`` (the default)
  the measure is ``density``, the expected wrong words per word read (``errors / (words +
  OVERHEAD)``: the overhead stands for opening a task and reading its context, so one-word
  fragments do not win on a single unsure word); ``cost="sentences"`` keeps the measures above,
  a text counting as one. ``budget`` (in words, or sentences) fills the batch greedily: the best
  text that still fits, until nothing does;
- diversity: each pick multiplies every other candidate's priority by
  ``1 - diversity * similarity`` to its most similar pick so far (cosine of TF-IDF vectors of
  word 1-2-grams), so near-duplicates are not chosen together (pure uncertainty piles them up).

- exploration: with ``explore`` (a share, default 0) that share of the batch (of ``n``, or of the
  budget) is a seeded random draw from the rest of the pool, spread evenly through the ranking
  (``interleave``), so the batch also holds the plain texts uncertainty passes over (texts without
  entities, the commonest kind) and a batch cut short holds some of both. Off by default: a
  quarter drawn at random did not save tokens in ``bench/bench_select.py`` (bench/NOTES.md);
  it is there for a team that wants each batch to hold an unbiased sample of the pool.

``strategy="random"`` draws ``n`` with a seeded shuffle, the baseline. Candidates come from
``select_pool.py`` (text files, corpora, Label Studio tasks).

``measures=("bald",)``: what ``DRAWS`` dropout draws of the model disagree on (``mutual_information``,
BALD), per word read under either cost; ``DRAWS`` + 1 passes over the pool. Measured at full strength
and not the default (docs/annotating.md).

Left out: committee uncertainty; per-annotator reading speeds (the
minutes budget of ``ner select`` is words at one rate). Measured and dropped (bench/NOTES.md):
diversity by navec mean vectors, uncertainty over entity boundaries alone, information density.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .bald import DRAWS, check_draws, mutual_information, per_text, text_information  # noqa: F401  (re-exported)

STRATEGIES = ("uncertainty", "random")
MEASURES = ("mnlp", "least", "errors", "density", "bald")
COSTS = ("tokens", "sentences")
DEFAULT_MEASURES = {"tokens": ("density",), "sentences": ("errors", "least")}
OVERHEAD = 3  # words' worth of reading that every text costs on top of its own words


@dataclass(frozen=True, slots=True)
class Candidate:
    """One text of the pool: ``where`` names it (``path:line``, ``task 12``), ``sentences`` hold its words."""

    where: str
    text: str
    sentences: tuple[tuple[str, ...], ...]
    task: int | None = None   # Label Studio task id
    source: object = None     # the pool's own record (a Sentence of a corpus), written back by --out

    @property
    def tokens(self) -> int:
        return sum(len(words) for words in self.sentences)


def cost_of(candidate: Candidate, cost: str) -> int:
    """What labelling ``candidate`` costs: its words (``tokens``) or 1 (``sentences``)."""
    return candidate.tokens if cost == "tokens" else 1


@dataclass(frozen=True, slots=True)
class Choice:
    candidate: Candidate
    rank: int                 # 1 = label first
    priority: float | None    # after the diversity penalty (None for random)
    mnlp: float | None        # mean log-probability of each word's top tag (0 = certain)
    least: float | None       # top probability of the least confident word (1 = certain)
    errors: float | None      # expected wrong words: sum of (1 - top probability)
    similarity: float | None  # to the most similar earlier choice or labelled text
    tokens: int = 0           # words the annotator reads
    bald: float | None = None  # summed mutual information of the dropout draws (measure "bald" only)

    def as_dict(self) -> dict:
        def r(x):
            return None if x is None else round(x, 4)

        return {"rank": self.rank, "where": self.candidate.where, "task": self.candidate.task,
                "priority": r(self.priority), "mnlp": r(self.mnlp), "least": r(self.least), "errors": r(self.errors),
                "similarity": r(self.similarity), "tokens": self.tokens, "bald": r(self.bald),
                "text": self.candidate.text}


def word_distributions(model, batch) -> list:
    """Per-word tag distributions ``[words, tags]`` for each list of words: the models package's
    ``probabilities`` (CRF marginals for navec, softmax for transformers, merged across windows)."""
    import numpy as np

    return [np.asarray(p, dtype=float) for p in model.probabilities(batch)]


def uncertainty(distributions) -> tuple[float, float, float]:
    """(MNLP, least confident word, expected wrong words) of one text from its sentences'
    ``[words, tags]`` arrays.

    >>> import numpy as np
    >>> uncertainty([np.array([[0.9, 0.1], [0.5, 0.5]])])
    (-0.399..., 0.5, 0.6)
    """
    import numpy as np

    tops = [d.max(axis=1) for d in distributions if len(d)]
    if not tops:
        return 0.0, 1.0, 0.0
    top = np.concatenate(tops)
    return float(np.log(np.clip(top, 1e-12, 1.0)).mean()), float(top.min()), float(np.round((1 - top).sum(), 12))


def _percentiles(values) -> list[float]:
    """Each value's rank in [0, 1] (ties share their mean rank); 1 = the largest."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = ((i + j) / 2) / max(1, len(values) - 1)
        i = j + 1
    return ranks


def density(errors: float, tokens: int, overhead: float = OVERHEAD) -> float:
    """Expected wrong words per word read, the text's overhead included (see ``OVERHEAD``)."""
    return errors / (tokens + overhead)


def priorities(scores, measures=DEFAULT_MEASURES["sentences"], tokens=None, overhead: float = OVERHEAD,
               bald=None) -> list[float]:
    """Mean of the percentile ranks of the chosen uncertainty measures over ``(mnlp, least, errors)``
    triples: low MNLP, low top probability, many expected errors and many per word read
    (``density``, which needs each text's ``tokens``) rank high; ``bald`` ranks each text's
    ``bald`` value (``mutual_information``) per word read, as ``density`` does its errors."""
    unknown = set(measures) - set(MEASURES)
    if unknown or not measures:
        raise ValueError(f"measures {sorted(unknown) or '(none)'}: choose from {', '.join(MEASURES)}")
    if "density" in measures and tokens is None:
        raise ValueError("the density measure needs each text's tokens")
    if "bald" in measures and (bald is None or tokens is None):
        raise ValueError("the bald measure needs each text's mutual information and tokens")
    keys = {"mnlp": lambda i, s: -s[0], "least": lambda i, s: -s[1], "errors": lambda i, s: s[2],
            "density": lambda i, s: density(s[2], tokens[i], overhead),
            "bald": lambda i, s: density(bald[i], tokens[i], overhead)}
    ranks = [_percentiles([keys[m](i, s) for i, s in enumerate(scores)]) for m in measures]
    return [sum(r[i] for r in ranks) / len(ranks) for i in range(len(scores))]


def ngram_vectors(candidates):
    """L2-normalised TF-IDF rows of each candidate's lowercased word 1- and 2-grams (sparse)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    def grams(c: Candidate) -> list[str]:
        out = []
        for words in c.sentences:
            low = [w.lower() for w in words]
            out += low + [f"{a} {b}" for a, b in zip(low, low[1:])]
        return out

    return TfidfVectorizer(analyzer=grams).fit_transform(candidates)


def greedy(priority, vectors, n: int | None, diversity: float = 1.0, costs=None,
           budget: float | None = None, start=None) -> list[tuple[int, float, float]]:
    """``(index, penalised priority, similarity)`` of at most ``n`` picks whose ``costs`` add up to
    at most ``budget`` (either may be None: no limit); see the module docstring. ``start``: each
    candidate's similarity to texts chosen before (the labelled ones), penalised as an earlier pick is.

    With ``diversity=0`` and no budget it is the ``n`` highest priorities in order (ties: the
    earlier index). A text that no longer fits the budget is passed over for the next best.
    """
    import numpy as np

    base = np.asarray(priority, dtype=float)
    most_similar = np.zeros(len(base)) if start is None else np.clip(np.asarray(start, dtype=float), 0.0, 1.0)
    free = np.ones(len(base), dtype=bool)
    cost = np.zeros(len(base)) if costs is None else np.asarray(costs, dtype=float)
    left = np.inf if budget is None else float(budget)
    picks = []
    for _ in range(len(base) if n is None else min(n, len(base))):
        free &= cost <= left
        if not free.any():
            break
        score = np.where(free, base * (1.0 - diversity * most_similar), -np.inf)
        i = int(np.argmax(score))
        picks.append((i, float(score[i]), float(most_similar[i])))
        free[i] = False
        left -= cost[i]
        if diversity and vectors is not None:
            sims = np.asarray((vectors @ vectors[i].T).todense()).ravel()
            most_similar = np.maximum(most_similar, np.clip(sims, 0.0, 1.0))
    return picks


def select(candidates, n: int | None = None, *, model=None, strategy: str = "uncertainty", diversity: float = 1.0,
           seed: int = 0, batch_size: int = 64, measures=None, cost: str = "tokens",
           budget: float | None = None, overhead: float = OVERHEAD, explore: float = 0.0,
           labelled=None) -> list[Choice]:
    """The candidates to label first, in order: at most ``n`` of them, costing at most ``budget``
    (words for ``cost="tokens"``, texts for ``"sentences"``); see the module docstring.
    ``measures`` default to ``DEFAULT_MEASURES[cost]``. ``labelled``: Candidates already labelled; with
    diversity on, a text like one of them is penalised as if it had been picked in this batch (the
    TF-IDF then fits on both)."""
    candidates = list(candidates)
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    if cost not in COSTS:
        raise ValueError(f"cost {cost!r}: use one of {', '.join(COSTS)}")
    if n is None and budget is None:
        raise ValueError("give n, a budget, or both")
    if not 0 <= explore <= 1:
        raise ValueError(f"explore {explore}: a share of the batch, between 0 and 1")
    if (n is not None and n < 1) or not candidates:
        return []
    costs = [cost_of(c, cost) for c in candidates]
    if strategy == "random":
        return [Choice(candidates[i], r, None, None, None, None, None, candidates[i].tokens)
                for r, i in enumerate(_draw(range(len(candidates)), costs, budget, n, seed), 1)]
    if model is None:
        raise ValueError("the uncertainty strategy needs a model")
    if measures and "bald" in measures:
        check_draws(model)  # before the plain pass over the pool
    flat = [words for c in candidates for words in c.sentences if words]
    dists = []
    for i in range(0, len(flat), batch_size * 16):
        dists += word_distributions(model, flat[i:i + batch_size * 16])
    scores = [uncertainty(rows) for rows in per_text(candidates, dists)]
    measures = measures or DEFAULT_MEASURES[cost]
    bald = text_information(model, candidates, seed, batch_size * 16) if "bald" in measures else None
    prio = priorities(scores, measures, [c.tokens for c in candidates], overhead, bald)
    mi = bald or [None] * len(candidates)
    vectors, start = None, None
    if diversity:  # one TF-IDF over the pool and the labelled texts
        both = ngram_vectors(candidates + list(labelled or []))
        vectors, known = both[:len(candidates)], both[len(candidates):]
        if known.shape[0]:
            start = (vectors @ known.T).max(axis=1).toarray().ravel()
    if not explore:
        picks = greedy(prio, vectors, n, diversity, costs, budget, start)
        return [Choice(candidates[i], r, p, *scores[i], sim, candidates[i].tokens, mi[i])
                for r, (i, p, sim) in enumerate(picks, 1)]
    share = 1.0 - explore
    picks = greedy(prio, vectors, None if n is None else round(n * share), diversity, costs,
                   None if budget is None else budget * share, start)
    taken = {i for i, _, _ in picks}
    left = None if budget is None else budget - sum(costs[i] for i in taken)
    drawn = _draw([i for i in range(len(candidates)) if i not in taken], costs, left,
                  None if n is None else n - len(picks), seed)
    order = interleave([(i, p, sim) for i, p, sim in picks], [(i, None, None) for i in drawn])
    return [Choice(candidates[i], r, p, *scores[i], sim, candidates[i].tokens, mi[i])
            for r, (i, p, sim) in enumerate(order, 1)]


def _draw(indices, costs, budget, n, seed: int) -> list[int]:
    """A seeded random draw of ``indices`` (at most ``n``, costing at most ``budget``: None, no limit),
    filled as ``greedy`` fills: the next text of the shuffled order that still fits."""
    order = list(indices)
    random.Random(seed).shuffle(order)
    if budget is None:
        return order[:n]
    picks = greedy([-r for r in range(len(order))], None, n, 0.0, [costs[i] for i in order], budget)
    return [order[k] for k, _, _ in picks]


def interleave(first: list, second: list) -> list:
    """Both lists in one, each keeping its order and spread evenly over the whole (the k-th of m items sits
    at fraction (k + 1/2) / m; ties go to ``first``), so a batch cut short still holds some of each.

    >>> interleave(["a", "b", "c", "d"], ["x"])
    ['a', 'b', 'x', 'c', 'd']
    """
    keyed = [((k + 0.5) / len(first), 0, k, x) for k, x in enumerate(first)]
    keyed += [((k + 0.5) / len(second), 1, k, x) for k, x in enumerate(second)]
    return [x for *_, x in sorted(keyed, key=lambda t: t[:3])]

