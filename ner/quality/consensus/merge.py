"""The merge: aligned texts -> candidates -> EM -> one scored version per text, and majority vote beside it.

``merge(texts, annotators, anchors=...)`` fits the model of ``em.py`` over every
candidate span, decodes each text (``decode.py``) and returns a ``Merge``: the merged
spans with scores per text, the sentence scores, majority vote's spans, the fit, and the
``Estimate`` of each annotator's precision, recall and F1 (micro and per label):

- estimated true positives of ``a`` for label ``l``: the sum of ``p[c, l]`` over the candidates
  ``a`` labelled ``l``; its predictions: how many it labelled ``l``; the expected number of true
  ``l`` spans: the sum of ``p[c, l]`` over all candidates of the texts ``a`` has.

``truth(texts, gold)`` counts the same against gold spans (strict: same words, same
label), for the annotators, the merge and majority vote alike.

The expected number of true spans includes the silent rows' (entities everyone missed).

Left out: the place of entities everyone missed (they are counted, not found).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...bio import tags_spans
from .decode import best_spans, decode_text
from .em import Candidates, build_candidates, fit


@dataclass(frozen=True, slots=True)
class Counts:
    """Strict counts: true positives, predicted spans, true spans."""

    tp: float = 0.0
    pred: float = 0.0
    gold: float = 0.0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.tp + other.tp, self.pred + other.pred, self.gold + other.gold)

    @property
    def precision(self) -> float:
        return self.tp / self.pred if self.pred else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (self.pred + self.gold) if self.pred + self.gold else 0.0

    def as_dict(self) -> dict:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass(frozen=True)
class Estimate:
    """One annotator's figures: ``labels[l]`` and their micro sum."""

    who: str
    labels: dict

    @property
    def micro(self) -> Counts:
        return sum(self.labels.values(), Counts())


@dataclass(frozen=True)
class Merge:
    labels: tuple
    annotators: tuple
    spans: list                      # per text: [(i, j, label, score)]
    scores: list                     # per text: the sentence score
    vote: list                       # per text: majority vote's [(i, j, label, share)]
    anchored: frozenset              # indices of the texts whose spans were given (gold, reviewed)
    estimates: list                  # Estimate per annotator, in ``annotators`` order
    candidates: Candidates = field(repr=False)
    iterations: int = 0
    weights: tuple = ()              # each annotator's weight in the posteriors (redundancy), or ()
    calibration: object = None       # calibrate.Calibration learned from the anchored texts, or None


def span_sets(texts, annotators):
    """``(spans[t][a], present[t][a])`` of the aligned texts."""
    sets, present = [], []
    for text in texts:
        sets.append([frozenset(tags_spans(text.tags[a])) if a in text.tags else frozenset() for a in annotators])
        present.append([a in text.tags for a in annotators])
    return sets, present


def estimates(cands: Candidates, posterior: np.ndarray, present) -> list[Estimate]:
    out = []
    text_of = np.array([t for t, _, _ in cands.spans], dtype=np.int64)
    for a, who in enumerate(cands.annotators):
        has = np.array([present[t][a] for t in text_of], dtype=bool) if len(text_of) else np.zeros(0, bool)
        labels = {}
        for l, label in enumerate(cands.labels):
            said = cands.responses[:, a] == l
            expected = float((posterior[has, l] * cands.weights[has]).sum())
            labels[label] = Counts(float(posterior[said, l].sum()), float(said.sum()), expected)
        out.append(Estimate(who, labels))
    return out


def majority(ranges, responses, labels) -> list[tuple[int, int, str, float]]:
    """Majority vote of one text: a range and label more than half the present annotators gave."""
    options = []
    for r, row in zip(ranges, responses):
        present = row[row >= 0]
        for l, label in enumerate(labels):
            votes = int((present == l).sum())
            if present.size and votes * 2 > present.size:
                options.append((r[0], r[1], votes / present.size, (label, votes / present.size)))
    return [(i, j, label, share) for i, j, _, (label, share) in best_spans(options)]


def redundancy_weights(sets, present) -> np.ndarray:
    """One weight per annotator: 1 over its summed redundancy with all (itself 1), where the redundancy
    of a pair is how far its strict agreement F1 exceeds the least agreeing pair's, scaled to 0..1."""
    n = len(present[0]) if present else 0
    agree = np.eye(n)
    for a in range(n):
        for b in range(a + 1, n):
            both = [t for t in range(len(sets)) if present[t][a] and present[t][b]]
            shared = sum(len(sets[t][a] & sets[t][b]) for t in both)
            total = sum(len(sets[t][a]) + len(sets[t][b]) for t in both)
            agree[a, b] = agree[b, a] = 2 * shared / total if total else 1.0
    if n < 3:
        return np.ones(n)
    floor = agree[~np.eye(n, dtype=bool)].min()
    similar = np.clip((agree - floor) / (1 - floor), 0, 1) if floor < 1 else np.ones((n, n))
    np.fill_diagonal(similar, 1.0)
    return 1.0 / similar.sum(1)


