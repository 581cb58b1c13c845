"""Learning curves: does more data still help? Train on growing nested subsets and score each.

``learning_curve(documents, evaluation, base=TrainConfig(...), options=CurveOptions())``
draws, for every seed, one random order of the training units (documents when the
corpus has several, else sentences) and trains on growing prefixes of it, so each
subset holds the smaller ones (nested). Points are fractions of the training
sentences (default 10/25/50/75/100%), optionally led by a fixed ``start`` (50
sentences: where the guides begin); a document-based point takes whole documents
until it holds that many sentences. Each run trains on the records through
``ner.train.fit`` into a temporary directory, is loaded with ``load_model`` and scored on the
evaluation sentences; ``curve_stats.py`` turns the runs into F1 with 95% bootstrap
intervals, a verdict per label and an estimate for the next point.

Runs go seed by seed (all points of seed 1, then of seed 2...), so a cut-off run
still has a whole curve; ``budget_minutes`` skips a run that the time taken so far
says will not fit, and caps each training at what is left. The library never prints:
``progress(line)`` receives a line before and after every run.

Left out: curves over epochs; choosing hyper-parameters per point.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ..errors import UserError
from .curve_stats import Estimate, bootstrap, f1_of, next_point, run_undertrained, span_counts, verdict


@dataclass(frozen=True)
class CurveOptions:
    fractions: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 1.0)
    start: int = 0             # a first point of this many sentences (0: none)
    seeds: int = 3
    by: str = "auto"           # document, sentence, or auto (documents when there are 10 or more)
    budget_minutes: float = 0  # 0: no limit
    bootstrap: int = 1000
    tolerance: float = 0.01


@dataclass
class Point:
    name: str                  # "25%" or "50 sentences"
    target: int                # sentences asked for
    sentences: list[int] = field(default_factory=list)  # per run actually trained on
    entities: list[int] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    counts: list = field(default_factory=list)          # per run: [eval sentences, labels, 3]
    undertrained: list[str] = field(default_factory=list)  # per run: why not to trust it ("" when fine)
    micro: Estimate | None = None
    labels: dict[str, Estimate] = field(default_factory=dict)

    @property
    def flag(self) -> str:
        """Why the point is undertrained ("3 of 3 runs stopped at the epoch cap"), "" when no run is."""
        whys = [w for w in self.undertrained if w]
        return "; ".join(f"{whys.count(w)} of {len(self.undertrained)} run{'s' * (len(self.undertrained) > 1)} {w}"
                         for w in dict.fromkeys(whys))

    @property
    def size(self) -> float:
        return sum(self.sentences) / len(self.sentences) if self.sentences else float(self.target)


@dataclass
class Curve:
    labels: list[str]
    points: list[Point]
    unit: str                  # "document" or "sentence"
    support: dict[str, int]    # entities per label in the evaluation set
    train_rate: dict[str, float]  # entities per training sentence, per label
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def done(self) -> list[Point]:
        return [p for p in self.points if p.counts]

    def verdicts(self, tolerance: float = 0.01) -> list[str]:
        pts = self.done
        names = [p.name for p in pts]
        flags = [p.flag for p in pts]
        return [verdict(lab, names, [p.labels[lab] for p in pts], self.support[lab], tolerance=tolerance,
                        undertrained=flags) for lab in self.labels]

    def next_step(self) -> dict | None:
        """The next point: its size, the sentences and entities (per label) it adds, and expected F1s."""
        pts = self.done
        if len(pts) < 2:
            return None
        sizes = [p.size for p in pts]
        guess = next_point(sizes, [p.micro.mean for p in pts])
        if guess is None:
            return None
        size, micro = guess
        add = size - sizes[-1]
        per_label = {lab: next_point(sizes, [p.labels[lab].mean for p in pts])[1] for lab in self.labels}
        return {"sentences": round(size), "add_sentences": round(add),
                "add_entities": {lab: round(add * rate) for lab, rate in self.train_rate.items()},
                "micro": micro, "labels": per_label}

    def as_dict(self, tolerance: float = 0.01) -> dict:
        return {
            "unit": self.unit, "labels": self.labels, "support": self.support, "seconds": round(self.seconds, 1),
            "points": [{"name": p.name, "target_sentences": p.target, "sentences": p.sentences,
                        "entities": p.entities, "seeds": p.seeds, "seconds": [round(s, 1) for s in p.seconds],
                        "undertrained": p.undertrained,
                        "micro": p.micro.as_dict() if p.micro else None,
                        "labels": {k: v.as_dict() for k, v in p.labels.items()}} for p in self.points],
            "verdicts": self.verdicts(tolerance), "next": self.next_step(), "skipped": self.skipped,
        }


def plan_points(total: int, fractions, start: int) -> list[tuple[str, int]]:
    """``(name, sentences)`` of each point, growing; fractions under ``start`` are dropped.

    >>> plan_points(1000, (0.1, 0.25, 0.5, 1.0), 50)
    [('50 sentences', 50), ('10%', 100), ('25%', 250), ('50%', 500), ('100%', 1000)]
    >>> plan_points(300, (0.1, 0.5, 1.0), 50)
    [('50 sentences', 50), ('50%', 150), ('100%', 300)]
    """
    if any(not 0 < f <= 1 for f in fractions):
        raise UserError(f"fractions must be above 0 and at most 100%, not {fractions}")
    points = [(f"{start} sentences", start)] if 0 < start < total else []
    for f in sorted(set(fractions)):
        n = max(1, math.ceil(f * total))
        if n > start:
            points.append((f"{f * 100:g}%", n))
    if not points:
        raise UserError(f"the training corpus has {total} sentences, fewer than --start {start}")
    return points


def units_of(documents, by: str) -> tuple[str, list[tuple]]:
    """(unit kind, units): each unit a tuple of non-empty sentences."""
    docs = [tuple(s for s in d.sentences if len(s)) for d in documents]
    docs = [d for d in docs if d]
    if by not in ("auto", "document", "sentence"):
        raise UserError(f"--by {by!r}: use document, sentence or auto")
    if by == "document" or (by == "auto" and len(docs) >= 10):
        return "document", docs
    return "sentence", [(s,) for d in docs for s in d]


def take(units: list[tuple], order: list[int], target: int) -> list:
    """The sentences of the shortest prefix of ``order`` holding at least ``target`` sentences."""
    out = []
    for i in order:
        if len(out) >= target:
            break
        out.extend(units[i])
    return out


def estimate_seconds(history: list[tuple[int, float]], size: int) -> float:
    """Seconds a run on ``size`` sentences should take, from earlier ``(sentences, seconds)`` runs:
    a fixed cost plus a cost per sentence fitted on them (with one run, proportional to it).

    >>> estimate_seconds([(50, 30.0), (450, 70.0)], 850)
    110.0
    >>> estimate_seconds([(100, 20.0)], 300)
    60.0
    """
    import numpy as np

    if not history:
        return 0.0
    sizes = [n for n, _ in history]
    if len(set(sizes)) < 2:
        n, seconds = max(history)
        return seconds * size / n
    b, a = np.polyfit(sizes, [t for _, t in history], 1)
    b = max(float(b), 0.0)
    return round(max(float(a), 0.0) + b * size, 6)


def curve_labels(base, train_labels, dev) -> list[str]:
    """The labels every run trains: ``base.labels``'s schema when it names one, else those of the
    training corpus and of ``dev`` (a label only the dev corpus has is then "not learned", not an error)."""
    from ..bio import tags_spans
    from ..corpus import label_mapping, resolve_schema

    if base.labels not in ("", "auto"):
        return list(resolve_schema(base.labels, label_mapping(base.map, base.keep)).names)
    dev_labels = {lab for s in dev or () for _, _, lab in tags_spans(s.tags)}
    return sorted(set(train_labels) | dev_labels)


def _undertrained(out, config, micro: float) -> str:
    """``run_undertrained`` of the run saved in ``out`` (its ``metrics.json``: epochs run, best epoch)."""
    import json

    try:
        metrics = json.loads((Path(out) / "metrics.json").read_text(encoding="utf-8"))
        run, best = len(metrics["history"]), int(metrics["best_epoch"])
    except (OSError, KeyError, ValueError, TypeError):
        return "" if micro > 0 else "scored 0.000"
    return run_undertrained(run, best, config.epochs, config.patience, micro)


def learning_curve(documents, evaluation, *, base, dev=None, options: CurveOptions = CurveOptions(),
                   progress: Callable[[str], None] = lambda line: None, train_progress=None) -> Curve:
    """Train ``base`` (a ``TrainConfig``; its ``train``, ``dev``, ``map`` and ``keep`` are not read: the
    records come mapped) on nested subsets; see the docstring.

    ``dev`` (sentences) is what training stops early on (none: it holds out part of each
    subset); ``evaluation`` (sentences) is what every run is scored on.
    """
    from ..bio import tags_spans
    from ..models import load_model
    from ..train import fit

    started = time.monotonic()
    unit, units = units_of(documents, options.by)
    sentences = [s for u in units for s in u]
    if not sentences:
        raise UserError("the training corpus has no sentences")
    evaluation = [s for s in evaluation if len(s)]
    if not evaluation:
        raise UserError("the evaluation corpus has no sentences")
    train_labels = sorted({lab for s in sentences for _, _, lab in tags_spans(s.tags)})
    eval_labels = sorted({lab for s in evaluation for _, _, lab in tags_spans(s.tags)})
    labels = sorted(set(train_labels) | set(eval_labels))
    if not train_labels:
        raise UserError("the training corpus has no entities; nothing to learn")
    support = {lab: 0 for lab in labels}
    rate = {lab: 0.0 for lab in labels}
    for s in evaluation:
        for _, _, lab in tags_spans(s.tags):
            support[lab] += 1
    for s in sentences:
        for _, _, lab in tags_spans(s.tags):
            rate[lab] += 1 / len(sentences)
    points = [Point(name, n) for name, n in plan_points(len(sentences), options.fractions, options.start)]
    curve = Curve(labels, points, unit, support, rate)
    budget = options.budget_minutes * 60
    history: list[tuple[int, float]] = []  # (sentences, seconds) of the runs so far
    total_runs = options.seeds * len(points)
    k = 0
    with tempfile.TemporaryDirectory(prefix="ner-curve-") as tmp:
        tmp = Path(tmp)
        # the dev corpus's labels too: one TRAIN lacks stopped every run on the dev corpus's
        # "labels outside the schema" (its --labels auto advice changed nothing); now it is "not learned"
        trained_labels = curve_labels(base, train_labels, dev)
        dev_sents = None if dev is None else [s for s in dev if len(s)]
        for seed in range(1, options.seeds + 1):
            order = list(range(len(units)))
            random.Random(seed).shuffle(order)
            for point in points:
                k += 1
                subset = take(units, order, point.target)
                elapsed = time.monotonic() - started
                if budget and k > 1 and elapsed + estimate_seconds(history, len(subset)) > budget:
                    curve.skipped.append(f"{point.name} seed {seed}")
                    progress(f"[{k}/{total_runs}] {point.name}, seed {seed}: skipped, would not fit the "
                             f"{options.budget_minutes:g}-minute budget")
                    continue
                progress(f"[{k}/{total_runs}] {point.name}: {len(subset)} sentences{' (whole documents)' * (unit == 'document')}, "
                         f"seed {seed}: training")
                caps = [x for x in ((budget - elapsed) / 60 if budget else 0.0, base.max_minutes) if x > 0]
                config = replace(base, seed=seed, max_minutes=min(caps) if caps else 0.0)
                t0 = time.monotonic()
                out = fit(subset, dev_sents, trained_labels, config, tmp / "model",
                          progress=train_progress or (lambda line: None))
                model = load_model(out)
                pred = [p.tags for p in model.predict([s.words for s in evaluation])]
                counts = span_counts([s.tags for s in evaluation], pred, labels)
                seconds = time.monotonic() - t0
                history.append((len(subset), seconds))
                point.sentences.append(len(subset))
                point.entities.append(sum(len(tags_spans(s.tags)) for s in subset))
                point.seeds.append(seed)
                point.seconds.append(seconds)
                point.counts.append(counts)
                micro = float(f1_of(counts.sum(0))[0])
                point.undertrained.append(_undertrained(out, config, micro))
                progress(f"[{k}/{total_runs}] {point.name}, seed {seed}: micro F1 {micro:.3f} ({seconds:.0f} s)")
    for n, point in enumerate(points):
        if point.counts:
            micro, per_label = bootstrap(point.counts, options.bootstrap, seed=n)
            point.micro = micro
            point.labels = dict(zip(labels, per_label))
    curve.seconds = time.monotonic() - started
    return curve


def plot_curve(curve: Curve, path) -> Path:
    """A PNG of micro F1 (thick) and per-label F1 against training sentences, 95% intervals shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = curve.done
    xs = [p.size for p in pts]
    fig, ax = plt.subplots(figsize=(9, 5))
    series = [("micro", [p.micro for p in pts], 2.5)] + [(lab, [p.labels[lab] for p in pts], 1.2)
                                                         for lab in curve.labels]
    for name, est, width in series:
        line, = ax.plot(xs, [e.mean for e in est], marker="o", linewidth=width, label=name)
        ax.fill_between(xs, [e.low for e in est], [e.high for e in est], color=line.get_color(),
                        alpha=0.2 if name == "micro" else 0.05)
    ax.set_xlabel(f"training sentences (nested subsets by {curve.unit})")
    ax.set_ylabel("F1 (strict spans)")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Learning curve: mean over seeds, 95% bootstrap intervals")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
