"""Who is right, learned without gold: Dawid-Skene EM over candidate spans, and majority vote.

A *candidate* is a word range ``(i, j)`` some annotator (or the anchor) marked in a text.
Its true class ``z`` is one of the labels or ``none`` (no entity at exactly these words).
Annotator ``a``'s *response* on it is the label it gave those exact words, ``none`` when it
marked nothing overlapping them, or ``other`` when it marked an overlapping range (a
boundary disagreement); an annotator that lacks the text gives no response.

Candidates exist because someone marked them, so on its own a "none" candidate always has a
dissenter, which the independence below cannot explain (fitted that way, EM takes one
annotator's false positives for entities the others missed). Each text therefore also gets
one *silent* row standing for its words no one marked (``weights``: how many), on which every
present annotator answered none; it teaches how rarely each one marks nothing where nothing
is, and its label posterior is the expected number of entities everyone missed.

The model (Dawid & Skene 1979, per candidate): ``P(z) = prior[z]`` and, independently
given ``z``, ``P(response of a = r | z) = confusion[a, z, r]``. EM alternates the posterior
of every candidate (E) with the prior and confusions re-estimated from the posteriors plus
pseudo-counts (M: ``smoothing`` per cell, more on the right answers, so that a handful of
candidates does not make every annotator look random), starting from majority vote, until the log-likelihood
moves less than ``tol``. Anchored candidates (gold or reviewed sentences) keep their known
class: they teach the confusions and are not re-estimated.

Left out: a model of the dependence between annotators (models trained on the same data
share errors, which the model reads as agreement; ``annotator_weights`` only discounts
redundant annotators); features beyond the responses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Candidates:
    """All candidates of a corpus: ``spans[c] = (text index, i, j)``, ``responses[c, a]`` in
    0..K-1 (a label), K (none), K + 1 (other) or -1 (absent); ``known[c]`` the anchored class or -1;
    ``weights[c]`` 1, or for a text's silent row (``i = j = -1``) the number of its unmarked words."""

    spans: tuple
    responses: np.ndarray
    known: np.ndarray
    labels: tuple
    annotators: tuple
    weights: np.ndarray = None

    def __post_init__(self):
        if self.weights is None:
            object.__setattr__(self, "weights", np.ones(len(self.spans)))

    @property
    def none(self) -> int:
        return len(self.labels)


def _overlaps(x, y) -> bool:
    return x[0] < y[1] and y[0] < x[1]


def build_candidates(span_sets, present, labels, annotators, anchors=None, lengths=None) -> Candidates:
    """Candidates from ``span_sets[t][a]`` (a set of ``(i, j, label)``) and ``present[t][a]`` (bool).

    ``anchors[t]`` (a set of ``(i, j, label)``) fixes the true spans of text ``t``: its ranges join
    the candidates and every candidate of ``t`` gets its known class. ``lengths[t]`` (words) adds
    text ``t``'s silent row (see the module docstring).
    """
    anchors = anchors or {}
    index = {label: k for k, label in enumerate(labels)}
    none, other = len(labels), len(labels) + 1
    spans, rows, known, weights = [], [], [], []
    for t, per_annotator in enumerate(span_sets):
        ranges = sorted({(i, j) for spans_a in per_annotator for i, j, _ in spans_a}
                        | {(i, j) for i, j, _ in anchors.get(t, ())})
        anchor = {(i, j): index[label] for i, j, label in anchors.get(t, ())}
        for r in ranges:
            row = []
            for a, spans_a in enumerate(per_annotator):
                if not present[t][a]:
                    row.append(-1)
                    continue
                exact = [label for i, j, label in spans_a if (i, j) == r]
                if exact:
                    row.append(index[exact[0]])
                elif any(_overlaps(r, s) for s in spans_a):
                    row.append(other)
                else:
                    row.append(none)
            spans.append((t, *r))
            rows.append(row)
            known.append(anchor.get(r, none) if t in anchors else -1)
            weights.append(1.0)
        if lengths is not None:
            marked = {k for i, j in ranges for k in range(i, j)}
            silent = lengths[t] - len(marked)
            if silent > 0 and any(present[t]):
                spans.append((t, -1, -1))
                rows.append([none if present[t][a] else -1 for a in range(len(annotators))])
                known.append(none if t in anchors else -1)
                weights.append(float(silent))
    responses = np.array(rows, dtype=np.int64).reshape(len(rows), len(annotators))
    return Candidates(tuple(spans), responses, np.array(known, dtype=np.int64), tuple(labels), tuple(annotators),
                      np.array(weights))


