"""Distillation: a student (navec + BiLSTM or CNN + CRF) learns from gold data and a teacher's soft targets.

``distill(config, teacher, texts)``: the teacher (``silver.load_teacher``: one model
directory or several averaged) labels the unlabelled texts (``silver.label_texts``);
the student is then trained by the ordinary loop (``loop.py``: the same windows, seeds,
dev early stopping, checkpoints and model card as ``ner train``) on the gold training
sentences plus the silver ones, with dev F1 measured on gold dev only.

The loss of a batch is the mean over its windows of
- for a gold window: the CRF's negative log-likelihood of the gold tags (as ``ner train``);
- for a silver window: ``weight`` times the cross-entropy between the teacher's
  per-word distribution (tempered: ``p ** (1 / T)`` renormalised; T > 1 softens it) and
  the student CRF's marginals, summed over the window's words: marginal matching
  (posterior distillation). It is a soft target: a word the teacher is unsure of
  pulls the student less towards any one tag, and the CRF keeps its own transitions.
  The teacher's mass on ``I-X`` at a window's first word (a cut, or a transformer's
  softmax) moves to ``B-X``, which is what the CRF can give there.

``distill_scored(config, path)`` learns from a scored corpus instead of a teacher (``ner
consensus``'s merge): each span's ``score`` is its words' target probability
(``silver.load_scored``), so a doubtful span pulls the student less than a sure one.

The model directory is ``ner train``'s, plus ``distill.json`` (teacher versions,
texts, weight, temperature, silver counts) and a "Distillation" section in its card.

Left out: a transformer student (distil into navec or navec-cnn); several epochs'
worth of teacher re-labelling (the silver corpus is made once).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Sequence

from ..errors import UserError
from .config import TrainConfig
from .silver import SilverSentence, dump_silver, label_texts, load_scored, load_teacher, read_texts, teacher_dirs

STUDENTS = ("navec", "navec-cnn")
# The silver windows outnumber the gold ones, but each carries a whole distribution per word: weighting them
# above the gold likelihood lets the teacher lead (the sweep that chose 2 is in bench/NOTES.md).
DEFAULT_WEIGHT = 2.0
LOG_FLOOR = 1e-8  # marginals the CRF forbids (exactly 0) are read as this, not log 0


def soft_targets(probs, teacher_tags: Sequence[str], student_tags: Sequence[str], temperature: float = 1.0):
    """The teacher's ``[words, teacher tags]`` distribution in the student's columns, tempered, float32."""
    import numpy as np

    p = np.asarray(probs, dtype=np.float64)[:, [list(teacher_tags).index(t) for t in student_tags]]
    if temperature != 1.0:
        p = np.power(np.maximum(p, 0.0), 1.0 / temperature)
    total = p.sum(1, keepdims=True)
    return (p / np.where(total > 0, total, 1.0)).astype(np.float32)


def open_targets(targets, student_tags: Sequence[str]):
    """A window's targets with its first word's ``I-X`` mass moved to ``B-X`` (the CRF forbids I-X first)."""
    if len(targets) == 0:
        return targets
    targets = targets.copy()
    index = {t: i for i, t in enumerate(student_tags)}
    for j, tag in enumerate(student_tags):
        if tag.startswith("I-"):
            targets[0, index["B-" + tag[2:]]] += targets[0, j]
            targets[0, j] = 0.0
    return targets


class Soft:
    """A silver training window: its words and the student-column targets [words, tags]."""

    __slots__ = ("words", "targets")

    def __init__(self, words, targets):
        self.words, self.targets = words, targets


class DistillNet:
    """A navec-family net whose training windows may be soft (``Soft``); all else is the net's own."""

    def __init__(self, net, weight: float = 1.0, temperature: float = 1.0, teacher_tags: Sequence[str] = ()):
        self.net = net
        self.weight = weight
        self.temperature = temperature
        self.teacher_tags = tuple(teacher_tags)

    def __getattr__(self, name):  # module, tags, predict, save, backbone, window, ...
        return getattr(self.net, name)

    def examples(self, sentences):
        from ..models.windows import plan_windows

        gold = [s for s in sentences if not isinstance(s, SilverSentence)]
        out = self.net.examples(gold)
        for s in sentences:
            if isinstance(s, SilverSentence):
                targets = soft_targets(s.probs, self.teacher_tags, self.net.tags, self.temperature)
                for a, b in plan_windows([1] * len(s.words), self.net.window, self.net.stride):
                    out.append(Soft(s.words[a:b], open_targets(targets[a:b], self.net.tags)))
        return out

    def loss(self, batch):
        import torch

        gold = [e for e in batch if not isinstance(e, Soft)]
        soft = [e for e in batch if isinstance(e, Soft)]
        total = self.net.loss(gold) * len(gold) if gold else 0.0
        if soft:
            net = self.net
            words = [e.words for e in soft]
            word_ids, shape_ids, char_ids, mask = (t.to(net.device) for t in net.featurizer.tensors(words))
            emissions = net.module(word_ids, shape_ids, char_ids, *net.sentence_inputs(words)).float()
            marginals = net.module.crf.marginals(emissions, mask)
            targets = torch.zeros(marginals.shape)
            for b, e in enumerate(soft):
                targets[b, : len(e.words)] = torch.from_numpy(e.targets)
            ce = -(targets.to(net.device) * torch.log(marginals.clamp_min(LOG_FLOOR))).sum(2)
            total = total + self.weight * (ce * mask).sum()
        return total / len(batch)


