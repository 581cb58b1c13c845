"""``ner train --folds K``: K models, each trained without one K-th of the corpus, and their ensemble.

``train_folds(config, k)`` reads and checks the corpus once (``prepare.py``, labels
mapped), deals its sentences into ``k`` seeded folds of about equal size, and trains
fold ``i`` on the other folds with the configuration unchanged but the seed
(``seed + i``), through the library's ``fit`` (``entry.py``): same windows, early stopping,
model card and atomic model directory, in ``OUT/fold-i``. Early stopping reads the
``--dev`` corpus when one is given, else the held-out fold (so every sentence
trains ``k - 1`` of the models). ``OUT/ner_model.json`` then names the folds as an
ensemble (``ner.models.ensemble``), which ``tag()``, ``ner tag``, ``ner serve`` and
``ner ls predict`` load like any model directory.

Every fold trains on the labels that occur in the corpus, one its own part lacks included.
Folds train one after the other in this process.

Left out: document-grouped folds (prepare_data returns sentences); parallel fold training.
"""

from __future__ import annotations

import random
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


def train_folds(config: TrainConfig, k: int, progress: Callable[[str], None] = lambda line: None,
                **options) -> Path:
    """Train ``k`` fold models into ``config.out/fold-1..k`` and write the ensemble there; returns ``config.out``.

    ``options`` go to ``fit`` (``threads``, ``progress_seconds``).
    """
    from ..models.ensemble import write_ensemble
    from .entry import fit
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
    fold = deal_folds(len(sentences), k, config.seed)
    # every fold gets the labels that occur, a label absent from its own part included (an identity --map
    # refused a label absent from one fold's train and dev parts)
    present = {t[2:] for s in [*sentences, *dev_sents] for t in s.tags if t != "O"}
    fold_labels = [label for label in labels if label in present]
    members = []
    for f in range(k):
        held = [s for s, x in zip(sentences, fold) if x == f]
        rest = [s for s, x in zip(sentences, fold) if x != f]
        fold_config = config.replace(out=str(out / f"fold-{f + 1}"), name=f"{config.model_name}-fold-{f + 1}",
                                     seed=config.seed + f)
        progress(f"fold {f + 1}/{k}: training on {len(rest)} sentences, early stopping on "
                 f"{'--dev' if given_dev else f'the {len(held)} held out'}")
        members.append(fit(rest, dev_sents if given_dev else held, fold_labels, fold_config, progress=progress,
                           **options))
    write_ensemble(out, members, config.model_name)
    progress(f"wrote the ensemble of {k} fold models to {out}")
    return out
