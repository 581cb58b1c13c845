"""``ner train --folds K``: K models, each trained without one K-th of the corpus, and their ensemble.

``train_folds(config, k)`` reads and checks the corpus once (``prepare.py``, labels
mapped), deals its sentences into ``k`` seeded folds of about equal size, and trains
fold ``i`` on the other folds with the configuration unchanged but the seed
(``seed + i``), through the ordinary ``loop.train``: same windows, early stopping,
model card and atomic model directory, in ``OUT/fold-i``. Early stopping reads the
``--dev`` corpus when one is given, else the held-out fold (so every sentence
trains ``k - 1`` of the models). ``OUT/ner_model.json`` then names the folds as an
ensemble (``ner.models.ensemble``), which ``tag()``, ``ner tag``, ``ner serve`` and
``ner ls predict`` load like any model directory.

The fold corpora are written (mapped labels, CoNLL) into ``OUT/.folds/`` and removed
at the end. Folds train one after the other in this process.

Left out: document-grouped folds (prepare_data returns sentences); parallel fold training.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Callable

from ..errors import UserError
from .config import TrainConfig


def deal_folds(n: int, k: int, seed: int) -> list[int]:
    """The fold (0..k-1) of each of ``n`` items: a seeded shuffle dealt round-robin (sizes differ by <= 1)."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    fold = [0] * n
    for rank, i in enumerate(order):
        fold[i] = rank % k
    return fold


def _write(sentences, path: Path) -> str:
    from ..formats.conll import write_conll
    from ..records import Document

    write_conll([Document(path.stem, tuple(sentences))], path, docstart=False)
    return str(path)


def train_folds(config: TrainConfig, k: int, progress: Callable[[str], None] = lambda line: None,
                **options) -> Path:
    """Train ``k`` fold models into ``config.out/fold-1..k`` and write the ensemble there; returns ``config.out``.

    ``options`` go to ``loop.train`` (``threads``, ``progress_seconds``).
    """
    from ..models.ensemble import write_ensemble
    from .loop import train
    from .prepare import prepare_data

    if k < 2:
        raise UserError(f"--folds {k}: need at least 2 folds (or leave --folds out for one model)")
    config.validate()
    labels, train_sents, dev_sents, notes = prepare_data(config)
    given_dev = bool(config.dev)
    sentences = list(train_sents) if given_dev else list(train_sents) + list(dev_sents)
    if len(sentences) < k:
        raise UserError(f"{config.train}: {len(sentences)} sentences cannot make {k} folds; pass a smaller --folds")
    for note in notes:
        if given_dev or not note.startswith("no dev corpus:"):  # without --dev every sentence is in some fold
            progress(note)
    out = Path(config.out)
    work = out / ".folds"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    fold = deal_folds(len(sentences), k, config.seed)
    # the corpora written are mapped already: every fold gets the labels that occur, under their names, from
    # a labels file (an identity --map refused a label absent from one fold's train and dev parts)
    present = {t[2:] for s in [*sentences, *dev_sents] for t in s.tags if t != "O"}
    labels_file = work / "labels.txt"
    labels_file.write_text("".join(f"{label}\n" for label in labels if label in present), encoding="utf-8")
    dev_file = _write(dev_sents, work / "dev.conll") if given_dev else ""
    members = []
    try:
        for f in range(k):
            held = [s for s, x in zip(sentences, fold) if x == f]
            rest = [s for s, x in zip(sentences, fold) if x != f]
            fold_config = config.replace(
                train=_write(rest, work / f"train-{f + 1}.conll"),
                dev=dev_file or _write(held, work / f"held-{f + 1}.conll"),
                out=str(out / f"fold-{f + 1}"), name=f"{config.model_name}-fold-{f + 1}", map="", keep="",
                labels=str(labels_file), seed=config.seed + f)
            progress(f"fold {f + 1}/{k}: training on {len(rest)} sentences, early stopping on "
                     f"{'--dev' if given_dev else f'the {len(held)} held out'}")
            members.append(train(fold_config, progress, **options))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_ensemble(out, members, config.model_name)
    progress(f"wrote the ensemble of {k} fold models to {out}")
    return out