def build_student(config: TrainConfig, tags, train_sents, device):
    """The student net of ``config.backbone`` (navec or navec-cnn), untrained: the loop's own."""
    from .loop import build_net

    return build_net(config, tags, train_sents, device)


def _train(config: TrainConfig, data, make_net, progress, threads=None) -> Path:
    """``fit`` on prepared data, with ``make_net`` building the net, in this process alone."""
    from .distributed import Processes
    from .entry import fit

    labels, train_sents, dev_sents, notes = data
    return fit(train_sents, dev_sents, labels, config, progress=progress, threads=threads, notes=notes,
               make_net=make_net, processes=Processes())


def _train_on_silver(config, data, sentences, silver_tags, weight, temperature, progress, threads) -> Path:
    """The student trained on the gold of ``data`` plus the silver ``sentences`` (columns ``silver_tags``)."""
    labels, train_sents, dev_sents, notes = data

    def make_net(cfg, net_tags, sents, device):
        return DistillNet(build_student(cfg, net_tags, sents, device), weight, temperature, silver_tags)

    return _train(config, (labels, tuple(train_sents) + tuple(sentences), dev_sents, notes), make_net, progress,
                  threads)


def distill(config: TrainConfig, teacher: str | Sequence[str], texts: str, *, weight: float = DEFAULT_WEIGHT,
            temperature: float = 1.0, silver: str = "", progress: Callable[[str], None] = lambda line: None,
            threads: int | None = None) -> Path:
    """Label ``texts`` with ``teacher``, train the student on gold plus silver into ``config.out``; returns it."""
    from .prepare import prepare_data

    if config.backbone not in STUDENTS:
        raise UserError(f"--backbone {config.backbone!r}: a student is one of {', '.join(STUDENTS)}")
    config.validate()
    if weight < 0:
        raise UserError(f"--weight {weight}: must be 0 or more")
    if temperature <= 0:
        raise UserError(f"--temperature {temperature}: must be above 0")
    out = Path(config.out).resolve()
    for one in teacher_dirs(teacher):
        where = Path(one).resolve()
        if where.is_relative_to(out):  # --out is replaced as a whole at the end
            raise UserError(f"--out {config.out}: the teacher {one} is {'there' if where == out else 'inside it'}; "
                            f"the student would replace its teacher: write it to another directory")
    labels, train_sents, dev_sents, notes = prepare_data(config)  # gold first: its mistakes before any model loads
    lines = read_texts(texts)
    started = time.monotonic()
    model = load_teacher(teacher, device=config.device or None)
    tags = ["O"] + [f"{p}-{label}" for label in labels for p in "BI"]
    extra = sorted({t[2:] for t in model.tags if t != "O"} - set(labels))
    if extra:
        raise UserError(f"--teacher: labels {', '.join(extra)} are not in the gold corpus's schema "
                        f"({', '.join(labels)}); train the student with --labels or --map that include them")
    missing = [t for t in tags if t not in model.tags]
    sentences = label_texts(model, lines, progress=progress)
    if missing:  # the teacher never predicts these: their columns are zero
        import numpy as np

        teacher_tags = tuple(model.tags) + tuple(missing)
        sentences = [SilverSentence(s.words, s.tags, s.scores, np.pad(s.probs, ((0, 0), (0, len(missing)))),
                                    s.line, s.text, s.offsets) for s in sentences]
    else:
        teacher_tags = tuple(model.tags)
    teacher_seconds = time.monotonic() - started
    n_words = sum(len(s) for s in sentences)
    progress(f"teacher {model.version}: {len(sentences)} sentences, {n_words} words from {len(lines)} texts "
             f"in {teacher_seconds:.1f}s")
    if silver:
        dump_silver(sentences, silver, Path(texts).stem)
        progress(f"wrote the silver corpus to {silver}")
    del model
    notes = [*notes, f"distillation: gold {len(train_sents)} sentences + silver {len(sentences)} from {texts} "
                     f"(weight {weight}, temperature {temperature})"]
    out = _train_on_silver(config, (labels, train_sents, dev_sents, notes), sentences, teacher_tags, weight,
                           temperature, progress, threads)
    info = {"teacher": teacher if isinstance(teacher, str) else ",".join(teacher), "texts": str(texts),
            "texts_count": len(lines), "silver_sentences": len(sentences), "silver_words": n_words,
            "gold_sentences": len(train_sents), "weight": weight, "temperature": temperature,
            "teacher_seconds": round(teacher_seconds, 1), "silver": silver}
    (out / "distill.json").write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    with open(out / "README.md", "a", encoding="utf-8") as card:
        card.write(f"\n## Distillation\n- teacher: `{info['teacher']}`\n- unlabelled texts: `{texts}` "
                   f"({len(lines)} texts, {len(sentences)} sentences, {n_words} words, labelled in "
                   f"{teacher_seconds:.0f} s)\n- loss: gold CRF likelihood + {weight} x cross-entropy of the "
                   f"teacher's distributions (temperature {temperature}) against the student's CRF marginals\n"
                   f"- details: `distill.json`\n")
    return out


