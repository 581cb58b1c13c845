"""The arithmetic of a learning curve: span counts, F1 with bootstrap intervals, verdicts, the next point.

Pure functions over numpy arrays, no training (``curve.py`` trains):

- ``span_counts(gold, pred, labels)``: ``[sentences, labels, 3]`` true positives, false
  positives, false negatives of strict span matching (same words, same label; the
  ``tags_spans`` reading of IOB2, as seqeval's strict mode on valid IOB2);
- ``f1_of``: micro and per-label F1 from summed counts (0 where nothing was predicted or expected);
- ``bootstrap``: a 95% interval for a point trained with several seeds: each replicate
  draws one seed's run and a resample of the evaluation sentences (with replacement), so
  the interval holds both the seed-to-seed spread and the evaluation-set noise;
- ``verdict``: one sentence per label about the last step of the curve (none inside the noise);
- ``run_undertrained``: why a run's score is not to be trusted (epoch cap, time budget, F1 0);
- ``next_point``: an F1 estimate for one more step of data, from a fit of F1 against the
  logarithm of the training size over the last three points.

Left out: significance tests between two curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..bio import tags_spans


def span_counts(gold, pred, labels) -> np.ndarray:
    """``[len(gold), len(labels), 3]`` int counts (tp, fp, fn) per sentence and label."""
    index = {label: k for k, label in enumerate(labels)}
    out = np.zeros((len(gold), len(labels), 3), dtype=np.int64)
    for i, (g, p) in enumerate(zip(gold, pred)):
        gs, ps = set(tags_spans(g)), set(tags_spans(p))
        for span in gs & ps:
            out[i, index[span[2]], 0] += 1
        for span in ps - gs:
            if span[2] in index:
                out[i, index[span[2]], 1] += 1
        for span in gs - ps:
            out[i, index[span[2]], 2] += 1
    return out


def f1_of(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(micro F1 [...], per-label F1 [..., labels]) from counts summed over sentences ``[..., labels, 3]``."""
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    denom = 2 * tp + fp + fn
    per_label = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    mtp, mden = tp.sum(-1), denom.sum(-1)
    micro = np.where(mden > 0, 2 * mtp / np.maximum(mden, 1), 0.0)
    return micro, per_label


@dataclass(frozen=True, slots=True)
class Estimate:
    mean: float   # mean over seeds of the F1 on the whole evaluation set
    low: float    # 2.5th percentile of the bootstrap
    high: float   # 97.5th percentile
    std: float    # spread over seeds

    def as_dict(self) -> dict:
        return {"mean": self.mean, "low": self.low, "high": self.high, "std": self.std}


def bootstrap(runs: list[np.ndarray], n: int = 1000, seed: int = 0) -> tuple[Estimate, list[Estimate]]:
    """(micro, per label) estimates of one point from each seed's ``[sentences, labels, 3]`` counts."""
    rng = np.random.default_rng(seed)
    n_sent, n_labels, _ = runs[0].shape
    full = [f1_of(r.sum(0)) for r in runs]
    micro_full = np.array([m for m, _ in full])
    label_full = np.array([lab for _, lab in full])
    if n_sent == 0 or n < 1:
        micro_rep, label_rep = micro_full, label_full
    else:
        flat = np.stack([r.reshape(n_sent, -1) for r in runs])         # [seeds, sentences, labels*3]
        weights = rng.multinomial(n_sent, np.full(n_sent, 1.0 / n_sent), size=n)  # [n, sentences]
        which = rng.integers(0, len(runs), size=n)
        sums = np.einsum("rs,rsk->rk", weights, flat[which]).reshape(n, n_labels, 3)
        micro_rep, label_rep = f1_of(sums)

    def est(full_values, replicates) -> Estimate:
        return Estimate(float(np.mean(full_values)), float(np.percentile(replicates, 2.5)),
                        float(np.percentile(replicates, 97.5)), float(np.std(full_values)))

    return est(micro_full, micro_rep), [est(label_full[:, k], label_rep[:, k]) for k in range(n_labels)]