@dataclass(frozen=True)
class Fit:
    """The fitted model: ``posterior[c, z]`` (z: labels, then none), ``prior[z]``, ``confusion[a, z, r]``."""

    posterior: np.ndarray
    prior: np.ndarray
    confusion: np.ndarray
    log_likelihood: float
    iterations: int


def _one_hot(responses: np.ndarray, n_responses: int) -> np.ndarray:
    out = np.zeros((*responses.shape, n_responses))
    c, a = np.nonzero(responses >= 0)
    out[c, a, responses[c, a]] = 1.0
    return out


def e_step(onehot, prior, confusion, known, weights=None) -> tuple[np.ndarray, float]:
    """Posteriors ``[C, K+1]`` and the (weighted) log-likelihood of the unanchored candidates' responses."""
    log_joint = np.log(prior)[None, :] + np.einsum("car,azr->cz", onehot, np.log(confusion))
    top = log_joint.max(1, keepdims=True)
    log_evidence = top[:, 0] + np.log(np.exp(log_joint - top).sum(1))
    posterior = np.exp(log_joint - log_evidence[:, None])
    fixed = known >= 0
    posterior[fixed] = 0.0
    posterior[fixed, known[fixed]] = 1.0
    weights = np.ones(len(known)) if weights is None else weights
    return posterior, float((weights * log_evidence)[~fixed].sum())


def pseudo_counts(n_classes: int, smoothing: float) -> np.ndarray:
    """The confusions' prior ``[K+1, K+2]``: ``smoothing`` everywhere, plus ``smoothing * (K + 2)`` on the right
    answer (class z answered z), so that before any data an annotator is right half the time, not by chance."""
    alpha = np.full((n_classes, n_classes + 1), smoothing)
    alpha[np.arange(n_classes), np.arange(n_classes)] += smoothing * (n_classes + 1)
    return alpha


def m_step(onehot, posterior, smoothing: float, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Prior ``[K+1]`` and confusions ``[A, K+1, K+2]`` from the (weighted) posteriors plus ``pseudo_counts``."""
    if weights is not None:
        posterior = posterior * weights[:, None]
    counts = np.einsum("cz,car->azr", posterior, onehot) + pseudo_counts(posterior.shape[1], smoothing)[None]
    confusion = counts / counts.sum(2, keepdims=True)
    prior = posterior.sum(0) + smoothing
    return prior / prior.sum(), confusion


def vote_posterior(cands: Candidates) -> np.ndarray:
    """Majority vote as a distribution: each present annotator's response counts one (``other`` as none)."""
    k = len(cands.labels)
    onehot = _one_hot(cands.responses, k + 2)
    votes = onehot.sum(1)
    votes[:, k] += votes[:, k + 1]
    votes = votes[:, : k + 1] + 1e-3
    posterior = votes / votes.sum(1, keepdims=True)
    fixed = cands.known >= 0
    posterior[fixed] = 0.0
    posterior[fixed, cands.known[fixed]] = 1.0
    return posterior


def fit(cands: Candidates, *, smoothing: float = 1.0, tol: float = 1e-6, max_iter: int = 200,
        annotator_weights=None) -> Fit:
    """Dawid-Skene EM from majority vote; see the module docstring. ``annotator_weights[a]`` (default 1)
    scales annotator ``a``'s evidence in the posteriors (a tempered likelihood), so that annotators who
    share their errors count less than one voice each (``merge.redundancy_weights``)."""
    k = len(cands.labels)
    onehot = _one_hot(cands.responses, k + 2)
    evidence = onehot if annotator_weights is None else onehot * np.asarray(annotator_weights)[None, :, None]
    posterior = vote_posterior(cands)
    if not len(posterior):
        shape = (len(cands.annotators), k + 1, k + 2)
        return Fit(posterior.reshape(0, k + 1), np.full(k + 1, 1 / (k + 1)), np.full(shape, 1 / (k + 2)), 0.0, 0)
    w = cands.weights
    prior, confusion = m_step(onehot, posterior, smoothing, w)
    last = -np.inf
    iterations = 0
    for iterations in range(1, max_iter + 1):
        posterior, ll = e_step(evidence, prior, confusion, cands.known, w)
        prior, confusion = m_step(onehot, posterior, smoothing, w)
        if abs(ll - last) < tol * max(1.0, abs(ll)):
            break
        last = ll
    posterior, ll = e_step(evidence, prior, confusion, cands.known, w)
    return Fit(posterior, prior, confusion, ll, iterations)