def anchored_calibration(cands: Candidates, smoothing: float, weights=None):
    """``calibrate.fit_calibration`` from the anchored texts, cross-fitted: EM is fitted with one half of the
    anchored texts known and the other half's candidates (those some annotator marked) are the cases, then the
    other way round, so the calibration is never learned on texts the model was taught with."""
    from dataclasses import replace

    from .calibrate import fit_calibration

    text_of = np.array([t for t, _, _ in cands.spans], dtype=np.int64)
    anchored = sorted({int(t) for t in text_of[cands.known >= 0]})
    marked = (cands.responses >= 0).any(1) & np.array([i >= 0 for _, i, _ in cands.spans]) & (
        (cands.responses < len(cands.labels)).any(1) | (cands.responses == len(cands.labels) + 1).any(1))
    p, y = [], []
    for half in (set(anchored[0::2]), set(anchored[1::2])):
        held = np.isin(text_of, list(half))
        model = fit(replace(cands, known=np.where(held, -1, cands.known)), smoothing=smoothing,
                    annotator_weights=weights)
        rows = np.nonzero(held & marked & (cands.known >= 0))[0]
        if not len(rows) or not cands.labels:
            continue
        best = model.posterior[rows, : len(cands.labels)].argmax(1)
        p += list(model.posterior[rows, best])
        y += list(cands.known[rows] == best)
    return fit_calibration(p, y) if p else None


def merge(texts, annotators, *, labels=None, anchors=None, smoothing: float = 1.0, redundancy: bool = False) -> Merge:
    """Merge the aligned ``texts`` (see the module docstring); ``anchors[t]`` fixes text ``t``'s spans;
    ``redundancy``: annotators that agree more than the rest count less (``redundancy_weights``)."""
    anchors = anchors or {}
    sets, present = span_sets(texts, annotators)
    if labels is None:
        labels = sorted({s[2] for per in sets for spans in per for s in spans}
                        | {s[2] for spans in anchors.values() for s in spans})
    cands = build_candidates(sets, present, labels, annotators, anchors, [len(t.sentence) for t in texts])
    weights = redundancy_weights(sets, present) if redundancy else None
    model = fit(cands, smoothing=smoothing, annotator_weights=weights)
    calibration = anchored_calibration(cands, smoothing, weights) if anchors else None
    by_text: dict[int, list[int]] = {}
    for c, (t, i, _) in enumerate(cands.spans):
        if i >= 0:  # a text's silent row (its unmarked words) teaches the model, it is not decoded
            by_text.setdefault(t, []).append(c)
    merged, scores, vote = [], [], []
    for t in range(len(texts)):
        rows = by_text.get(t, [])
        ranges = [cands.spans[c][1:] for c in rows]
        if t in anchors:
            merged.append([(i, j, label, 1.0) for i, j, label in sorted(anchors[t])])
            scores.append(1.0)
        else:
            # the silent row's chance that everyone missed something is left out of the sentence score: under
            # the independence EM assumes it is a length penalty, and it put long unanimous sentences before
            # real disagreements (factRuEval, 5 annotators: F1 0.95 after reviewing 51% of sentences with it,
            # 38% without; random order 80%)
            spans, score = decode_text(ranges, model.posterior[rows], labels, calibration)
            merged.append(spans)
            scores.append(score)
        vote.append(majority(ranges, cands.responses[rows], labels))
    return Merge(tuple(labels), tuple(annotators), merged, scores, vote, frozenset(anchors),
                 estimates(cands, model.posterior, present), cands, model.iterations,
                 tuple(float(w) for w in weights) if weights is not None else (), calibration)


def truth_counts(predicted, gold, labels) -> dict:
    """Per-label strict counts of ``predicted`` against ``gold`` (sets of ``(i, j, label)``)."""
    out = {}
    for label in labels:
        p = {s[:3] for s in predicted if s[2] == label}
        g = {s for s in gold if s[2] == label}
        out[label] = Counts(len(p & g), len(p), len(g))
    return out


def add_counts(total: dict, more: dict) -> dict:
    return {k: total.get(k, Counts()) + more.get(k, Counts()) for k in set(total) | set(more)}


def truth(texts, result: Merge, gold: dict) -> dict:
    """True strict counts per label on the texts with gold (``gold[t]``: a set of spans): each annotator
    on the texts it has, and the merge and majority vote (keys ``merge``, ``vote``)."""
    out: dict = {who: {} for who in (*result.annotators, "merge", "vote")}
    for t, g in gold.items():
        text = texts[t]
        for who in result.annotators:
            if who in text.tags:
                out[who] = add_counts(out[who], truth_counts(tags_spans(text.tags[who]), g, result.labels))
        out["merge"] = add_counts(out["merge"], truth_counts(result.spans[t], g, result.labels))
        out["vote"] = add_counts(out["vote"], truth_counts(result.vote[t], g, result.labels))
    return out