def verdict(label: str, names: list[str], estimates: list[Estimate], support: int, *,
            tolerance: float = 0.01, min_support: int = 10, undertrained=()) -> str:
    """One sentence about the curve of ``label``: still rising, flat since a point, falling, never learned,
    or a last step inside the noise (no verdict then).

    ``names`` name the points ("10%", "50 sentences"...), ``estimates`` are their F1s in
    order of growing data, ``support`` counts the label's entities in the evaluation set.
    A change smaller than ``tolerance`` (absolute F1) is flat; a larger one that is still smaller
    than half the last point's 95% interval is noise, up or down: no verdict then.
    ``undertrained`` gives, per point, why its runs are not to be trusted ("" when they
    are); the last step's points are named when they are (the table says why).

    >>> e = lambda m: Estimate(m, m - 0.02, m + 0.02, 0.0)
    >>> verdict("Date", ["25%", "50%", "75%", "100%"], [e(.6), e(.8), e(.805), e(.8)], 40)
    'Date flat since 50% (0.800): more of the same data will not help it; label harder examples (ner select)'
    >>> verdict("Date", ["50%", "100%"], [e(.6), e(.615)], 40, undertrained=["", "3 of 3 runs at the epoch cap"])
    'Date: the last step (50% -> 100%: +0.015) is within the noise (95% interval ±0.020): no verdict; ...'
    """
    flagged = [n for n, why in zip(names[-2:], list(undertrained)[-2:]) if why]
    caveat = (f"; but {' and '.join(flagged)} {'is' if len(flagged) == 1 else 'are'} undertrained (*): this may be "
              f"the training, not the data; raise --epochs") if flagged else ""
    if support < min_support:
        return f"{label}: only {support} in the evaluation set, too few to tell"
    if len(estimates) < 2:
        return f"{label}: one point only, nothing to compare"
    ys = [e.mean for e in estimates]
    if max(ys) < tolerance:
        return (f"{label} not learned at any point (F1 {ys[-1]:.3f}): it needs more examples of its own "
                f"(check its count in ner stats){caveat}")
    gain = ys[-1] - ys[-2]
    step = f"{names[-2]} -> {names[-1]}"
    half = (estimates[-1].high - estimates[-1].low) / 2
    if tolerance < abs(gain) < half:
        return (f"{label}: the last step ({step}: {gain:+.3f}) is within the noise (95% interval ±{half:.3f}): "
                f"no verdict; more seeds (--seeds) or a larger evaluation set would tell{caveat}")
    if gain > tolerance:
        return f"{label} still rising over the last step ({step}: {gain:+.3f}): more data helps{caveat}"
    if gain < -tolerance:
        return (f"{label} fell over the last step ({step}: {gain:+.3f}); if it holds, look for "
                f"inconsistent labels (ner critic){caveat}")
    since = len(ys) - 1
    while since > 0 and all(abs(y - ys[-1]) <= tolerance for y in ys[since - 1:]):
        since -= 1
    return (f"{label} flat since {names[since]} ({ys[-1]:.3f}): more of the same data will not help it; "
            f"label harder examples (ner select){caveat}")


def run_undertrained(epochs_run: int, best_epoch: int, epochs: int, patience: int, micro: float) -> str:
    """Why one training run is undertrained, "" when it is not: it scored 0 on the evaluation set, or it
    stopped (at the epoch cap, or on the time budget) while its dev F1 was still improving (no early stop).

    >>> run_undertrained(3, 3, 3, 6, 0.4), run_undertrained(20, 12, 30, 6, 0.4), run_undertrained(9, 9, 30, 6, 0.4)
    ('stopped at the epoch cap', '', 'stopped by the time budget')
    """
    if micro <= 0:
        return "scored 0.000"
    if best_epoch > epochs_run - patience:
        return "stopped at the epoch cap" if epochs_run >= epochs else "stopped by the time budget"
    return ""


def next_point(sizes: list[float], values: list[float]) -> tuple[float, float] | None:
    """(size, F1) one more step (the last step's size) beyond the curve, from F1 = a + b ln(size)
    fitted on the last three points (two when there are only two); None with fewer.

    >>> next_point([100, 200, 400], [0.5, 0.6, 0.7])
    (600, 0.758...)
    """
    if len(sizes) < 2 or min(sizes) <= 0:
        return None
    xs = np.log(np.asarray(sizes[-3:], dtype=float))
    ys = np.asarray(values[-3:], dtype=float)
    b, a = np.polyfit(xs, ys, 1)
    size = sizes[-1] + (sizes[-1] - sizes[-2])
    return size, float(min(1.0, max(0.0, a + b * math.log(size))))
