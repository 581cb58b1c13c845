"""Span scores made honest by the anchored sentences: a logistic recalibration of the posteriors.

EM's posteriors assume independent annotators; models that share their errors make them far too
sure (factRuEval, 6 annotators: mean span score .99, span precision .75). Where some sentences are
known (``--gold``, reviewed answers), ``fit_calibration`` learns ``sigmoid(a * logit(p) + b)`` from
their candidates (``p``: the posterior of the candidate's best label with the anchors *not* applied;
``y``: whether that label is the known one), and ``Calibration.__call__`` maps any posterior through
it. Fewer than ``MIN_CASES`` anchored candidates, or only right or only wrong ones: no calibration.

Left out: calibration without anchors (nothing tells how much the annotators' agreement is worth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_CASES = 20
EPS = 1e-6


def logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class Calibration:
    a: float = 1.0
    b: float = 0.0
    cases: int = 0

    def __call__(self, p):
        return _sigmoid(self.a * logit(p) + self.b)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def fit_calibration(p, y, *, ridge: float = 1.0, steps: int = 100) -> Calibration | None:
    """The logistic map from posteriors ``p`` to outcomes ``y`` (0/1), by Newton's method with a ridge (EM's
    posteriors are often all near 1: the ridge keeps the slope and intercept finite, so that the map gives
    the share of right ones there)."""
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(p) < MIN_CASES or y.min() == y.max():
        return None
    x = np.stack([logit(p), np.ones_like(p)], 1)

    def loss(w):
        z = x @ w
        return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * ridge * w @ w)

    # from the intercept alone (the posteriors near 0 or 1 saturate a start at slope 1), halving steps that
    # do not lower the penalised loss
    w = np.array([0.0, float(logit(y.mean()))])
    for _ in range(steps):
        q = _sigmoid(x @ w)
        grad = x.T @ (q - y) + ridge * w
        hess = (x * (q * (1 - q))[:, None]).T @ x + ridge * np.eye(2)
        step = np.linalg.solve(hess, grad)
        size, before = 1.0, loss(w)
        while loss(w - size * step) > before and size > 1e-8:
            size /= 2
        w = w - size * step
        if np.abs(size * step).max() < 1e-10:
            break
    return Calibration(float(w[0]), float(w[1]), len(p))
