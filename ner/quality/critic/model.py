"""The learned critic: a calibrated classifier over the signals, saved as a directory.

``train_critic(words, tags, probs, labels)`` corrupts the corpus a few times
(``corrupt``), computes the candidates of each corrupted copy against the
same out-of-fold marginals, and fits gradient-boosted trees (scikit-learn),
calibrated by isotonic regression on held-out folds, to tell changed spans
from untouched ones: its output is the probability that a candidate is an error.
``Critic.refit(verdicts, weight)`` adds reviewers' verdicts (rows of features
with 1 = corrected or deleted, 0 = kept), each weighing ``weight`` synthetic rows (or
``weights``, one a row: an audit's rows stand for the sentences of their stratum).
``Critic.save(dir)`` writes ``critic.pkl`` (the estimator), ``critic_rows.npz``
(the rows it was fitted on and the verdicts' weights, so a refit keeps them) and ``critic.json``.

Left out: per-label critics (one model serves every label; the label's share is a feature).
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import UserError
from .corrupt import corrupt, truth
from .signals import FEATURES, candidates

CRITIC_FILE, ROWS_FILE, INFO_FILE = "critic.pkl", "critic_rows.npz", "critic.json"
AUDIT_FILES = "audit_files"   # info: the file names each audit sample learned was drawn from
LEARNED = "learned"           # info: the projects whose verdicts the critic learned (``upgrade``)


# Which way each signal may push the score (+1 up, -1 down, 0 free), for annotated spans and for
# places without one: trees then cannot learn a backwards rule from a corner of the synthetic data.
_DIRECTIONS = {
    1: {"p_own": -1, "p_tags": -1, "p_o": 1, "p_other": 1, "p_earlier": 1, "p_later": 1, "p_split": 1,
        "p_edge_o": 1, "model_exact": -1, "model_other_label": 1, "agree_elsewhere": -1, "flagged": 1,
        "log_span_prob": -1, "own_share": -1, "stem_agree": -1, "cue_agree": -1, "cue_other": 1,
        "first_in": -1, "last_in": -1, "prev_in": 1, "next_in": 1},
    0: {"p_own": 1, "p_tags": 1, "p_o": -1, "model_exact": 1, "log_span_prob": 1, "agree_elsewhere": 1,
        "unannotated_share": -1, "first_in": 1, "last_in": 1},
}


class _Split:
    """One calibrated tree model for annotated spans, one for places without an annotation."""

    def __init__(self, seed: int):
        self.seed = seed
        self.models: dict[int, object] = {}
        self.constant: dict[int, float] = {}

    def fit(self, x, y, sample_weight=None):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.ensemble import HistGradientBoostingClassifier
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):  # OpenMP threads on a busy machine cost far more than they give
            return self._fit(x, y, sample_weight, CalibratedClassifierCV, HistGradientBoostingClassifier)

    def _fit(self, x, y, sample_weight, CalibratedClassifierCV, HistGradientBoostingClassifier):
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        for group in (0, 1):
            mask = x[:, 0] == group
            yy = y[mask]
            if not mask.any() or yy.min() == yy.max() or min(yy.sum(), (1 - yy).sum()) < 3:
                self.constant[group] = float(yy.mean()) if mask.any() else 0.0
                continue
            cst = [_DIRECTIONS[group].get(name, 0) for name in FEATURES]
            trees = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.08, max_leaf_nodes=15,
                                                   min_samples_leaf=30, l2_regularization=1.0,
                                                   monotonic_cst=cst, random_state=self.seed)
            model = CalibratedClassifierCV(trees, method="isotonic", cv=3)
            model.fit(x[mask], yy, sample_weight=w[mask])
            self.models[group] = model
        return self

    def predict_proba(self, x):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return self._predict(x)

    def _predict(self, x):
        out = np.zeros(len(x))
        for group in (0, 1):
            mask = x[:, 0] == group
            if mask.any():
                out[mask] = (self.models[group].predict_proba(x[mask])[:, 1] if group in self.models
                             else self.constant.get(group, 0.0))
        return np.stack([1 - out, out], axis=1)


def _estimator(seed: int) -> _Split:
    return _Split(seed)


@dataclass
class Critic:
    estimator: object
    x: np.ndarray                 # synthetic rows
    y: np.ndarray
    verdict_x: np.ndarray = field(default_factory=lambda: np.zeros((0, len(FEATURES))))
    verdict_y: np.ndarray = field(default_factory=lambda: np.zeros(0))
    info: dict = field(default_factory=dict)
    verdict_w: np.ndarray | None = None   # each verdict's own weight (NaN, or None for all: the refit's ``weight``)
    verdict_k: np.ndarray | None = None   # what each verdict is on (a suspect's or an audited sentence's key)

    def score(self, rows) -> np.ndarray:
        """Probability that each candidate (a row of ``FEATURES``) is an annotation error."""
        self._fitted()
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES))
        if not len(rows):
            return np.zeros(0)
        return self.estimator.predict_proba(rows)[:, 1]

    def refit(self, verdict_x, verdict_y, weight: float = 5.0, seed: int = 13, weights=None, keys=None) -> "Critic":
        """A critic fitted on the synthetic rows plus these verdicts, each weighing ``weight`` synthetic rows, or
        its own of ``weights``. Earlier verdicts stay, with the weights they had, except those on what ``keys``
        names again (a suspect, an audited sentence): a verdict learned twice replaces the first."""
        new_y = np.asarray(verdict_y, dtype=np.float64)
        new_k = np.full(len(new_y), "", dtype=object) if keys is None else np.asarray(keys, dtype=object)
        new_x = np.asarray(verdict_x, dtype=np.float64).reshape(-1, len(FEATURES))
        old = ~np.isin(self.own_keys(), [k for k in set(new_k) if k])
        if keys is not None:   # a verdict saved before keys were: the same features are the same verdict
            rows = {r.tobytes() for r in new_x}
            old &= np.array([k != "" or r.tobytes() not in rows for k, r in zip(self.own_keys(), self.verdict_x)],
                            dtype=bool).reshape(-1)
        vx = np.vstack([self.verdict_x[old], new_x])
        vy = np.concatenate([self.verdict_y[old], new_y])
        vw = np.concatenate([self.own_weights()[old], np.full(len(new_y), np.nan) if weights is None
                             else np.asarray(weights, dtype=np.float64)])
        vk = np.concatenate([self.own_keys()[old], new_k])
        x = np.vstack([self.x, vx])
        y = np.concatenate([self.y, vy])
        est = _estimator(seed)
        est.fit(x, y, sample_weight=np.concatenate([np.ones(len(self.y)), np.where(np.isnan(vw), weight, vw)]))
        info = {**self.info, "verdicts": int(len(vy)), "verdict_weight": weight, "verdict_seed": seed}
        return Critic(est, self.x, self.y, vx, vy, info, vw, vk)

    def own_weights(self) -> np.ndarray:
        """Each verdict's own weight; NaN for a reviewer's verdict, which weighs what each refit is told."""
        if self.verdict_w is None or len(self.verdict_w) != len(self.verdict_y):
            return np.full(len(self.verdict_y), np.nan)
        return self.verdict_w

    def own_keys(self) -> np.ndarray:
        """What each verdict is on ("" where not known: saved before keys were)."""
        if self.verdict_k is None or len(self.verdict_k) != len(self.verdict_y):
            return np.full(len(self.verdict_y), "", dtype=object)
        return np.asarray(self.verdict_k, dtype=object)

    def replayed(self, old: "Critic", weight: float, seed: int) -> "Critic":
        """This critic refitted with ``old``'s verdicts, each with its weight and key, the places they checked and the
        files of its audit samples."""
        return self.holding(old).refit(np.zeros((0, len(FEATURES))), np.zeros(0), weight, seed)

    def holding(self, old: "Critic") -> "Critic":
        """This critic's rows with ``old``'s verdicts (their weights and keys; its own on the same keys replaced),
        places and audit files added, not fitted to them: it scores nothing until refitted (``refit``,
        ``replayed``), which spares a fit of the trees where a fresh critic would be fitted and then refitted."""
        from .reviewed import KEY, merged

        keep = ~np.isin(self.own_keys(), [k for k in set(old.own_keys().tolist()) if k])
        info = {**self.info, KEY: merged(old.info.get(KEY), self.info.get(KEY)),
                AUDIT_FILES: {**old.info.get(AUDIT_FILES, {}), **self.info.get(AUDIT_FILES, {})}}
        return Critic(None, self.x, self.y, np.vstack([self.verdict_x[keep], old.verdict_x]),
                      np.concatenate([self.verdict_y[keep], old.verdict_y]), info,
                      np.concatenate([self.own_weights()[keep], old.own_weights()]),
                      np.concatenate([self.own_keys()[keep], old.own_keys()]))

    def _fitted(self) -> None:
        if self.estimator is None:
            raise RuntimeError("a critic's rows, not fitted: refit it first (train_critic(fit=False), Critic.holding)")

    def save(self, directory: str | Path) -> Path:
        self._fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with open(directory / CRITIC_FILE, "wb") as f:
            pickle.dump(self.estimator, f)
        np.savez_compressed(directory / ROWS_FILE, x=self.x, y=self.y, vx=self.verdict_x, vy=self.verdict_y,
                            vw=self.own_weights(), vk=self.own_keys().astype(str))
        (directory / INFO_FILE).write_text(json.dumps({**self.info, "features": list(FEATURES)},
                                                      ensure_ascii=False, indent=2), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "Critic":
        directory = Path(directory)
        if not (directory / INFO_FILE).exists():
            raise UserError(f"{directory}: no critic there; run 'ner critic FILES' on the corpus first")
        try:
            info = json.loads((directory / INFO_FILE).read_text(encoding="utf-8"))
            with open(directory / CRITIC_FILE, "rb") as f:
                estimator = pickle.load(f)
            rows = np.load(directory / ROWS_FILE)
            if not isinstance(info, dict):
                raise ValueError("critic.json holds no object")
        except (OSError, ValueError, pickle.UnpicklingError, EOFError) as e:
            raise UserError(f"{directory}: no usable critic there ({e}); delete {directory} (the places reviewers "
                            "checked go with it) and run 'ner critic FILES' on the corpus") from None
        if not same_signals(info):
            raise UserError(f"{directory}: the critic was fitted by another version of ner (its signals differ from "
                            "this one's): run 'ner critic FILES' on the corpus to train it again, then learn")
        return cls(estimator, rows["x"], rows["y"], rows["vx"], rows["vy"], info,
                   rows["vw"] if "vw" in rows.files else None,
                   rows["vk"].astype(object) if "vk" in rows.files else None)


def same_signals(info: dict) -> bool:
    """Whether a saved critic's rows were read with this version's signals (the names it saved)."""
    return info.get("features") == list(FEATURES)


# the verdicts' scores before and after a refit are of the rows it was just fitted on: they show it learned them
FITTED = ("  (the scores above are of the verdicts' own rows, just fitted on them: they show the verdicts were learned,"
          " not how the critic ranks the rest)")


def order_agreement(scores, y) -> float | None:
    """Share of (error, kept) pairs the scores put in the right order (ties half); None without both."""
    pos, neg = scores[y == 1], scores[y == 0]
    if not len(pos) or not len(neg):
        return None
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def synthetic_rows(words, tags, probs, labels, rounds: int = 3, rate: float = 0.08, seed: int = 13):
    """(rows, targets) from ``rounds`` corrupted copies of the corpus."""
    xs, ys = [], []
    for r in range(rounds):
        bad = corrupt(words, tags, labels, rate, seed + 1000 * r, probs)
        cands = candidates(words, bad, probs, labels)
        xs.append(np.array([c.features for c in cands], dtype=np.float64).reshape(-1, len(FEATURES)))
        ys.append(np.array(truth(cands, tags, bad), dtype=np.float64))
    return np.vstack(xs), np.concatenate(ys)


def held(critic, weight: float) -> str:
    """The verdicts a critic holds: the review queue's at ``weight``, an audit's at its strata's weights."""
    mine = ~np.isnan(critic.own_weights())
    audit, queue = int(mine.sum()), int((~mine).sum())
    sentences = len({k.partition("@")[0] for k in critic.own_keys()[mine].tolist()})
    parts = [f"{queue} of the review queue (weight {weight:g} each)"] if queue else []
    return ", ".join(parts + ([f"{audit} rows of {sentences} audited sentences (weighing their strata)"]
                              if audit else []))


def train_critic(words, tags, probs, labels, *, rounds: int = 3, rate: float = 0.08, seed: int = 13,
                 info: dict | None = None, fit: bool = True) -> Critic:
    """A critic fitted on synthetic corruptions of this corpus (see the module docstring); ``fit=False``: its rows
    only, for a caller that adds verdicts and refits (``Critic.holding``): it scores nothing until then."""
    x, y = synthetic_rows(words, tags, probs, labels, rounds, rate, seed)
    if y.sum() < 6 or (1 - y).sum() < 6:
        raise UserError(f"the corpus is too small for the critic: it learns what an error looks like from copies of "
                        f"these {len(words)} sentences with errors put in, and they gave {int(y.sum())} such errors "
                        f"and {int((1 - y).sum())} places left as they were (it needs 6 of each); give it more "
                        f"annotated sentences (it reads well from a few hundred)")
    est = _estimator(seed).fit(x, y) if fit else None
    return Critic(est, x, y, info={**(info or {}), "labels": list(labels), "rounds": rounds, "rate": rate,
                                   "seed": seed, "rows": int(len(y)), "positives": int(y.sum())})