def distill_scored(config: TrainConfig, path: str, *, weight: float = DEFAULT_WEIGHT, temperature: float = 1.0,
                   progress: Callable[[str], None] = lambda line: None, threads: int | None = None) -> Path:
    """Train the student on gold plus a scored corpus (spans with ``score``, e.g. a merge) into ``config.out``."""
    from .prepare import prepare_data

    if config.backbone not in STUDENTS:
        raise UserError(f"--backbone {config.backbone!r}: a student is one of {', '.join(STUDENTS)}")
    config.validate()
    if weight < 0 or temperature <= 0:
        raise UserError(f"--weight {weight} --temperature {temperature}: the weight must be 0 or more, the "
                        f"temperature above 0")
    labels, train_sents, dev_sents, notes = prepare_data(config)
    sentences, silver_tags = load_scored(path)
    extra = sorted({t[2:] for t in silver_tags if t != "O"} - set(labels))
    if extra:
        raise UserError(f"--silver {path}: labels {', '.join(extra)} are not in the gold corpus's schema "
                        f"({', '.join(labels)}); train the student with --labels or --map that include them")
    tags = ["O"] + [f"{p}-{label}" for label in labels for p in "BI"]
    missing = tuple(t for t in tags if t not in silver_tags)
    if missing:  # the silver corpus never has these labels: their columns are zero
        import numpy as np

        sentences = [SilverSentence(s.words, s.tags, s.scores, np.pad(s.probs, ((0, 0), (0, len(missing)))),
                                    s.line, s.text, s.offsets) for s in sentences]
    silver_tags = tuple(silver_tags) + missing
    notes = [*notes, f"distillation: gold {len(train_sents)} sentences + scored silver {len(sentences)} from {path} "
                     f"(weight {weight}, temperature {temperature})"]
    out = _train_on_silver(config, (labels, train_sents, dev_sents, notes), sentences, silver_tags, weight,
                           temperature, progress, threads)
    info = {"silver": str(path), "silver_sentences": len(sentences), "gold_sentences": len(train_sents),
            "weight": weight, "temperature": temperature,
            "silver_spans": sum(1 for s in sentences for t in s.tags if t.startswith("B-"))}
    (out / "distill.json").write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    with open(out / "README.md", "a", encoding="utf-8") as card:
        card.write(f"\n## Distillation\n- scored silver corpus: `{path}` ({len(sentences)} sentences; each span's "
                   f"score is its words' target probability)\n- loss: gold CRF likelihood + {weight} x cross-entropy "
                   f"against the student's CRF marginals\n- details: `distill.json`\n")
    return out


def train_student(config: TrainConfig, progress: Callable[[str], None] = lambda line: None,
                  threads: int | None = None) -> Path:
    """Train a student backbone (navec or navec-cnn) on gold data alone, through the same loop."""
    from .prepare import prepare_data

    if config.backbone not in STUDENTS:
        raise UserError(f"--backbone {config.backbone!r}: a student is one of {', '.join(STUDENTS)}")
    config.validate()
    return _train(config, prepare_data(config), build_student, progress, threads)
