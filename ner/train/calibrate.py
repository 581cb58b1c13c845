"""Calibration of the pre-annotation threshold: the span score above which a span is sent to annotators.

``best_threshold(found, n_gold)`` is the cut with the best F1 of the spans it keeps;
``span_threshold(sentences, predictions)`` applies it to a model's predictions on gold
sentences (a span's score is its words' lowest probability) and ``min_score_for(model,
sentences)`` predicts them first. Training writes the threshold of the dev set it stopped
on into the model directory (``metrics.json``: ``calibration``), so that
``calibrate(model_dir, model)``, what ``ner ls predict`` and ``ner serve`` use when no
``--min-score`` is given, gives the same number from any working directory. A directory
written before that (or a ``--train``/``--dev`` override) is calibrated as before: on
the dev set its ``train_config.toml`` names, or the seeded share it held out.

It lives with training because training writes it and the fallback reads a training configuration;
nothing that serves imports it (the backend gets a retrained model's threshold from its retrainer).

Left out: per-label thresholds; the corpus-missing hint, which each command words for its own flags.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from ..bio import tags_spans
from ..errors import UserError

CALIBRATION_KEY = "calibration"  # in metrics.json: {"min_score": 0.42, "dev": "what the dev set was"}


@dataclass(frozen=True, slots=True)
class Calibration:
    """A threshold and where it came from; ``calibrated`` False: 0.0, and ``source`` says why."""

    min_score: float
    source: str
    calibrated: bool = True

    def describe(self, hint: str) -> str:
        """``calibrated on DEV``, or ``not calibrated: WHY; HINT`` (the caller's own way out)."""
        return f"calibrated on {self.source}" if self.calibrated else f"not calibrated: {self.source}; {hint}"


def best_threshold(found: list[tuple[float, bool]], n_gold: int) -> float:
    """The score threshold whose kept spans (score >= it) have the best F1 against ``n_gold`` gold spans.

    ``found`` holds each predicted span's ``(score, right)``. Ties go to the higher
    threshold (fewer spans to delete); 0.0 when no span is right.

    >>> best_threshold([(0.9, True), (0.6, False), (0.4, False)], 1)
    0.9
    """
    found = sorted(found, key=lambda x: -x[0])
    best, threshold, right = 0.0, 0.0, 0
    for n, (score, ok) in enumerate(found, 1):
        right += ok
        if n < len(found) and found[n][0] == score:
            continue  # a threshold keeps all spans of one score or none
        f1 = 2 * right / (n + n_gold)
        if f1 > best:
            best, threshold = f1, score
    return math.floor(threshold * 10000) / 10000  # 4 digits, rounded down: the span at it stays


def span_threshold(sentences, predictions) -> float:
    """``best_threshold`` of predicted spans (score: their words' lowest probability) against gold ``sentences``."""
    gold, found = set(), []
    for k, (sentence, prediction) in enumerate(zip(sentences, predictions)):
        gold |= {(k, i, j, label) for i, j, label in tags_spans(sentence.tags)}
        found += [(min(prediction.scores[i:j]), (k, i, j, label)) for i, j, label in tags_spans(prediction.tags)]
    return best_threshold([(score, span in gold) for score, span in found], len(gold))


def min_score_for(model, sentences) -> float:
    """``span_threshold`` of ``model``'s predictions on gold ``sentences``."""
    return span_threshold(sentences, model.predict([list(s.words) for s in sentences]) if sentences else [])


def dev_description(config, dev_sentences) -> str:
    """What the dev set of a training was: its file, or the share held out of the training corpus."""
    if config.dev:
        return str(config.dev)
    if config.train:
        return f"{len(dev_sentences)} sentences held out of {config.train} (seed {config.seed})"
    return f"the {len(dev_sentences)} dev sentences it was trained with"


def carried(model_dir) -> Calibration | None:
    """The calibration a model directory carries (written at training), or None (older directories)."""
    try:
        data = json.loads((Path(model_dir) / "metrics.json").read_text(encoding="utf-8")).get(CALIBRATION_KEY)
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("min_score"), (int, float)):
        return None
    return Calibration(float(data["min_score"]), str(data.get("dev") or "its dev set"))


def corpus_problem(config, config_file) -> tuple[str, str] | None:
    """``(reason, flag)`` when the corpus a training configuration names cannot be read back, else None."""
    if not config.train:
        return f"{config_file} names no training corpus", "--train"
    for key in ("train", "dev"):
        path = getattr(config, key)
        if path and not Path(path).exists():
            return f"the base {key} corpus {path} (from {config_file}) is not there", f"--{key}"
    return None


def calibrate(model_dir, model=None, *, train: str | None = None, dev: str | None = None) -> Calibration:
    """The threshold for the model in ``model_dir``: the one the directory carries, else the best cut
    of ``model`` (loaded from ``model_dir`` when not given) on the dev set of its training configuration
    (``train``/``dev`` override its files)."""
    from .config import TrainConfig, load_config
    from .prepare import prepare_data

    if not (train or dev) and (found := carried(model_dir)) is not None:
        return found
    config_file = Path(model_dir) / "train_config.toml"
    config = load_config(config_file) if config_file.exists() else TrainConfig()
    config = config.replace(train=train, dev=dev)
    problem = corpus_problem(config, config_file)
    if problem:
        return Calibration(0.0, problem[0], calibrated=False)
    try:
        _, _, dev_sents, _ = prepare_data(config)
    except UserError as e:
        return Calibration(0.0, str(e), calibrated=False)
    if not dev_sents:
        return Calibration(0.0, "the model's training config names no dev set", calibrated=False)
    if model is None:
        from ..models import load_model

        model = load_model(model_dir)
    return Calibration(min_score_for(model, dev_sents), dev_description(config, dev_sents))
