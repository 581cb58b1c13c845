"""Out-of-fold probabilities: every sentence scored by a navec model that never saw it.

``fold_of(keys, k, seed)`` deals groups (documents where the corpus has them,
else single sentences) into ``k`` seeded folds of about equal size.
``out_of_fold(sentences, keys, labels, config, work)`` trains one model per fold
on the other folds through the library's training entry on records (``ner.train.fit``),
in ``config.workers`` processes with one torch thread each, and returns each
sentence's word-by-tag marginals (a T x K array; the columns follow ``tag_names``).
``word_probabilities(model, words)`` wraps the models package's
``probabilities`` (the per-word distribution, merged across windows).

Left out: transformer folds (too slow for this loop on a CPU); entity-disjoint
folds (Wang & Mueller found they do not help).
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np


@dataclass(frozen=True)
class FoldConfig:
    folds: int = 5
    epochs: int = 10
    patience: int = 3
    seed: int = 13
    workers: int = 2
    hidden: int = 128
    max_minutes: float = 0.0

    def __post_init__(self):   # said before anything runs, not after 'training 1 navec models' (the trial)
        if self.folds < 2:
            from ...errors import UserError

            raise UserError(f"--folds {self.folds}: need at least 2 folds")


def tag_names(labels: Sequence[str]) -> tuple[str, ...]:
    """``("O", "B-A", "I-A", "B-B", ...)``: the columns of every probability array here."""
    return ("O",) + tuple(f"{p}-{label}" for label in labels for p in "BI")


def split_keys(documents: Sequence[str], lines: Sequence[int], k: int) -> list[str]:
    """What keeps sentences in one fold: their document, where there are at least ``2k`` documents, else their
    document and line (one sentence; annotators' versions of it, which share both, stay together)."""
    if len(set(documents)) >= 2 * k:
        return list(documents)
    return [f"{d}\x1f{line}" for d, line in zip(documents, lines)]


def corpus_key(items, labels, config: FoldConfig) -> str:
    """What the out-of-fold marginals of ``items`` (``.document``, ``.sentence``) depend on: the sentences, their
    tags, the labels, the fold settings and which sentences the folds keep together (``split_keys``; not their
    names, which the folds do not depend on)."""
    h = hashlib.sha256(json.dumps([list(labels), config.__dict__], sort_keys=True).encode())
    first: dict[str, int] = {}
    keys = split_keys([it.document for it in items], [it.sentence.line for it in items], config.folds)
    for n, (it, key) in enumerate(zip(items, keys)):
        h.update("\x1f".join(it.sentence.words).encode() + b"\x1e" + "\x1f".join(it.sentence.tags).encode()
                 + b"\x1d%d" % first.setdefault(key, n))
    return h.hexdigest()[:16]


def fold_of(keys: Sequence[str], k: int, seed: int) -> list[int]:
    """The fold (0..k-1) of each item; items with one key stay together; groups dealt largest first."""
    sizes: dict[str, int] = {}
    for key in keys:
        sizes[key] = sizes.get(key, 0) + 1
    groups = list(sizes)
    random.Random(seed).shuffle(groups)
    groups.sort(key=lambda g: -sizes[g])  # stable: ties keep the seeded order
    load = [0] * k
    fold = {}
    for g in groups:
        f = min(range(k), key=lambda i: (load[i], i))
        fold[g] = f
        load[f] += sizes[g]
    return [fold[key] for key in keys]


def word_probabilities(model, batch: Sequence[Sequence[str]]) -> tuple[list[np.ndarray], tuple[str, ...]]:
    """Per-word tag distributions (T x K, rows sum to 1) of a loaded model, and its tag names.

    The models package's ``probabilities``: CRF marginals for navec, windows merged.
    """
    return [np.asarray(p, dtype=np.float64) for p in model.probabilities(list(batch))], tuple(model.tags)


def _reorder(probs: list[np.ndarray], have: Sequence[str], want: Sequence[str]) -> list[np.ndarray]:
    index = {t: i for i, t in enumerate(have)}
    cols = [index.get(t) for t in want]
    out = []
    for p in probs:
        q = np.zeros((p.shape[0], len(want)))
        for j, c in enumerate(cols):
            if c is not None:
                q[:, j] = p[:, c]
        out.append(q)
    return out


def run_fold(job: dict) -> list[np.ndarray]:
    """Train on one fold's training sentences; the held-out sentences' marginals (runs in a worker)."""
    from ...settings import set_single_thread

    set_single_thread()
    import torch

    torch.set_num_threads(1)
    from ...models import load_model
    from ...records import Sentence
    from ...train import TrainConfig, fit

    work = Path(job["dir"])
    sentences = [Sentence(tuple(w), tuple(t)) for w, t in cell_parts(job["train"])]
    # every fold model gets every label, one that its training part lacks included (a label seen once
    # is held out by one fold: an identity --map refused it there as never occurring)
    config = TrainConfig(epochs=job["epochs"], patience=job["patience"], seed=job["seed"], device="cpu",
                         hidden=job["hidden"], max_minutes=job["max_minutes"])
    fit(sentences, None, job["labels"], config, work / "model")
    model = load_model(work / "model", device="cpu")
    model.threads = 1
    held = job["held_out"]
    probs, tags = word_probabilities(model, [w for w, _ in cell_parts([(w, ["O"] * len(w)) for w in held])])
    return _join_cells(held, _reorder(probs, tags, tag_names(job["labels"])), len(tag_names(job["labels"])))


def cell_parts(pairs):
    """``(words, tags)`` pairs with each markdown table row cut into its cells (``tables.row_cells``): a
    fold model learns and reads a cell on its own, as the tagger does, so a neighbouring cell never
    sways it ('Stanford NLP | Stanza'); an entity cut at a cell's start begins with ``B-``."""
    from ...tables import row_cells

    out = []
    for words, tags in pairs:
        cells = row_cells(words)
        if cells is None:
            out.append((words, tags))
            continue
        for i, j in cells:
            part = list(tags[i:j])
            if part[0].startswith("I-"):
                part[0] = "B-" + part[0][2:]
            out.append((words[i:j], part))
    return out


def _join_cells(held, probs: list[np.ndarray], width: int) -> list[np.ndarray]:
    """The marginals of whole sentences from those of ``cell_parts``; a cell separator is surely ``O``."""
    from ...tables import row_cells

    out, k = [], 0
    for words in held:
        cells = row_cells(words)
        if cells is None:
            out.append(probs[k])
            k += 1
            continue
        whole = np.zeros((len(words), width))
        whole[:, 0] = 1.0
        for i, j in cells:
            whole[i:j] = probs[k]
            k += 1
        out.append(whole)
    return out


def out_of_fold(sentences, keys: Sequence[str], labels: Sequence[str], config: FoldConfig, work: str | Path,
                progress: Callable[[str], None] = lambda line: None) -> list[np.ndarray]:
    """Each sentence's marginals from the model of the fold that held it out (columns: ``tag_names``)."""
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing

    from ...errors import UserError

    k = config.folds
    if len(set(keys)) < k:
        raise UserError(f"{len(set(keys))} documents or sentences cannot make {k} folds; pass a smaller --folds")
    fold = fold_of(keys, k, config.seed)
    jobs = []
    for f in range(k):
        held = [i for i, x in enumerate(fold) if x == f]
        rest = [(s.words, s.tags) for s, x in zip(sentences, fold) if x != f and len(s)]
        jobs.append({"dir": str(Path(work) / f"fold-{f + 1}"), "train": rest, "labels": list(labels),
                     "held_out": [sentences[i].words for i in held], "index": held, "epochs": config.epochs,
                     "patience": config.patience, "seed": config.seed + f, "hidden": config.hidden,
                     "max_minutes": config.max_minutes})
    out: list = [None] * len(sentences)
    workers = max(1, min(config.workers, k))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [(job, pool.submit(run_fold, job)) for job in jobs]
        for n, (job, future) in enumerate(futures, 1):
            for i, p in zip(job["index"], future.result()):
                out[i] = p
            progress(f"fold {n}/{k}: {len(job['index'])} sentences scored by a model trained on {len(job['train'])}")
    return out
